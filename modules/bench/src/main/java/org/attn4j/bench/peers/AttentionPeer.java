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
 * <p>A call is split in three so that a benchmark times only the computation: {@link #setInputs} stages the
 * inputs in the peer's own buffers (a copy where the peer needs native memory), {@link #compute} runs the attention
 * on them into the peer's own output buffer (the timed region), and {@link #getOutput} copies that out.
 * {@link #run} does all three. Every peer allocates its buffers once, at construction.
 *
 * <p>A peer is not thread-safe: call it from one thread at a time. {@link #close} releases native resources, if
 * any; a peer must not be used after it is closed.
 */
public interface AttentionPeer extends AutoCloseable {

  /**
   * A short label for reports, naming the implementation and, where it matters, its thread count.
   *
   * @return the label, for example {@code "naive-java"} or {@code "onnxruntime-Attention23-2t"}
   */
  String name();

  /**
   * Stages the inputs for {@link #compute}. Borrows the arrays for the duration of the call only (peers that keep
   * a reference say so).
   *
   * @param q queries, {@code b*h*n*d} values
   * @param k keys, {@code b*h*m*d} values
   * @param v values, {@code b*h*m*d} values
   * @throws IllegalArgumentException if an array's length does not match the shape given at construction
   */
  void setInputs(float[] q, float[] k, float[] v);

  /**
   * Computes {@code out = softmax(q k^T / sqrt(d) [+ causal mask]) v} for every batch and head, from the staged
   * inputs into the peer's output buffer; this is what benchmarks time.
   */
  void compute();

  /**
   * Copies the result of the last {@link #compute} into {@code out}.
   *
   * @param out receives {@code b*h*n*d} values; every element is overwritten
   * @throws IllegalArgumentException if its length does not match the shape given at construction
   */
  void getOutput(float[] out);

  /**
   * Equivalent to {@code setInputs(q, k, v); compute(); getOutput(out)}.
   *
   * @throws IllegalArgumentException if an array's length does not match the shape given at construction
   */
  default void run(float[] q, float[] k, float[] v, float[] out) {
    setInputs(q, k, v);
    compute();
    getOutput(out);
  }

  /**
   * A line for reports about how the peer was set up (what it built or loaded, what it copies), or empty.
   *
   * @return the note, never null
   */
  default String getNote() {
    return "";
  }

  /** Releases native resources held by this peer; does nothing for pure-Java peers. */
  @Override
  void close();

  /**
   * Checks an array's length.
   *
   * @throws IllegalArgumentException naming the array, e.g. {@code "k: expected b*h*m*d = 64 floats, got 60"}
   */
  static void checkLength(String name, float[] a, int... dims) {
    long want = 1;
    for (int x : dims) {
      want *= x;
    }
    if (a.length != want) {
      throw new IllegalArgumentException(name + ": expected " + (name.equals("q") || name.equals("out")
          ? "b*h*n*d" : "b*h*m*d") + " = " + want + " floats, got " + a.length);
    }
  }

  /**
   * Checks {@code q}, {@code k} and {@code v} against {@code [b, h, n, d]} and {@code [b, h, m, d]}.
   *
   * @throws IllegalArgumentException on a mismatch, naming the array
   */
  static void checkInputs(float[] q, float[] k, float[] v, int b, int h, int n, int m, int d) {
    checkLength("q", q, b, h, n, d);
    checkLength("k", k, b, h, m, d);
    checkLength("v", v, b, h, m, d);
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
