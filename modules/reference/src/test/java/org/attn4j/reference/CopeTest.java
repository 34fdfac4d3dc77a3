package org.attn4j.reference;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** CoPE against plain causal attention and a brute-force computation per element. */
class CopeTest {
  private static final int P = 3;

  @Test
  void zeroTableIsPlainCausalAttention() {
    Inputs in = Inputs.of(2, 2, 1, 4, 6, 4, Causal.BOTTOM_RIGHT, 40);

    assertThat(in.run(in.spec().cope(Cope.of(new float[P * 4], P)))).containsExactly(in.run(in.spec()));
  }

  /**
   * b = h = 1, n = m = 4, d = 2, with a key length of 3: the CoPE term c_ij, recomputed here per element from the
   * definition (gates of the visible logits, p_ij = min(sum_{t = j..i} g_it, P - 1), z_ip = q_i · E_p, linear or
   * soft one-hot interpolation), is exactly what the oracle adds to the logits.
   */
  @Test
  void positionTermsMatchBruteForce() {
    int n = 4;
    int d = 2;
    Inputs in = new Inputs(CoreAttentionOracle.Options.builder().shape(1, 1, 1, n, n, d).causal(Causal.BOTTOM_RIGHT)
        .keyLengths(new int[] {3}).scale(3).build(), 41);
    float[] table = TestData.uniform(42, P * d, -2, 2);
    double[] plain = in.scores(in.spec());
    for (Cope cope : new Cope[] {Cope.of(table, P), Cope.of(table, P).withSoftOneHot(0.05)}) {
      double[] with = in.scores(in.spec().cope(cope));
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          if (j > i || j >= 3) {
            assertThat(with[i * n + j]).isEqualTo(Double.NEGATIVE_INFINITY);
            continue;
          }
          double p = 0;
          for (int t = j; t <= Math.min(i, 2); t++) {
            p += 1 / (1 + Math.exp(-plain[i * n + t]));
          }
          p = Math.min(p, P - 1);
          double[] z = new double[P];
          for (int e = 0; e < P; e++) {
            z[e] = in.q[i * d] * (double) table[e * d] + in.q[i * d + 1] * (double) table[e * d + 1];
          }
          double expected = cope.isSoftOneHot() ? softOneHot(z, p, 0.05)
              : (1 - (p - Math.floor(p))) * z[(int) Math.floor(p)] + (p - Math.floor(p)) * z[(int) Math.ceil(p)];
          assertThat(with[i * n + j] - plain[i * n + j]).as("i=%d j=%d", i, j)
              .isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-12));
        }
      }
    }
  }

  private static double softOneHot(double[] z, double p, double temperature) {
    double sum = 0;
    double term = 0;
    for (int e = 0; e < z.length; e++) {
      double w = Math.exp(-Math.abs(p - e) / temperature);
      sum += w;
      term += w * z[e];
    }
    return term / sum;
  }

  /** The gate sum is capped at P - 1: with huge logits every gate is 1, so key j of row i has p = min(i - j + 1, 2). */
  @Test
  void positionsAreCappedAtMaxPosMinusOne() {
    int n = 5;
    Inputs in = new Inputs(CoreAttentionOracle.Options.builder().shape(1, 1, 1, n, n, 1).causal(Causal.BOTTOM_RIGHT)
        .scale(0).build(), 43);
    float[] table = {10, 20, 30};
    // scale 0 makes the logits 0 (gates 1/2); a constant score term of 40 makes them ~1.
    double[] with = in.scores(in.spec().scoreMod((s, b, h, i, j) -> s + 40).cope(Cope.of(table, P)));
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double expected = 40 + (double) in.q[i] * table[Math.min(i - j + 1, P - 1)];
        assertThat(with[i * n + j]).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-12));
      }
    }
  }
}
