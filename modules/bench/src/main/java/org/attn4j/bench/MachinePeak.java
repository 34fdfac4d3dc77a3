package org.attn4j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Measures this machine's FP32 peak in the same run as the kernels, two ways.
 *
 * <ul>
 *   <li>{@link #fma}: a C program generated here, with many independent FMA chains on 256-bit (AVX2) or 512-bit
 *       (AVX-512F) registers chosen from {@code /proc/cpuinfo}, compiled with the system {@code cc -O2} into the
 *       work directory and run as a subprocess on {@code t} threads (best of a few repeats). No binary is
 *       committed.
 *   <li>{@link #sgemm}: a square OpenBLAS {@code sgemm}, best of a few calls: what a tuned GEMM reaches.
 * </ul>
 */
public final class MachinePeak {

  /** One measurement. @param probe what was measured @param threads on how many threads @param gflops GFLOP/s */
  public record Peak(String probe, int threads, double gflops) {}

  private MachinePeak() {}

  /**
   * The FMA peak on {@code threads} threads.
   *
   * @param work where the source and binary go
   * @throws IOException if {@code cc} is missing, fails, or the program's output is not a number
   */
  public static Peak fma(int threads, Path work) throws IOException {
    boolean avx512 = cpuFlags().contains(" avx512f");
    String probe = avx512 ? "fma-avx512" : "fma-avx2";
    Path bin = work.resolve(probe);
    if (!Files.isExecutable(bin)) {
      Files.createDirectories(work);
      Path src = work.resolve(probe + ".c");
      Files.writeString(src, source(avx512));
      run(List.of("cc", "-O2", avx512 ? "-mavx512f" : "-mavx2", "-mfma", "-pthread", "-o", bin.toString(),
          src.toString()));
    }
    String out = run(List.of(bin.toString(), Integer.toString(threads), "40000000", "5"));
    try {
      return new Peak(probe, threads, Double.parseDouble(out.trim()));
    } catch (NumberFormatException e) {
      throw new IOException(bin + " printed '" + out + "', expected GFLOP/s", e);
    }
  }

  /**
   * The OpenBLAS {@code sgemm} rate for {@code C[s, s] = A[s, s] B[s, s]}, best of 5 after one warm-up call; leaves
   * OpenBLAS at {@code threads} threads.
   */
  public static Peak sgemm(int threads, int size) {
    openblas_nolapack.blas_set_num_threads(threads);
    long count = (long) size * size;
    try (FloatPointer a = new FloatPointer(count); FloatPointer b = new FloatPointer(count);
        FloatPointer c = new FloatPointer(count)) {
      for (long i = 0; i < count; i++) {
        a.put(i, (i % 7) * 0.1f);
        b.put(i, (i % 5) * 0.1f);
      }
      long best = Long.MAX_VALUE;
      for (int r = 0; r < 6; r++) {
        long t0 = System.nanoTime();
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
            openblas_nolapack.CblasNoTrans, size, size, size, 1f, a, size, b, size, 0f, c, size);
        long t = System.nanoTime() - t0;
        best = r == 0 ? best : Math.min(best, t);
      }
      return new Peak("sgemm-openblas-" + size, threads, 2.0 * size * size * size / best);
    }
  }

  /** The flags line of {@code /proc/cpuinfo} with a leading space, or empty if unreadable. */
  static String cpuFlags() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("flags")) {
          return " " + line.substring(line.indexOf(':') + 1).trim() + " ";
        }
      }
    } catch (IOException e) {
      // no flags: AVX2 is tried, and cc or the run reports a failure
    }
    return "";
  }

  /** The CPU model name from {@code /proc/cpuinfo}, or {@code "unknown"}. */
  static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // falls through
    }
    return "unknown";
  }

  /**
   * The probe's C source: {@code chains} accumulators {@code acc = acc * a + c} per thread (independent, so the
   * FMA pipes stay full despite their latency), unrolled by hand so no compiler flag is needed for it. Prints the
   * best GFLOP/s over the repeats: {@code threads * iters * chains * lanes * 2 / seconds}.
   */
  static String source(boolean avx512) {
    int chains = avx512 ? 24 : 12;
    String vec = avx512 ? "__m512" : "__m256";
    String pre = avx512 ? "_mm512" : "_mm256";
    int lanes = avx512 ? 16 : 8;
    StringBuilder body = new StringBuilder();
    StringBuilder init = new StringBuilder();
    StringBuilder sum = new StringBuilder();
    for (int c = 0; c < chains; c++) {
      init.append(String.format(Locale.ROOT, "  %s x%d = %s_set1_ps(%d.0f * seed);%n", vec, c, pre, c + 1));
      body.append(String.format(Locale.ROOT, "    x%d = %s_fmadd_ps(x%d, a, c);%n", c, pre, c));
    }
    sum.append("  ").append(vec).append(" s = x0;\n");
    for (int c = 1; c < chains; c++) {
      sum.append(String.format(Locale.ROOT, "  s = %s_add_ps(s, x%d);%n", pre, c));
    }
    return """
        #include <immintrin.h>
        #include <pthread.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <time.h>
        static long iters;
        static float sink[1024];
        static void *work(void *arg) {
          long id = (long) arg;
          float seed = 1e-3f * (float) (id + 1);
          VEC a = PRE_set1_ps(0.999999f), c = PRE_set1_ps(1e-6f);
        INIT  for (long i = 0; i < iters; i++) {
        BODY  }
        SUM  float out[LANES];
          PRE_storeu_ps(out, s);
          for (int l = 0; l < LANES; l++) sink[id] += out[l];
          return NULL;
        }
        int main(int argc, char **argv) {
          int threads = atoi(argv[1]);
          iters = atol(argv[2]);
          int reps = atoi(argv[3]);
          double best = 0;
          pthread_t t[1024];
          for (int r = 0; r < reps; r++) {
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            for (long i = 0; i < threads; i++) pthread_create(&t[i], NULL, work, (void *) i);
            for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double s = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
            double gflops = (double) threads * iters * CHAINS * LANES * 2 / s / 1e9;
            if (gflops > best) best = gflops;
          }
          if (sink[0] == 12345.0f) printf("#");
          printf("%.3f\\n", best);
          return 0;
        }
        """.replace("INIT", init).replace("BODY", body).replace("SUM", sum).replace("VEC", vec)
        .replace("PRE", pre).replace("CHAINS", Integer.toString(chains)).replace("LANES", Integer.toString(lanes));
  }

  /** Runs a command, returns its standard output; throws with its output if it fails or takes over 2 minutes. */
  private static String run(List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " failed: " + out);
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + command, e);
    }
  }
}
