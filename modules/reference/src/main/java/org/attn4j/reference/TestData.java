package org.attn4j.reference;

import java.util.SplittableRandom;

/**
 * Deterministic test inputs: the same seed gives the same values on every JVM and platform.
 *
 * <p>Example: {@code float[] q = TestData.uniform(42, o.getQSize(), -1f, 1f);}
 */
public final class TestData {
  private TestData() {}

  /**
   * {@code count} floats drawn uniformly from {@code [lo, hi)} with {@link SplittableRandom} seeded by
   * {@code seed} (each drawn as a double, then rounded to float, which may round up to {@code hi}).
   *
   * @param seed the seed
   * @param count how many values, {@code >= 0}
   * @param lo the lower bound, finite
   * @param hi the upper bound, finite and {@code >= lo} ({@code lo == hi} fills with {@code lo})
   * @return a new array owned by the caller
   * @throws IllegalArgumentException if {@code count < 0}, a bound is not finite, or {@code lo > hi}
   */
  public static float[] uniform(long seed, int count, float lo, float hi) {
    if (count < 0) {
      throw new IllegalArgumentException("count = " + count + " must be >= 0");
    }
    if (!Float.isFinite(lo) || !Float.isFinite(hi)) {
      throw new IllegalArgumentException("lo = " + lo + " and hi = " + hi + " must both be finite");
    }
    if (lo > hi) {
      throw new IllegalArgumentException("lo = " + lo + " is greater than hi = " + hi);
    }
    float[] values = new float[count];
    SplittableRandom random = new SplittableRandom(seed);
    for (int idx = 0; idx < count; idx++) {
      values[idx] = lo == hi ? lo : (float) random.nextDouble(lo, hi);
    }
    return values;
  }
}
