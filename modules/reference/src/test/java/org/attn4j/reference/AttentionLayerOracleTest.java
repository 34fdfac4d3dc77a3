package org.attn4j.reference;

import static org.assertj.core.api.Assertions.assertThat;

import org.attn4j.reference.AttentionLayerOracle.Layer;
import org.attn4j.reference.AttentionLayerOracle.Norm;
import org.attn4j.reference.CoreAttentionOracle.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The attention layer oracle against the composition written out here, and in-attention conditioning invariants. */
class AttentionLayerOracleTest {
  private static final int B = 2;
  private static final int N = 3;
  private static final int DIM = 5;
  private static final int H = 2;
  private static final int HKV = 1;
  private static final int D = 4;
  private final Options o = Options.builder().shape(B, H, HKV, N, N, D).causal(Causal.BOTTOM_RIGHT).build();
  private final AttentionOracle.Spec core = AttentionOracle.Spec.builder(o).rotary(Rotary.of(2)).build();
  private final float[] gamma = TestData.uniform(70, DIM, 0.5f, 1.5f);
  private final float[] wq = TestData.uniform(71, H * D * DIM, -1, 1);
  private final float[] wk = TestData.uniform(72, HKV * D * DIM, -1, 1);
  private final float[] wv = TestData.uniform(73, HKV * D * DIM, -1, 1);
  private final float[] wo = TestData.uniform(74, DIM * H * D, -1, 1);
  private final float[] x = TestData.uniform(75, B * N * DIM, -2, 2);

  private Layer layer(Norm norm) {
    return Layer.builder(DIM, core).norm(norm, gamma).projections(wq, wk, wv, wo).build();
  }

  /** With no condition: x + (core(norm(x) Wq^T, norm(x) Wk^T, norm(x) Wv^T) merged) Wo^T, written out here. */
  @ParameterizedTest
  @EnumSource(Norm.class)
  void noConditionIsNormProjectCoreProjectPlusResidual(Norm norm) {
    float[] normed = new float[x.length];
    for (int t = 0; t < B * N; t++) {
      double mean = 0;
      double squares = 0;
      for (int c = 0; c < DIM; c++) {
        mean += x[t * DIM + c];
      }
      mean = norm == Norm.LAYER_NORM ? mean / DIM : 0;
      for (int c = 0; c < DIM; c++) {
        squares += (x[t * DIM + c] - mean) * (x[t * DIM + c] - mean);
      }
      // LayerNorm: biased variance + 1e-5; x-transformers' RMSNorm: x / ||x|| * sqrt(dim).
      double scale = norm == Norm.LAYER_NORM ? 1 / Math.sqrt(squares / DIM + 1e-5) : Math.sqrt(DIM / squares);
      for (int c = 0; c < DIM; c++) {
        normed[t * DIM + c] = (float) ((x[t * DIM + c] - mean) * scale * gamma[c]);
      }
    }
    float[] q = heads(linear(normed, wq, H * D), H);
    float[] k = heads(linear(normed, wk, HKV * D), HKV);
    float[] v = heads(linear(normed, wv, HKV * D), HKV);
    float[] attended = AttentionOracle.run(core, q, k, v);
    float[] merged = new float[B * N * H * D];
    for (int idx = 0; idx < merged.length; idx++) {
      int c = idx % D;
      int hh = idx / D % H;
      int t = idx / (H * D) % N;
      int bi = idx / (N * H * D);
      merged[idx] = attended[((bi * H + hh) * N + t) * D + c];
    }
    float[] projected = linear(merged, wo, DIM);
    float[] expected = new float[x.length];
    for (int idx = 0; idx < x.length; idx++) {
      expected[idx] = x[idx] + projected[idx];
    }

    Inputs.assertClose(AttentionLayerOracle.run(layer(norm), x), expected, 1e-5);
  }

  /** {@code [rows, in] x [out, in]^T}. */
  private static float[] linear(float[] in, float[] w, int out) {
    int inDim = w.length / out;
    int rows = in.length / inDim;
    float[] y = new float[rows * out];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < out; o++) {
        double sum = 0;
        for (int c = 0; c < inDim; c++) {
          sum += (double) in[r * inDim + c] * w[o * inDim + c];
        }
        y[r * out + o] = (float) sum;
      }
    }
    return y;
  }

  /** {@code 'b n (h d) -> b h n d'}. */
  private static float[] heads(float[] y, int heads) {
    float[] out = new float[y.length];
    for (int idx = 0; idx < y.length; idx++) {
      int c = idx % D;
      int hh = idx / D % heads;
      int t = idx / (heads * D) % N;
      int bi = idx / (N * heads * D);
      out[((bi * heads + hh) * N + t) * D + c] = y[idx];
    }
    return out;
  }

  @Test
  void zeroConditionIsNoCondition() {
    assertThat(AttentionLayerOracle.run(layer(Norm.RMS_NORM), x, new float[B * DIM]))
        .containsExactly(AttentionLayerOracle.run(layer(Norm.RMS_NORM), x));
  }

  @Test
  void perBatchConditionEqualsItsBroadcast() {
    float[] z = TestData.uniform(76, B * DIM, -1, 1);
    float[] broadcast = new float[B * N * DIM];
    for (int idx = 0; idx < broadcast.length; idx++) {
      broadcast[idx] = z[idx / (N * DIM) * DIM + idx % DIM];
    }

    float[] out = AttentionLayerOracle.run(layer(Norm.LAYER_NORM), x, z);
    assertThat(out).containsExactly(AttentionLayerOracle.run(layer(Norm.LAYER_NORM), x, broadcast));
    assertThat(out).isNotEqualTo(AttentionLayerOracle.run(layer(Norm.LAYER_NORM), x));
  }

  /**
   * z is added before the norm and the residual carries x without z: the branch of (x, z) is the branch of
   * (x + z, none), i.e. out(x, z) - x = out(x + z) - (x + z).
   */
  @Test
  void conditionEntersBeforeTheNormAndNotTheResidual() {
    float[] z = TestData.uniform(77, B * N * DIM, -1, 1);
    float[] sum = new float[x.length];
    for (int idx = 0; idx < x.length; idx++) {
      sum[idx] = x[idx] + z[idx];
    }
    float[] conditioned = AttentionLayerOracle.run(layer(Norm.LAYER_NORM), x, z);
    float[] shifted = AttentionLayerOracle.run(layer(Norm.LAYER_NORM), sum);
    float[] branchA = new float[x.length];
    float[] branchB = new float[x.length];
    for (int idx = 0; idx < x.length; idx++) {
      branchA[idx] = (float) ((double) conditioned[idx] - x[idx]);
      branchB[idx] = (float) ((double) shifted[idx] - sum[idx]);
    }

    Inputs.assertClose(branchA, branchB, 1e-5);
  }

  /** A gate with w = 0 is sigmoid(0) = 1/2: the same as half the condition without a gate. */
  @Test
  void zeroGateHalvesTheCondition() {
    float[] z = TestData.uniform(78, B * DIM, -1, 1);
    float[] half = new float[z.length];
    for (int idx = 0; idx < z.length; idx++) {
      half[idx] = z[idx] / 2;
    }
    Layer gated = Layer.builder(DIM, core).norm(Norm.LAYER_NORM, gamma).projections(wq, wk, wv, wo)
        .conditionGate(new float[DIM]).build();

    assertThat(AttentionLayerOracle.run(gated, x, z)).containsExactly(AttentionLayerOracle.run(layer(Norm.LAYER_NORM),
        x, half));
  }

  /** FoX gates with w = 0, β and λ make a constant gate λ log sigmoid(β): the layer equals the core with it. */
  @Test
  void forgetGateFromTheNormedInput() {
    float[] beta = {1, -1};
    Layer fox = Layer.builder(DIM, core).norm(Norm.LAYER_NORM, gamma).projections(wq, wk, wv, wo)
        .forgetGate(new float[H * DIM], beta, 0.5).build();
    Layer alibi = Layer.builder(DIM, core.toBuilder().scoreMod(Forgetting.biasOnly(beta, 0.5)).build())
        .norm(Norm.LAYER_NORM, gamma).projections(wq, wk, wv, wo).build();

    Inputs.assertClose(AttentionLayerOracle.run(fox, x), AttentionLayerOracle.run(alibi, x), 1e-5);
  }
}
