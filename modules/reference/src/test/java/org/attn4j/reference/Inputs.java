package org.attn4j.reference;

import static org.assertj.core.api.Assertions.assertThat;

import org.attn4j.reference.CoreAttentionOracle.Options;

/** Seeded q, k, v for some options, and the comparisons the variant tests share. */
final class Inputs {
  final Options o;
  final float[] q;
  final float[] k;
  final float[] v;

  Inputs(Options o, long seed) {
    this.o = o;
    this.q = TestData.uniform(seed, o.getQSize(), -1, 1);
    this.k = TestData.uniform(seed + 1, o.getKvSize(), -1, 1);
    this.v = TestData.uniform(seed + 2, o.getKvSize(), -1, 1);
  }

  static Inputs of(int b, int h, int hKv, int n, int m, int d, Causal causal, long seed) {
    return new Inputs(Options.builder().shape(b, h, hKv, n, m, d).causal(causal).build(), seed);
  }

  AttentionOracle.Spec.Builder spec() {
    return AttentionOracle.Spec.builder(o);
  }

  float[] run(AttentionOracle.Spec.Builder spec) {
    return AttentionOracle.run(spec.build(), q, k, v);
  }

  double[] scores(AttentionOracle.Spec.Builder spec) {
    return AttentionOracle.scores(spec.build(), q, k);
  }

  /** Asserts that every element is within {@code tolerance}, and that the arrays have the same length. */
  static void assertClose(float[] actual, float[] expected, double tolerance) {
    assertThat(actual).hasSameSizeAs(expected);
    assertThat(Tolerances.compare(actual, expected).getMaxAbsError()).isLessThanOrEqualTo(tolerance);
  }

  /** As {@link #assertClose(float[], float[], double)}, treating two equal infinities as equal. */
  static void assertClose(double[] actual, double[] expected, double tolerance) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int idx = 0; idx < actual.length; idx++) {
      if (Double.isInfinite(expected[idx])) {
        assertThat(actual[idx]).as("[%d]", idx).isEqualTo(expected[idx]);
      } else {
        assertThat(Math.abs(actual[idx] - expected[idx])).as("[%d]", idx).isLessThanOrEqualTo(tolerance);
      }
    }
  }
}
