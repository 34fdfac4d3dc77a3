package org.attn4j.reference;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The tolerance table and {@link Tolerances#compare(float[], float[])}. */
class TolerancesTest {

  @Test
  void tableHoldsTheDocumentedBounds() {
    assertThat(Tolerances.FP32.getAbs()).isEqualTo(2e-5);
    assertThat(Tolerances.FP32.getRel()).isEqualTo(2e-5);
    assertThat(Tolerances.FP16.getAbs()).isEqualTo(2e-3);
    assertThat(Tolerances.FP16.getRel()).isEqualTo(2e-3);
    assertThat(Tolerances.BF16.getAbs()).isEqualTo(1.6e-2);
    assertThat(Tolerances.BF16.getRel()).isEqualTo(1.6e-2);
    assertThat(Tolerances.FP32.bound(10)).isEqualTo(2e-5 + 2e-4);
  }

  /** Errors [0, 0.25, 0.5, 0]: the worst is index 2; max|expected| = 4, so the relative error is 0.5 / 4. */
  @Test
  void reportsTheWorstElement() {
    Comparison c = Tolerances.compare(new float[] {1, 2.25f, -3.5f, 4}, new float[] {1, 2, -4, 4});

    assertThat(c.getCount()).isEqualTo(4);
    assertThat(c.getMaxAbsError()).isEqualTo(0.5);
    assertThat(c.getWorstIndex()).isEqualTo(2);
    assertThat(c.getWorstActual()).isEqualTo(-3.5f);
    assertThat(c.getWorstExpected()).isEqualTo(-4f);
    assertThat(c.getMaxAbsExpected()).isEqualTo(4.0);
    assertThat(c.getMaxRelError()).isEqualTo(0.125);
    assertThat(c.isAllFinite()).isTrue();
    assertThat(c.isWithin(Tolerances.BF16)).isFalse();
    assertThat(c).hasToString("Comparison[count=4, maxAbsError=5.000e-01 at [2] (actual -3.5, expected -4.0),"
        + " maxRelError=1.250e-01, maxAbsExpected=4.000e+00, allFinite=true]");
  }

  /** The bound scales with max|expected| of the whole tensor, so a near-zero element gets the same slack. */
  @Test
  void boundIsRelativeToTheLargestReference() {
    float[] expected = {1000f, 0f};
    float[] actual = {1000f, 0.015f};  // 0.015 <= 2e-5 + 2e-5 * 1000 = 0.02002

    assertThat(Tolerances.compare(actual, expected).isWithin(Tolerances.FP32)).isTrue();
    assertThat(Tolerances.compare(new float[] {1000f, 0.021f}, expected).isWithin(Tolerances.FP32)).isFalse();
  }

  @Test
  void matchingInfinitiesAreExactAndOthersFail() {
    float ninf = Float.NEGATIVE_INFINITY;

    Comparison same = Tolerances.compare(new float[] {ninf, 1f}, new float[] {ninf, 1f});
    Comparison finiteForInfinite = Tolerances.compare(new float[] {-1e30f, 1f}, new float[] {ninf, 1f});
    Comparison nan = Tolerances.compare(new float[] {1f, Float.NaN}, new float[] {1f, 2f});

    assertThat(same.getMaxAbsError()).isZero();
    assertThat(same.isAllFinite()).isFalse();
    assertThat(same.isWithin(Tolerances.FP32)).isTrue();
    assertThat(finiteForInfinite.getMaxAbsError()).isInfinite();
    assertThat(finiteForInfinite.getWorstIndex()).isZero();
    assertThat(finiteForInfinite.isWithin(Tolerances.BF16)).isFalse();
    assertThat(nan.getMaxAbsError()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(nan.getWorstIndex()).isEqualTo(1);
    assertThat(nan.isAllFinite()).isFalse();
    assertThat(nan.isWithin(Tolerances.BF16)).isFalse();
  }

  @Test
  void allZeroReferenceUsesTheFloor() {
    Comparison c = Tolerances.compare(new float[] {1e-7f}, new float[] {0f});

    assertThat(c.getMaxRelError()).isCloseTo(0.1, org.assertj.core.api.Assertions.within(1e-6));
    assertThat(Tolerances.compare(new float[0], new float[0]).getWorstIndex()).isEqualTo(-1);
  }
}
