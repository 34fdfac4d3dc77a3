package org.attn4j.reference;

import java.util.Objects;

/**
 * The tolerance table: how far a kernel's output may be from an oracle's, one row per dtype, with the reason for
 * each bound.
 *
 * <p>A kernel passes when every element satisfies {@code |actual - expected| <= abs + rel * max|expected|}, with
 * {@code max|expected|} taken over the finite reference values of the whole tensor (see {@link #bound(double)} and
 * {@link Comparison#isWithin(Tolerances)}). The relative term is scaled by the largest reference magnitude, not
 * by each element's own: an attention output is a convex combination of value rows, so its rounding error
 * follows the size of the values, and an output element that happens to be near zero carries the same absolute
 * error as its neighbours (a per-element relative error would reject correct kernels there).
 *
 * <p>The oracle must be run on the very inputs the kernel saw, i.e. on fp16/bf16 inputs already rounded to that
 * dtype and widened back to {@code float}, so the bounds cover only the kernel's own arithmetic (fp32 accumulation,
 * an online softmax in another order, {@code P} rounded to the input dtype before {@code P V}, the output rounded
 * once), never the rounding of the inputs.
 *
 * <p>Example: {@code assertThat(Tolerances.compare(actual, expected).isWithin(Tolerances.FP32)).isTrue();}
 */
public enum Tolerances {
  /**
   * fp32: {@code abs = 2e-5, rel = 2e-5}. The kernel rounds every product, exponential and sum to fp32 (unit
   * roundoff {@code 2^-24 ~ 6e-8}) and sums in a different order than the oracle (tiles, an online-softmax
   * rescale); with a head dim and a key count in the hundreds to thousands those errors add up to around
   * {@code 1e-6} relative, and {@code 2e-5} (about 300 units of roundoff) leaves room for long rows and fast
   * {@code exp} approximations without hiding a wrong mask or a wrong head (which give errors of order 1e-2
   * and up).
   */
  FP32(2e-5, 2e-5),
  /**
   * fp16: {@code abs = 2e-3, rel = 2e-3}. Accumulation stays fp32, but the probabilities {@code P} are rounded to
   * fp16 before {@code P V} and the output is stored in fp16 (unit roundoff {@code 2^-11 ~ 4.9e-4}); two such
   * roundings plus the fp32 error come to about 4 units of roundoff.
   */
  FP16(2e-3, 2e-3),
  /**
   * bf16: {@code abs = 1.6e-2, rel = 1.6e-2}. The same two roundings as fp16 with an 8-bit significand (unit
   * roundoff {@code 2^-8 ~ 3.9e-3}), so about 4 units of roundoff; {@code 1.6e-2} is also the relative
   * tolerance PyTorch's {@code torch.testing.assert_close} uses for bfloat16 by default.
   */
  BF16(1.6e-2, 1.6e-2);

  private final double abs;
  private final double rel;

  Tolerances(double abs, double rel) {
    this.abs = abs;
    this.rel = rel;
  }

  /** {@return the absolute part of the bound} */
  public double getAbs() {
    return abs;
  }

  /** {@return the relative part of the bound, a fraction of {@code max|expected|}} */
  public double getRel() {
    return rel;
  }

  /**
   * The largest error allowed on any element of a tensor whose reference values reach {@code maxAbsExpected}.
   *
   * @param maxAbsExpected the largest finite {@code |expected|} of the tensor, {@code >= 0}
   * @return {@code abs + rel * maxAbsExpected}
   */
  public double bound(double maxAbsExpected) {
    return abs + rel * maxAbsExpected;
  }

  /**
   * Compares a kernel's output with the oracle's, element by element. Borrows both arrays and copies nothing.
   *
   * <p>An element whose two values are equal (including the same infinity, as in the {@code lse} of an empty
   * row) has error 0. An element where either value is NaN, or where they differ and either is infinite, has
   * error {@code +Infinity}, so it is the worst and fails every tolerance.
   *
   * @param actual the kernel's values
   * @param expected the oracle's values, as long as {@code actual}
   * @return the errors and where the worst one is
   * @throws IllegalArgumentException if the lengths differ
   */
  public static Comparison compare(float[] actual, float[] expected) {
    Objects.requireNonNull(actual, "actual");
    Objects.requireNonNull(expected, "expected");
    if (actual.length != expected.length) {
      throw new IllegalArgumentException("actual: expected " + expected.length
          + " floats (the length of expected), got " + actual.length);
    }
    double maxAbsError = 0;
    int worst = -1;
    double maxAbsExpected = 0;
    boolean allFinite = true;
    for (int idx = 0; idx < actual.length; idx++) {
      float a = actual[idx];
      float e = expected[idx];
      allFinite &= Float.isFinite(a);
      if (Float.isFinite(e)) {
        maxAbsExpected = Math.max(maxAbsExpected, Math.abs((double) e));
      }
      double error;
      if (Float.isNaN(a) || Float.isNaN(e)) {
        error = Double.POSITIVE_INFINITY;
      } else if (a == e) {
        error = 0;
      } else if (Float.isInfinite(a) || Float.isInfinite(e)) {
        error = Double.POSITIVE_INFINITY;
      } else {
        error = Math.abs((double) a - (double) e);
      }
      if (worst < 0 || error > maxAbsError) {
        maxAbsError = error;
        worst = idx;
      }
    }
    return new Comparison(actual.length, maxAbsError, maxAbsExpected, worst,
        worst < 0 ? 0f : actual[worst], worst < 0 ? 0f : expected[worst], allFinite);
  }
}
