package org.attn4j.reference;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** Argument checks shared by the oracles; every message names the argument, what was expected and what was found. */
final class Checks {
  private Checks() {}

  /** Throws unless {@code array} holds {@code expected} floats: {@code "q: expected b*h*n*d = 64 floats, got 60"}. */
  static void length(String name, String formula, long expected, float[] array) {
    Objects.requireNonNull(array, name);
    if (array.length != expected) {
      throw new IllegalArgumentException(
          name + ": expected " + formula + " = " + expected + " floats, got " + array.length);
    }
  }

  /** Throws if {@code array} is the very same array as {@code other} (an output aliasing an input). */
  static void distinct(String name, float[] array, String otherName, float[] other) {
    if (array == other) {
      throw new IllegalArgumentException(name + ": must not be the same array as " + otherName);
    }
  }

  /** Checks the output arrays of an attention call: lengths, and no aliasing of each other or of an input. */
  static void outputs(CoreAttentionOracle.Options o, float[] out, float @Nullable [] lse, float[] q, float[] k,
      float[] v) {
    length("out", "b*h*n*d", o.getQSize(), out);
    distinct("out", out, "q", q);
    distinct("out", out, "k", k);
    distinct("out", out, "v", v);
    if (lse != null) {
      length("lse", "b*h*n", o.getLseSize(), lse);
      distinct("lse", lse, "q", q);
      distinct("lse", lse, "k", k);
      distinct("lse", lse, "v", v);
      distinct("lse", lse, "out", out);
    }
  }

  /** Throws unless {@code found == expected}: {@code "table: expected h = 4 heads, got 3"}. */
  static void equal(String name, String what, int expected, int found) {
    if (found != expected) {
      throw new IllegalArgumentException(name + ": expected " + what + " = " + expected + ", got " + found);
    }
  }

  /** Throws unless {@code value} is finite. */
  static double finite(String name, double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException(name + " = " + value + ": expected a finite value");
    }
    return value;
  }

  /** The logistic sigmoid {@code 1 / (1 + e^-x)}. */
  static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  /** {@code log sigmoid(x) = -log(1 + e^-x)}, computed without overflow for large {@code |x|}. */
  static double logSigmoid(double x) {
    return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
  }

  /** {@code sum_c a[aOffset + c] * b[bOffset + c]} for {@code c < count}, in double. */
  static double dot(float[] a, int aOffset, float[] b, int bOffset, int count) {
    double sum = 0;
    for (int c = 0; c < count; c++) {
      sum += (double) a[aOffset + c] * (double) b[bOffset + c];
    }
    return sum;
  }
}
