package org.attn4j.bench;

import java.util.Locale;

/**
 * One benchmark shape in einops letters: {@code q [b, h, n, d]}, {@code k, v [b, h, m, d]}, float32, forward,
 * causal (right-aligned) or not.
 *
 * <p>Written {@code BxHxNxMxD}, or {@code BxHxNxD} for {@code m = n}, with a {@code c} suffix for causal:
 * {@code 1x8x1024x1024x64}, {@code 1x8x1024x64c}.
 *
 * @param b batch
 * @param h heads
 * @param n queries
 * @param m keys
 * @param d head dim
 * @param causal right-aligned causal mask
 */
public record Shape(int b, int h, int n, int m, int d, boolean causal) {

  /** Checks every dimension is positive and causal shapes have {@code m >= n}. */
  public Shape {
    if (b < 1 || h < 1 || n < 1 || m < 1 || d < 1) {
      throw new IllegalArgumentException("shape: expected b, h, n, m, d >= 1, got " + text(b, h, n, m, d, causal));
    }
    if (causal && m < n) {
      throw new IllegalArgumentException("shape: causal needs m >= n (right-aligned), got n=" + n + " m=" + m);
    }
  }

  /**
   * Parses {@code BxHxNxMxD[c]} or {@code BxHxNxD[c]}.
   *
   * @throws IllegalArgumentException naming the text and the expected form
   */
  public static Shape parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    boolean causal = t.endsWith("c");
    String[] parts = (causal ? t.substring(0, t.length() - 1) : t).split("x");
    try {
      int[] v = new int[parts.length];
      for (int i = 0; i < v.length; i++) {
        v[i] = Integer.parseInt(parts[i]);
      }
      if (v.length == 5) {
        return new Shape(v[0], v[1], v[2], v[3], v[4], causal);
      }
      if (v.length == 4) {
        return new Shape(v[0], v[1], v[2], v[2], v[3], causal);
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException(
        "shape: expected BxHxNxMxD or BxHxNxD, optional c suffix for causal (1x8x1024x1024x64c), got '" + text + "'");
  }

  /** FLOPs of one call, {@code 4 b h n m d} (two GEMMs), halved when causal; softmax and exp not counted. */
  public double flops() {
    return 4.0 * b * h * n * m * d * (causal ? 0.5 : 1.0);
  }

  /** {@code b*h*n*d}, the number of query and output values. */
  public int qSize() {
    return b * h * n * d;
  }

  /** {@code b*h*m*d}, the number of key (and value) values. */
  public int kvSize() {
    return b * h * m * d;
  }

  /** The canonical text, {@code BxHxNxMxD} plus {@code c} when causal; {@link #parse} reads it back. */
  @Override
  public String toString() {
    return text(b, h, n, m, d, causal);
  }

  private static String text(int b, int h, int n, int m, int d, boolean causal) {
    return b + "x" + h + "x" + n + "x" + m + "x" + d + (causal ? "c" : "");
  }
}
