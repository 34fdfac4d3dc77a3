package org.attn4j.reference;

import java.util.Locale;

/**
 * The result of {@link Tolerances#compare(float[], float[])}: the largest error between a kernel's output and an
 * oracle's, and where it is. Immutable.
 *
 * <p>The relative error is the absolute error divided by the reference tensor's largest magnitude, floored at
 * {@code 1e-6} so that an all-zero reference gives a finite number: {@code maxAbsError / max(max|expected|, 1e-6)}.
 * This is the same normalisation as {@link Tolerances}' bound (see there for why not per element).
 */
public final class Comparison {
  /** The floor of the relative error's denominator, so that an all-zero reference gives a finite ratio. */
  public static final double REL_FLOOR = 1e-6;

  private final int count;
  private final double maxAbsError;
  private final double maxAbsExpected;
  private final int worstIndex;
  private final float worstActual;
  private final float worstExpected;
  private final boolean allFinite;

  Comparison(int count, double maxAbsError, double maxAbsExpected, int worstIndex, float worstActual,
      float worstExpected, boolean allFinite) {
    this.count = count;
    this.maxAbsError = maxAbsError;
    this.maxAbsExpected = maxAbsExpected;
    this.worstIndex = worstIndex;
    this.worstActual = worstActual;
    this.worstExpected = worstExpected;
    this.allFinite = allFinite;
  }

  /** {@return the number of elements compared} */
  public int getCount() {
    return count;
  }

  /** {@return the largest {@code |actual - expected|}; {@code +Infinity} for a NaN or an unmatched infinity} */
  public double getMaxAbsError() {
    return maxAbsError;
  }

  /** {@return {@code getMaxAbsError() / max(getMaxAbsExpected(), REL_FLOOR)}} */
  public double getMaxRelError() {
    return maxAbsError / Math.max(maxAbsExpected, REL_FLOOR);
  }

  /** {@return the largest finite {@code |expected|}, or 0 if there is none} */
  public double getMaxAbsExpected() {
    return maxAbsExpected;
  }

  /** {@return the index of the (first) largest error, or -1 when nothing was compared} */
  public int getWorstIndex() {
    return worstIndex;
  }

  /** {@return {@code actual[getWorstIndex()]}, or 0 when nothing was compared} */
  public float getWorstActual() {
    return worstActual;
  }

  /** {@return {@code expected[getWorstIndex()]}, or 0 when nothing was compared} */
  public float getWorstExpected() {
    return worstExpected;
  }

  /** {@return whether every {@code actual} value is finite (an expected {@code -Infinity} lse makes it false)} */
  public boolean isAllFinite() {
    return allFinite;
  }

  /**
   * Whether every element is within the tolerance: {@code getMaxAbsError() <= t.bound(getMaxAbsExpected())}.
   *
   * @param t the dtype's row of the tolerance table
   * @return {@code true} if the kernel passes
   */
  public boolean isWithin(Tolerances t) {
    return maxAbsError <= t.bound(maxAbsExpected);
  }

  /**
   * For assertion messages, e.g.
   * {@code Comparison[count=64, maxAbsError=1.2e-07 at [17] (actual 0.50120, expected 0.50120), maxRelError=..., ...]}.
   */
  @Override
  public String toString() {
    return String.format(Locale.ROOT,
        "Comparison[count=%d, maxAbsError=%.3e at [%d] (actual %s, expected %s), maxRelError=%.3e,"
            + " maxAbsExpected=%.3e, allFinite=%b]",
        count, maxAbsError, worstIndex, worstActual, worstExpected, getMaxRelError(), maxAbsExpected, allFinite);
  }
}
