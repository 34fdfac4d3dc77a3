package org.attn4j.bench.peers;

/**
 * The plain-Java peer: a straightforward single-threaded {@code float} loop with no Vector API, no tiling and no
 * threads; the speed of scalar, auto-vectorized-at-best JIT code.
 *
 * <p>For each batch, head and query row {@code i}: the scores {@code s_j = (q_i . k_j) / sqrt(d)} over the
 * allowed keys, their maximum, {@code p_j = exp(s_j - max)} and their sum, then {@code out_i = sum_j p_j v_j / sum}.
 * All inner loops walk contiguous memory (a row of {@code k}, a row of {@code v} and the output row). Accumulation
 * is in {@code float}; {@code exp} is {@link Math#exp} rounded to {@code float}. In causal mode the keys
 * {@code j > i + (m - n)} are skipped, not masked. The two scratch rows (scores, {@code m} floats, and the output
 * accumulator, {@code d} floats) and the output are allocated once at construction. {@link #setInputs} keeps
 * references to the caller's arrays (no copy) until the next call.
 */
public final class NaiveJavaAttention implements AttentionPeer {

  private final PeerShape shape;
  private final float scale;
  private final float[] scores;
  private final float[] acc;
  private final float[] result;
  private float[] q = new float[0];
  private float[] k = new float[0];
  private float[] v = new float[0];

  /**
   * Creates the peer for one shape.
   *
   * @param b batch size
   * @param h number of heads (query and key/value)
   * @param n query length
   * @param m key/value length
   * @param d head dimension
   * @param causal whether to apply the right-aligned causal mask (requires {@code m >= n})
   * @throws IllegalArgumentException on an invalid shape
   */
  public NaiveJavaAttention(int b, int h, int n, int m, int d, boolean causal) {
    this.shape = new PeerShape(b, h, n, m, d, causal);
    this.scale = (float) (1.0 / Math.sqrt(d));
    this.scores = new float[m];
    this.acc = new float[d];
    this.result = new float[b * h * n * d];
  }

  @Override
  public String name() {
    return "naive-java";
  }

  @Override
  public void setInputs(float[] q, float[] k, float[] v) {
    shape.checkInputs(q, k, v);
    this.q = q;
    this.k = k;
    this.v = v;
  }

  @Override
  public void getOutput(float[] out) {
    shape.checkOutput(out);
    System.arraycopy(result, 0, out, 0, out.length);
  }

  @Override
  public void compute() {
    final float[] q = this.q;
    final float[] k = this.k;
    final float[] v = this.v;
    final float[] out = result;
    final float[] s = scores;
    final float[] a = acc;
    final int heads = shape.b() * shape.h();
    final int n = shape.n();
    final int m = shape.m();
    final int d = shape.d();
    final boolean causal = shape.causal();
    for (int bh = 0; bh < heads; bh++) {
      final int qBase = bh * n * d;
      final int kvBase = bh * m * d;
      for (int i = 0; i < n; i++) {
        final int qRow = qBase + i * d;
        final int jEnd = causal ? i + (m - n) + 1 : m; // exclusive; >= 1 because m >= n when causal
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < jEnd; j++) {
          final int kRow = kvBase + j * d;
          float dot = 0f;
          for (int t = 0; t < d; t++) {
            dot += q[qRow + t] * k[kRow + t];
          }
          dot *= scale;
          s[j] = dot;
          if (dot > max) {
            max = dot;
          }
        }
        float sum = 0f;
        for (int j = 0; j < jEnd; j++) {
          float p = (float) Math.exp(s[j] - max);
          s[j] = p;
          sum += p;
        }
        java.util.Arrays.fill(a, 0f);
        for (int j = 0; j < jEnd; j++) {
          final float p = s[j];
          final int vRow = kvBase + j * d;
          for (int t = 0; t < d; t++) {
            a[t] += p * v[vRow + t];
          }
        }
        final float inv = 1f / sum;
        for (int t = 0; t < d; t++) {
          out[qRow + t] = a[t] * inv;
        }
      }
    }
  }

  /** Does nothing: this peer holds no native resources. */
  @Override
  public void close() {}
}
