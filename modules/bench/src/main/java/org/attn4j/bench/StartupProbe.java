package org.attn4j.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.attn4j.reference.TestData;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;
import org.attn4j.tvm.TvmNatives;

/**
 * Measures start-up: the time from JVM start to the first result of an existing artifact, and the resident memory
 * then ({@code VmRSS} and its peak {@code VmHWM} from {@code /proc/self/status}). Run it once per fresh JVM.
 *
 * <p>Modes: {@code runtime} loads the artifact with the runtime only ({@link AttentionKernel#load}); {@code
 * compiler} first loads the TVM compiler ({@link TvmNatives#ensureCompiler}, which must come before the runtime
 * flavour), as a process that builds and runs would. The call is {@code b = 1, n = m = 128} with the artifact's
 * {@code h} and {@code d}, through the copying {@code float[]} overload.
 *
 * <pre>{@code
 * java -cp ... org.attn4j.bench.StartupProbe runtime target/bench/work/artifacts/sdpa_f32_h8kv8_d64-cpu-x86-64-v3
 * }</pre>
 * Prints one CSV line: {@code mode,first_result_ms,vmrss_kb,vmhwm_kb}.
 */
public final class StartupProbe {

  private StartupProbe() {}

  /**
   * Runs the probe.
   *
   * @param args {@code runtime|compiler} and the artifact directory
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 2 || !(args[0].equals("runtime") || args[0].equals("compiler"))) {
      System.err.println("usage: StartupProbe runtime|compiler <artifact dir>");
      System.exit(2);
    }
    if (args[0].equals("compiler")) {
      TvmNatives.ensureCompiler(false);
    }
    int n = 128;
    try (AttentionKernel kernel = AttentionKernel.load(Path.of(args[1]));
        BufferAllocator alloc = new RootAllocator()) {
      int h = ((Number) kernel.getManifest().spec().get("heads")).intValue();
      int d = ((Number) kernel.getManifest().spec().get("head_dim")).intValue();
      float[] q = TestData.uniform(1, h * n * d, -1, 1);
      float[] out = new float[h * n * d];
      kernel.run(Dims.of(1, n, n), alloc, q, q, q, out);
      double ms = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
      if (!Float.isFinite(out[0])) {
        throw new IllegalStateException("the first result is not finite: " + out[0]);
      }
      System.out.printf(Locale.ROOT, "%s,%.0f,%d,%d%n", args[0], ms, status("VmRSS"), status("VmHWM"));
    }
  }

  /** A {@code kB} field of {@code /proc/self/status}, or -1. */
  static long status(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
