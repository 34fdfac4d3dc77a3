package it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.attn4j.reference.AttentionLayerOracle;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.Causal;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.ArtifactCatalog;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.AttentionKernels;
import org.attn4j.runtime.Dims;
import org.attn4j.runtime.KernelQuery;
import org.junit.jupiter.api.Test;

/**
 * The plugin's layer artifacts are on the test class path: found, verified, loaded and run (b 2, n 5, dim 16,
 * h 2, d 8), each against {@code AttentionLayerOracle} within {@link Tolerances#FP32}.
 */
class PackagedLayerTest {
  static final int B = 2;
  static final int N = 5;
  static final int DIM = 16;
  static final int D = 8;

  /** From {@code <layers>}: RMSNorm, {@code z [b, dim]}, causal MHA h 2. */
  @Test
  void runsTheConfiguredLayer() throws Exception {
    float w = (float) (1.5 / Math.sqrt(DIM));
    float[] x = TestData.uniform(1, B * N * DIM, -1, 1);
    float[] z = TestData.uniform(2, B * DIM, -1, 1);
    float[] gamma = TestData.uniform(3, DIM, 0.5f, 1.5f);
    float[] wq = TestData.uniform(4, 2 * D * DIM, -w, w);
    float[] wk = TestData.uniform(5, 2 * D * DIM, -w, w);
    float[] wv = TestData.uniform(6, 2 * D * DIM, -w, w);
    float[] wo = TestData.uniform(7, DIM * 2 * D, -w, w);
    AttentionLayerOracle.Layer layer = AttentionLayerOracle.Layer.builder(DIM, core(2, 2))
        .norm(AttentionLayerOracle.Norm.RMS_NORM, gamma).projections(wq, wk, wv, wo).build();
    float[] expected = AttentionLayerOracle.run(layer, x, z);
    float[] out = run("layer_dim16_rms_zb+sdpa_float32_h2kv2_d8_causal", x, z, gamma, wq, wk, wv, wo);
    check(out, expected);
  }

  /** From the spec file: LayerNorm, FoX gates (λ = 1), causal GQA h 2 over h_kv 1. */
  @Test
  void runsTheSpecFileLayer() throws Exception {
    float w = (float) (1.5 / Math.sqrt(DIM));
    float[] x = TestData.uniform(11, B * N * DIM, -1, 1);
    float[] gamma = TestData.uniform(13, DIM, 0.5f, 1.5f);
    float[] wq = TestData.uniform(14, 2 * D * DIM, -w, w);
    float[] wk = TestData.uniform(15, D * DIM, -w, w);
    float[] wv = TestData.uniform(16, D * DIM, -w, w);
    float[] wo = TestData.uniform(17, DIM * 2 * D, -w, w);
    float[] wForget = TestData.uniform(18, 2 * DIM, -w, w);
    float[] bForget = TestData.uniform(19, 2, -1, 2);
    AttentionLayerOracle.Layer layer = AttentionLayerOracle.Layer.builder(DIM, core(2, 1))
        .norm(AttentionLayerOracle.Norm.LAYER_NORM, gamma).projections(wq, wk, wv, wo)
        .forgetGate(wForget, bForget, 1.0).build();
    float[] expected = AttentionLayerOracle.run(layer, x);
    float[] out = run("layer_dim16_ln_fox1.0+sdpa_float32_h2kv1_d8_causal_tiled", x, gamma, wq, wk, wv, wo,
        wForget, bForget);
    check(out, expected);
  }

  private static AttentionOracle.Spec core(int h, int hKv) {
    return AttentionOracle.Spec.builder(CoreAttentionOracle.Options.builder().shape(B, h, hKv, N, N, D)
        .causal(Causal.BOTTOM_RIGHT).build()).build();
  }

  /** Loads {@code variant} from the class path and runs it on copies of {@code inputs}; returns out. */
  private static float[] run(String variant, float[]... inputs) throws Exception {
    ArtifactCatalog catalog = ArtifactCatalog.classpath();
    Object[] args = new Object[inputs.length + 1];
    System.arraycopy(inputs, 0, args, 0, inputs.length);
    float[] out = new float[B * N * DIM];
    java.util.Arrays.fill(out, Float.NaN);
    args[inputs.length] = out;
    try (BufferAllocator alloc = new RootAllocator();
        AttentionKernel k = AttentionKernels.load(KernelQuery.of(variant).withTarget("cpu"), catalog)) {
      k.run(Dims.of(B, N), alloc, args);
    }
    return out;
  }

  private static void check(float[] out, float[] expected) {
    Comparison c = Tolerances.compare(out, expected);
    assertTrue(c.isWithin(Tolerances.FP32), () -> "vs AttentionLayerOracle: " + c);
  }
}
