package org.attn4j.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Forgetting attention and the value residual against ALiBi, plain attention and sums written out here. */
class ForgettingTest {
  private final Inputs in = Inputs.of(2, 4, 2, 5, 5, 4, Causal.BOTTOM_RIGHT, 50);

  /** A constant gate a = -m_h gives F_i - F_j = -m_h (i - j): causal ALiBi with slope m_h. */
  @Test
  void fixedGateIsCausalAlibi() {
    double[] slopes = Gallery.alibiSlopes(4);

    Inputs.assertClose(in.run(in.spec().scoreMod(Forgetting.fixed(slopes))),
        in.run(in.spec().scoreMod(Gallery.alibi(4))), 1e-6);
    assertThat(in.run(in.spec().scoreMod(Gallery.alibi(4)))).isNotEqualTo(in.run(in.spec()));
  }

  @Test
  void biasOnlyIsAFixedGateOfLambdaLogSigmoidBeta() {
    float[] beta = {5, 1, -2, 0};
    double lambda = 0.125;
    double[] slopes = new double[4];
    for (int hh = 0; hh < 4; hh++) {
      slopes[hh] = lambda * Math.log(1 + Math.exp(-beta[hh]));
    }

    Inputs.assertClose(in.run(in.spec().scoreMod(Forgetting.biasOnly(beta, lambda))),
        in.run(in.spec().scoreMod(Forgetting.fixed(slopes))), 1e-6);
  }

  @Test
  void noneIsPlainCausalAttention() {
    assertThat(in.run(in.spec().scoreMod(Forgetting.none()))).containsExactly(in.run(in.spec()));
  }

  /**
   * Data-dependent gates: the bias of (i, j) is sum_{u = j+1..i} λ log sigmoid(w_h · x_u + β_h), summed here
   * directly (not as a difference of prefix sums); e.g. for (1, 0) it is the gate of token 1 alone.
   */
  @Test
  void dataDependentBiasIsTheSumOfTheGatesBetween() {
    int dim = 3;
    int n = in.o.getN();
    float[] x = TestData.uniform(51, 2 * n * dim, -2, 2);
    float[] w = TestData.uniform(52, 4 * dim, -1, 1);
    float[] beta = {5, 0, 1, -1};
    double lambda = 0.5;
    double[] plain = in.scores(in.spec());

    double[] biased = in.scores(in.spec().scoreMod(Forgetting.dataDependent(x, 2, dim, w, beta, lambda)));

    for (int idx = 0; idx < plain.length; idx++) {
      int j = idx % n;
      int i = idx / n % n;
      int hh = idx / (n * n) % 4;
      int bi = idx / (4 * n * n);
      double expected = plain[idx];
      for (int u = j + 1; u <= i; u++) {
        double logit = beta[hh];
        for (int c = 0; c < dim; c++) {
          logit += (double) w[hh * dim + c] * x[(bi * n + u) * dim + c];
        }
        expected += lambda * -Math.log(1 + Math.exp(-logit));
      }
      assertThat(biased[idx]).as("[%d]", idx).isCloseTo(expected, within(1e-12));
    }
  }

  /** Bidirectional: keys after the query get F'_j - F'_i = sum_{u = i+1..j} a'_u; keys before, the forward gates. */
  @Test
  void bidirectionalUsesTheReverseGatesAboveTheDiagonal() {
    Inputs both = Inputs.of(1, 1, 1, 3, 3, 2, Causal.NONE, 53);
    float[] forward = {-0.5f, -1, -2};
    float[] backward = {-0.25f, -4, -8};
    double[] plain = both.scores(both.spec());

    double[] biased = both.scores(both.spec().scoreMod(Forgetting.fromLogGates(forward, 1, 1)
        .withReverse(Forgetting.fromLogGates(backward, 1, 1))));

    double[][] bias = {{0, -4, -12}, {-1, 0, -8}, {-3, -2, 0}};
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) {
        assertThat(biased[i * 3 + j] - plain[i * 3 + j]).isCloseTo(bias[i][j], within(1e-12));
      }
    }
  }

  /** A KV-cache step (the last 2 queries against all keys) gets the same gates as the full recompute. */
  @Test
  void cacheStepEqualsFullRecompute() {
    float[] gates = TestData.uniform(54, 2 * 4 * 5, -1, 0);
    Forgetting fox = Forgetting.fromLogGates(gates, 2, 4);
    float[] full = in.run(in.spec().scoreMod(fox));
    CoreAttentionOracle.Options step = in.o.toBuilder().n(2).build();

    float[] last = AttentionOracle.run(AttentionOracle.Spec.builder(step).scoreMod(fox).build(),
        Slices.rows(in.q, 2, 4, 5, 4, 3, 5), in.k, in.v);

    assertThat(last).containsExactly(Slices.rows(full, 2, 4, 5, 4, 3, 5));
  }

  @Test
  void valueResidualLambdaOneKeepsVAndZeroGivesV1() {
    float[] v1 = TestData.uniform(55, in.o.getKvSize(), -1, 1);
    float[] ones = new float[2 * 2 * 5];
    java.util.Arrays.fill(ones, 1);

    assertThat(in.run(in.spec().valueResidual(ValueResidual.constant(v1, 1)))).containsExactly(in.run(in.spec()));
    assertThat(in.run(in.spec().valueResidual(ValueResidual.perToken(v1, ones)))).containsExactly(in.run(in.spec()));
    assertThat(in.run(in.spec().valueResidual(ValueResidual.constant(v1, 0))))
        .containsExactly(AttentionOracle.run(in.spec().build(), in.q, in.k, v1));
  }

  /** λ = 1/2 averages v and v1; and a learned mix with w = 0 is sigmoid(bias) everywhere. */
  @Test
  void valueResidualBlendsLinearly() {
    float[] v1 = TestData.uniform(56, in.o.getKvSize(), -1, 1);
    float[] mean = new float[v1.length];
    for (int idx = 0; idx < mean.length; idx++) {
      mean[idx] = (float) ((v1[idx] + (double) in.v[idx]) / 2);
    }
    int dim = 3;
    ValueResidual learned = ValueResidual.learned(v1, TestData.uniform(57, 2 * 5 * dim, -1, 1), 2, dim,
        new float[2 * dim], new float[] {0, 0});

    float[] expected = AttentionOracle.run(in.spec().build(), in.q, in.k, mean);
    assertThat(in.run(in.spec().valueResidual(ValueResidual.constant(v1, 0.5)))).containsExactly(expected);
    assertThat(in.run(in.spec().valueResidual(learned))).containsExactly(expected);
  }
}
