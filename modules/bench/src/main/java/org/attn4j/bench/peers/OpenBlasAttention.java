package org.attn4j.bench.peers;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.jspecify.annotations.Nullable;

/**
 * The OpenBLAS peer: per head, {@code S = q k^T / sqrt(d)} with one {@code cblas_sgemm}, a row softmax in Java over
 * {@code S} (with the causal mask), then {@code out = P v} with a second {@code cblas_sgemm}. This is full attention,
 * not GEMMs alone: the softmax (a pass over the {@code n x m} scores, not counted in the FLOPs) is in the timed
 * region, and the GEMMs always compute the whole {@code n x m} block, also when causal.
 *
 * <p>Threads: the {@code b*h} heads are split into {@code threads} contiguous ranges run in parallel, each with its
 * own {@code n x m} score buffer, and OpenBLAS runs single-threaded inside each ({@code blas_set_num_threads(1)},
 * process-wide). Inputs and output live in native memory allocated once; {@link #setInputs} and
 * {@link #getOutput} copy.
 */
public final class OpenBlasAttention extends NativePeer {

  private final PeerShape shape;
  private final int threads;
  private final FloatPointer q;
  private final FloatPointer k;
  private final FloatPointer v;
  private final FloatPointer out;
  private final List<Callable<Void>> workers = new ArrayList<>();
  private final List<FloatPointer> scores = new ArrayList<>();
  private final @Nullable ExecutorService pool;

  /**
   * Allocates the native buffers and, for {@code threads > 1}, a pool of {@code threads - 1} daemon threads.
   * Caller must close.
   *
   * @throws IllegalArgumentException on an invalid shape or thread count
   */
  public OpenBlasAttention(int b, int h, int n, int m, int d, boolean causal, int threads) {
    this.shape = new PeerShape(b, h, n, m, d, causal);
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    this.threads = threads;
    openblas_nolapack.blas_set_num_threads(1);
    this.q = new FloatPointer((long) b * h * n * d);
    this.k = new FloatPointer((long) b * h * m * d);
    this.v = new FloatPointer((long) b * h * m * d);
    this.out = new FloatPointer((long) b * h * n * d);
    int heads = b * h;
    int parts = Math.min(threads, heads);
    for (int p = 0; p < parts; p++) {
      FloatPointer s = new FloatPointer((long) n * m);
      scores.add(s);
      int from = heads * p / parts;
      int to = heads * (p + 1) / parts;
      workers.add(() -> {
        heads(from, to, s);
        return null;
      });
    }
    this.pool = parts > 1 ? Executors.newFixedThreadPool(parts - 1, r -> {
      Thread t = new Thread(r, "openblas-peer");
      t.setDaemon(true);
      return t;
    }) : null;
  }

  @Override
  public String name() {
    return "openblas-sgemm+softmax-" + threads + "t";
  }

  @Override
  public String getNote() {
    return "two cblas_sgemm per head (full n x m also when causal) + Java softmax; heads split over threads";
  }

  @Override
  public void setInputs(float[] qs, float[] ks, float[] vs) {
    checkOpen();
    shape.checkInputs(qs, ks, vs);
    q.put(qs);
    k.put(ks);
    v.put(vs);
  }

  @Override
  public void compute() {
    checkOpen();
    if (pool == null) {
      heads(0, shape.b() * shape.h(), scores.get(0));
      return;
    }
    List<Future<Void>> running = new ArrayList<>();
    for (int p = 1; p < workers.size(); p++) {
      running.add(pool.submit(workers.get(p)));
    }
    heads(0, shape.b() * shape.h() / workers.size(), scores.get(0));
    try {
      for (Future<Void> f : running) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("an OpenBLAS worker failed", e.getCause());
    }
  }

  /** Heads {@code [from, to)} with score buffer {@code s}. */
  private void heads(int from, int to, FloatPointer s) {
    int n = shape.n();
    int m = shape.m();
    int d = shape.d();
    float scale = (float) (1.0 / Math.sqrt(d));
    FloatBuffer sb = s.asBuffer();
    float[] row = new float[m];
    for (int hh = from; hh < to; hh++) {
      FloatPointer qh = new FloatPointer(q).position((long) hh * n * d);
      FloatPointer kh = new FloatPointer(k).position((long) hh * m * d);
      FloatPointer vh = new FloatPointer(v).position((long) hh * m * d);
      FloatPointer oh = new FloatPointer(out).position((long) hh * n * d);
      // (1) scores: S [n, m] = scale * q k^T
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, d, scale, qh, d, kh, d, 0f, s, m);
      // (2) softmax per row over the visible keys j <= i + (m - n); the masked tail becomes 0
      for (int i = 0; i < n; i++) {
        int visible = shape.causal() ? i + (m - n) + 1 : m;
        sb.get(i * m, row, 0, visible);
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < visible; j++) {
          max = Math.max(max, row[j]);
        }
        float sum = 0f;
        for (int j = 0; j < visible; j++) {
          row[j] = (float) Math.exp(row[j] - max);
          sum += row[j];
        }
        float inv = 1f / sum;
        for (int j = 0; j < visible; j++) {
          row[j] *= inv;
        }
        java.util.Arrays.fill(row, visible, m, 0f);
        sb.put(i * m, row, 0, m);
      }
      // (3) output: out [n, d] = P v
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, m, 1f, s, m, vh, d, 0f, oh, d);
    }
  }

  @Override
  public void getOutput(float[] result) {
    checkOpen();
    shape.checkOutput(result);
    out.get(result);
  }

  /** Stops the pool and frees the native buffers. */
  @Override
  protected void release() {
    if (pool != null) {
      pool.shutdownNow();
    }
    for (FloatPointer p : List.of(q, k, v, out)) {
      p.close();
    }
    scores.forEach(FloatPointer::close);
  }
}
