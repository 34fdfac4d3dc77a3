import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.TreeSet;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;
import org.attn4j.runtime.Manifest;
import org.attn4j.tvm.TvmNatives;

/**
 * Run with attn4j-runtime's dependency set only (ci/runtime-size.sh, Java's source launcher): loads one CPU
 * artifact, runs it on random Arrow vectors, checks it against a naive Java computation, and prints the natives
 * the process mapped. Exit 0 on success, 1 on any mismatch or if a compiler library was mapped.
 */
public final class RunArtifact {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int b = 1, n = 100, m = 130;
    double worst;
    try (BufferAllocator alloc = new RootAllocator(); AttentionKernel kernel = AttentionKernel.load(dir)) {
      Manifest mf = kernel.getManifest();
      int h = ((Number) mf.spec().get("heads")).intValue();
      int hkv = ((Number) mf.spec().get("kv_heads")).intValue();
      int d = ((Number) mf.spec().get("head_dim")).intValue();
      boolean causal = !mf.spec().get("causal").equals("NONE");
      Random rnd = new Random(7);
      try (Float4Vector q = filled(alloc, "q", b * h * n * d, rnd);
          Float4Vector k = filled(alloc, "k", b * hkv * m * d, rnd);
          Float4Vector v = filled(alloc, "v", b * hkv * m * d, rnd);
          Float4Vector out = new Float4Vector("out", alloc)) {
        out.setInitialCapacity(b * h * n * d);
        out.allocateNew();
        kernel.run(Dims.of(b, n, m), q, k, v, out);
        worst = 0;
        for (int bh = 0; bh < b * h; bh++) {
          int kvh = (bh / h) * hkv + (bh % h) % hkv;
          for (int i = 0; i < n; i++) {
            int last = causal ? i + m - n : m - 1;
            double[] p = new double[m];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
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
      }
    }
    TreeSet<String> libs = new TreeSet<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
      int slash = line.lastIndexOf('/');
      if (slash >= 0 && line.contains(".so") && !line.contains("/jvm/") && !line.contains("/jdk")
          && !line.matches(".* /(usr/)?lib(64|/x86_64-linux-gnu)?/.*")) {
        libs.add(line.substring(line.indexOf('/')));
      }
    }
    System.out.println("natives mapped besides the JDK's and the system's:");
    libs.forEach(l -> System.out.println("  " + l));
    System.out.println("flavour " + TvmNatives.loadedFlavor() + ", stand-ins " + TvmNatives.standIns());
    boolean compiler = libs.stream().anyMatch(l -> l.endsWith("/libtvm.so") || l.contains("libLLVM"));
    System.out.printf("%s: max |out - naive| = %.2e (b %d, n %d, m %d)%n", dir.getFileName(), worst, b, n, m);
    if (compiler || !(worst < 1e-4)) {
      System.out.println(compiler ? "FAIL: the compiler was mapped" : "FAIL: output differs from the naive computation");
      System.exit(1);
    }
    System.out.println("OK");
  }

  private static Float4Vector filled(BufferAllocator alloc, String name, int size, Random rnd) {
    Float4Vector vec = new Float4Vector(name, alloc);
    vec.allocateNew(size);
    for (int i = 0; i < size; i++) {
      vec.set(i, (float) rnd.nextGaussian());
    }
    vec.setValueCount(size);
    return vec;
  }
}
