package org.attn4j.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rotary against its invariants and a case computed by hand. */
class RotaryTest {
  private static final int D = 8;

  private static double dot(float[] a, float[] b, int from, int to) {
    double sum = 0;
    for (int c = from; c < to; c++) {
      sum += (double) a[c] * b[c];
    }
    return sum;
  }

  /** r = 2, one pair, ω_0 = base^0 = 1: (1, 0) at position 1 becomes (cos 1, sin 1); (0, 1) becomes (-sin 1, cos 1). */
  @Test
  void onePairByHand() {
    float[] out = Rotary.of(2).rotate(new float[] {1, 0, 0, 1}, 1, 1, 2, 2, new float[] {1, 1});

    assertThat(out).containsExactly(new float[] {(float) Math.cos(1), (float) Math.sin(1),
        (float) -Math.sin(1), (float) Math.cos(1)}, within(1e-7f));
  }

  /** ω_k = base'^(-2k/r), base' = base γ^(r/(r-2)), angle t ω_k / ι, all against the formula in double. */
  @Test
  void anglesFollowTheFormula() {
    int r = 8;
    Rotary rotary = Rotary.of(r).withBase(500).withNtkFactor(4).withInterpolation(2.5);
    double rescaled = 500 * Math.pow(4, r / (r - 2.0));
    for (int k = 0; k < r / 2; k++) {
      double expected = 37 * Math.pow(rescaled, -2.0 * k / r) / 2.5;
      assertThat((double) rotary.angle(37, k)).isCloseTo(expected, within(1e-5 * Math.max(1, expected)));
    }
  }

  /** Interpolation ι divides the positions: ι = 2 at position 2t is ι = 1 at t (doubling is exact in fp32). */
  @Test
  void interpolationDividesPositions() {
    float[] x = TestData.uniform(1, 2 * 3 * D, -1, 1);
    float[] positions = {0.5f, 3, 17.25f};
    float[] doubled = {1, 6, 34.5f};

    assertThat(Rotary.of(D).withInterpolation(2).rotate(x, 1, 2, 3, D, doubled))
        .containsExactly(Rotary.of(D).rotate(x, 1, 2, 3, D, positions));
  }

  @ParameterizedTest
  @EnumSource(Rotary.Layout.class)
  void preservesNormsPassesTheRestThroughAndZeroIsIdentity(Rotary.Layout layout) {
    int rows = 5;
    float[] x = TestData.uniform(2, 2 * rows * D, -1, 1);
    float[] positions = TestData.uniform(3, 2 * rows, -50, 50);
    Rotary rotary = Rotary.of(4).withLayout(layout);

    float[] out = rotary.rotate(x, 2, 1, rows, D, positions);

    for (int row = 0; row < 2 * rows; row++) {
      float[] a = java.util.Arrays.copyOfRange(x, row * D, row * D + D);
      float[] o = java.util.Arrays.copyOfRange(out, row * D, row * D + D);
      assertThat(dot(o, o, 0, 4)).isCloseTo(dot(a, a, 0, 4), within(1e-5));
      assertThat(java.util.Arrays.copyOfRange(o, 4, D)).containsExactly(java.util.Arrays.copyOfRange(a, 4, D));
    }
    assertThat(rotary.rotate(x, 2, 1, rows, D, new float[rows])).containsExactly(x);
    assertThat(out).isNotEqualTo(x);
  }

  /** (R_a q) · (R_b k) = (R_{a+δ} q) · (R_{b+δ} k) over the rotated dims, for fractional positions too. */
  @ParameterizedTest
  @EnumSource(Rotary.Layout.class)
  void dotProductDependsOnlyOnPositionDifference(Rotary.Layout layout) {
    Rotary rotary = Rotary.halfOf(D).withLayout(layout);
    float[] q = TestData.uniform(4, D, -1, 1);
    float[] k = TestData.uniform(5, D, -1, 1);
    double reference = dot(rotary.rotate(q, 1, 1, 1, D, new float[] {7}), rotary.rotate(k, 1, 1, 1, D,
        new float[] {2.5f}), 0, D);
    for (float shift : new float[] {-3, 0.25f, 11, 40}) {
      double shifted = dot(rotary.rotate(q, 1, 1, 1, D, new float[] {7 + shift}),
          rotary.rotate(k, 1, 1, 1, D, new float[] {2.5f + shift}), 0, D);
      assertThat(shifted).isCloseTo(reference, within(1e-5));
    }
    double other = dot(rotary.rotate(q, 1, 1, 1, D, new float[] {8}), rotary.rotate(k, 1, 1, 1, D,
        new float[] {2.5f}), 0, D);
    assertThat(other).isNotCloseTo(reference, within(1e-3));
  }

  /**
   * With π moving interleaved dim 2k to k and 2k + 1 to k + r/2 (dims >= r fixed), ROTATE_HALF(π x) = π
   * INTERLEAVED(x).
   */
  @Test
  void rotateHalfIsInterleavedAfterAPermutation() {
    int r = 6;
    int rows = 4;
    int[] pi = new int[D];
    for (int c = 0; c < D; c++) {
      pi[c] = c >= r ? c : c % 2 == 0 ? c / 2 : c / 2 + r / 2;
    }
    float[] x = TestData.uniform(6, rows * D, -1, 1);
    float[] positions = {0, 1.5f, 9, 300};
    Rotary interleaved = Rotary.of(r);

    float[] viaHalf = interleaved.withLayout(Rotary.Layout.ROTATE_HALF).rotate(permute(x, pi), 1, 1, rows, D,
        positions);

    assertThat(viaHalf).containsExactly(permute(interleaved.rotate(x, 1, 1, rows, D, positions), pi));
  }

  private static float[] permute(float[] x, int[] pi) {
    float[] out = new float[x.length];
    for (int idx = 0; idx < x.length; idx++) {
      out[idx / D * D + pi[idx % D]] = x[idx];
    }
    return out;
  }

  /** Cross-attention rotary with the positions self-attention uses (keys 0..m-1, queries the last n) is the same. */
  @Test
  void crossRotaryWithSelfPositionsEqualsSelfRotary() {
    Inputs in = Inputs.of(2, 2, 1, 3, 5, D, Causal.NONE, 10);
    float[] queryPositions = {2, 3, 4};
    float[] keyPositions = {0, 1, 2, 3, 4};

    float[] cross = in.run(in.spec().kind(AttentionKind.CROSS)
        .rotary(Rotary.of(4), RotaryPositions.cross(queryPositions, keyPositions)));
    float[] self = in.run(in.spec().rotary(Rotary.of(4)));

    assertThat(cross).containsExactly(self);
    assertThat(self).isNotEqualTo(in.run(in.spec()));
  }

  /** Per-batch positions [b, n] equal running each batch row alone with its shared positions. */
  @Test
  void perBatchPositionsActPerRow() {
    Inputs in = Inputs.of(2, 1, 1, 2, 2, D, Causal.NONE, 20);
    float[] perBatch = {0, 1, 5, 9.5f};

    float[] both = in.run(in.spec().kind(AttentionKind.CROSS).rotary(Rotary.of(D),
        RotaryPositions.cross(perBatch, perBatch)));
    float[] second = AttentionOracle.run(AttentionOracle.Spec.builder(in.o.toBuilder().b(1).build())
            .kind(AttentionKind.CROSS).rotary(Rotary.of(D), RotaryPositions.cross(new float[] {5, 9.5f},
                new float[] {5, 9.5f})).build(),
        Slices.batch(in.q, 1, 2 * D), Slices.batch(in.k, 1, 2 * D), Slices.batch(in.v, 1, 2 * D));

    assertThat(Slices.batch(both, 1, 2 * D)).containsExactly(second);
  }
}
