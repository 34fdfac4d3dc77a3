package org.attn4j.samples.aot;

import java.lang.management.ManagementFactory;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.attn4j.runtime.ArtifactCatalog;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.AttentionKernels;
import org.attn4j.runtime.Dims;
import org.attn4j.runtime.Host;
import org.attn4j.runtime.KernelQuery;
import org.attn4j.runtime.Manifest;

/**
 * Finds the two kernels the build compiled (on the class path), shows which target each would get on this
 * machine, and runs them on the CPU on Arrow vectors (zero copy), checked against a naive Java computation.
 */
public final class Main {
  private Main() {}

  /** Runs the sample; prints what it did and the start-up time. */
  public static void main(String[] args) throws Exception {
    long t0 = System.nanoTime();
    ArtifactCatalog catalog = ArtifactCatalog.classpath();
    Host host = Host.detect();
    System.out.println("found " + catalog.getEntries().size() + " artifacts; host CPU level " + host.getCpuLevel());
    int b = 1, n = 128, m = 128;
    try (BufferAllocator alloc = new RootAllocator()) {
      for (String variant : new String[] {"sdpa_float32_h8kv8_d64_causal", "sdpa_float32_h8kv2_d64_tiled_lse"}) {
        AttentionKernels.Selection auto = AttentionKernels.select(KernelQuery.of(variant), catalog, host);
        System.out.println(variant + ": automatic choice " + auto.entry().getTarget() + " on " + auto.device());
        long l0 = System.nanoTime();
        try (AttentionKernel kernel = AttentionKernels.load(KernelQuery.of(variant).withTarget("cpu"), catalog, host)) {
          double loadMs = (System.nanoTime() - l0) / 1e6;
          double err = run(kernel, alloc, b, n, m);
          System.out.printf("  ran %s on Arrow vectors (b %d, n %d, m %d): max |out - naive| = %.2e; load %.0f ms%n",
              kernel.getManifest().target().get("level"), b, n, m, err, loadMs);
          if (!(err < 1e-4)) {
            throw new IllegalStateException(variant + ": output differs from the naive computation by " + err);
          }
        }
      }
    }
    long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    System.out.printf("start-up: %.0f ms from JVM start, %.0f ms in main (discovery, extraction, load, two runs)%n",
        (double) (System.currentTimeMillis() - jvmStart), (System.nanoTime() - t0) / 1e6);
  }

  /** Runs {@code kernel} on random q, k, v ([b h n d], [b h_kv m d]) and returns the largest error. */
  private static double run(AttentionKernel kernel, BufferAllocator alloc, int b, int n, int m) {
    Manifest mf = kernel.getManifest();
    int h = ((Number) mf.spec().get("heads")).intValue();
    int hkv = ((Number) mf.spec().get("kv_heads")).intValue();
    int d = ((Number) mf.spec().get("head_dim")).intValue();
    boolean causal = !mf.spec().get("causal").equals("NONE");
    boolean lse = Boolean.TRUE.equals(mf.spec().get("lse"));
    Random rnd = new Random(42);
    try (Float4Vector q = vector(alloc, "q", b * h * n * d, rnd);
        Float4Vector k = vector(alloc, "k", b * hkv * m * d, rnd);
        Float4Vector v = vector(alloc, "v", b * hkv * m * d, rnd);
        Float4Vector out = output(alloc, "out", b * h * n * d);
        Float4Vector l = output(alloc, "lse", b * h * n)) {
      if (lse) {
        kernel.run(Dims.of(b, n, m), q, k, v, out, l);
      } else {
        kernel.run(Dims.of(b, n, m), q, k, v, out);
      }
      double worst = 0;
      for (int bh = 0; bh < b * h; bh++) {
        int kvh = (bh / h) * hkv + (bh % h) % hkv; // TILED heads (x-transformers): head hh reads kv head hh % h_kv
        for (int i = 0; i < n; i++) {
          double[] p = new double[m];
          double max = Double.NEGATIVE_INFINITY;
          double sum = 0;
          int last = causal ? i + m - n : m - 1; // bottom-right causal: query i sees keys up to i + m - n
          for (int j = 0; j <= last; j++) {
            for (int c = 0; c < d; c++) {
              p[j] += q.get((bh * n + i) * d + c) * k.get((kvh * m + j) * d + c) / Math.sqrt(d);
            }
            max = Math.max(max, p[j]);
          }
          for (int j = 0; j <= last; j++) {
            sum += p[j] = Math.exp(p[j] - max);
          }
          for (int c = 0; c < d; c++) {
            double o = 0;
            for (int j = 0; j <= last; j++) {
              o += p[j] / sum * v.get((kvh * m + j) * d + c);
            }
            worst = Math.max(worst, Math.abs(o - out.get((bh * n + i) * d + c)));
          }
        }
      }
      return worst;
    }
  }

  private static Float4Vector vector(BufferAllocator alloc, String name, int size, Random rnd) {
    Float4Vector vec = new Float4Vector(name, alloc);
    vec.allocateNew(size);
    for (int i = 0; i < size; i++) {
      vec.set(i, (float) rnd.nextGaussian());
    }
    vec.setValueCount(size);
    return vec;
  }

  private static Float4Vector output(BufferAllocator alloc, String name, int size) {
    Float4Vector vec = new Float4Vector(name, alloc);
    vec.setInitialCapacity(size);
    vec.allocateNew();
    return vec;
  }
}
