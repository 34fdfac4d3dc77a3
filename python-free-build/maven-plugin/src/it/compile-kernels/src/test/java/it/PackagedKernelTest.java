package it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.attn4j.runtime.ArtifactCatalog;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.AttentionKernels;
import org.attn4j.runtime.Dims;
import org.attn4j.runtime.Host;
import org.attn4j.runtime.KernelQuery;
import org.junit.jupiter.api.Test;

/** The plugin's artifacts are on the test class path: found, verified, loaded and run (b 1, h 2, n 3, m 5, d 8). */
class PackagedKernelTest {
  @Test
  void runsThePackagedKernel() throws Exception {
    ArtifactCatalog catalog = ArtifactCatalog.classpath();
    assertTrue(catalog.getEntries().stream().anyMatch(e -> e.getTarget().equals("cpu:x86-64-v2")), catalog::toString);
    KernelQuery q = KernelQuery.of("sdpa_float32_h2kv2_d8").withTarget("cpu");
    assertEquals("cpu:x86-64-v2", AttentionKernels.select(q, catalog, Host.detect()).entry().getTarget());
    int n = 3, m = 5, d = 8;
    float[] qs = fill(2 * n * d, 1), ks = fill(2 * m * d, 2), vs = fill(2 * m * d, 3), out = new float[2 * n * d];
    try (BufferAllocator alloc = new RootAllocator(); AttentionKernel k = AttentionKernels.load(q, catalog)) {
      k.run(Dims.of(1, n, m), alloc, qs, ks, vs, out);
    }
    for (int h = 0; h < 2; h++) {
      for (int i = 0; i < n; i++) {
        double[] s = new double[m];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < m; j++) {
          for (int c = 0; c < d; c++) {
            s[j] += qs[(h * n + i) * d + c] * ks[(h * m + j) * d + c] / Math.sqrt(d);
          }
          max = Math.max(max, s[j]);
        }
        for (int j = 0; j < m; j++) {
          sum += s[j] = Math.exp(s[j] - max);
        }
        for (int c = 0; c < d; c++) {
          double o = 0;
          for (int j = 0; j < m; j++) {
            o += s[j] / sum * vs[(h * m + j) * d + c];
          }
          assertEquals(o, out[(h * n + i) * d + c], 1e-4);
        }
      }
    }
  }

  private static float[] fill(int size, int seed) {
    float[] a = new float[size];
    for (int i = 0; i < size; i++) {
      a[i] = (float) Math.sin(seed * 7.0 + i * 0.37);
    }
    return a;
  }
}
