package org.attn4j.bench.peers;

/**
 * One implementation of scaled dot-product attention (forward only) that a benchmark measures against.
 *
 * <p>Layout, all row-major {@code float} arrays: {@code q [b, h, n, d]}, {@code k [b, h, m, d]},
 * {@code v [b, h, m, d]}, {@code out [b, h, n, d]}. The number of key/value heads equals the number of query heads.
 * The scale is {@code 1/sqrt(d)}. The shape and whether the attention is causal are fixed when the peer is
 * constructed. Causal masking is right-aligned: query row {@code i} attends to key columns
 * {@code j <= i + (m - n)}; causal peers require {@code m >= n} so that every row has at least one key (the
 * benchmarks use {@code m == n}).
 *
 * <p>A peer is not thread-safe: call {@link #run} from one thread at a time. {@link #close} releases native
 * resources, if any; a peer must not be used after it is closed.
 */
public interface AttentionPeer extends AutoCloseable {

  /**
   * A short label for reports, naming the implementation and, where it matters, its thread count.
   *
   * @return the label, for example {@code "naive-java"} or {@code "onnxruntime-Attention23-2t"}
   */
  String name();

  /**
   * Computes {@code out = softmax(q k^T / sqrt(d) [+ causal mask]) v} for every batch and head.
   *
   * @param q queries, {@code b*h*n*d} values
   * @param k keys, {@code b*h*m*d} values
   * @param v values, {@code b*h*m*d} values
   * @param out receives the result, {@code b*h*n*d} values; every element is overwritten
   * @throws IllegalArgumentException if an array's length does not match the shape given at construction
   */
  void run(float[] q, float[] k, float[] v, float[] out);

  /** Releases native resources held by this peer; does nothing for pure-Java peers. */
  @Override
  void close();

  /**
   * Checks the four array lengths against a shape.
   *
   * @throws IllegalArgumentException on a mismatch
   */
  static void checkLengths(float[] q, float[] k, float[] v, float[] out, int b, int h, int n, int m, int d) {
    long qLen = (long) b * h * n * d;
    long kvLen = (long) b * h * m * d;
    if (q.length != qLen || out.length != qLen || k.length != kvLen || v.length != kvLen) {
      throw new IllegalArgumentException(
          "expected q/out length " + qLen + " and k/v length " + kvLen + " for b=" + b + " h=" + h + " n=" + n
              + " m=" + m + " d=" + d + ", got q=" + q.length + " k=" + k.length + " v=" + v.length + " out="
              + out.length);
    }
  }

  /**
   * Validates a shape for a peer constructor.
   *
   * @throws IllegalArgumentException if a dimension is not positive, a tensor is too large for a Java array,
   *     or the attention is causal with {@code m < n}
   */
  static void checkShape(int b, int h, int n, int m, int d, boolean causal) {
    if (b <= 0 || h <= 0 || n <= 0 || m <= 0 || d <= 0) {
      throw new IllegalArgumentException(
          "dimensions must be positive: b=" + b + " h=" + h + " n=" + n + " m=" + m + " d=" + d);
    }
    if ((long) b * h * Math.max(n, m) * d > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("tensor too large for a Java array");
    }
    if (causal && m < n) {
      throw new IllegalArgumentException("causal attention needs m >= n (right-aligned), got n=" + n + " m=" + m);
    }
  }
}
