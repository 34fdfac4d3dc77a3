package org.attn4j.bench.gpu;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.attn4j.reference.Causal;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.HeadMapping;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Device;
import org.attn4j.runtime.DeviceArray;
import org.attn4j.runtime.Dims;
import org.attn4j.runtime.Manifest;
import org.attn4j.tvm.TvmNatives;
import org.jspecify.annotations.Nullable;

/**
 * Conformance and timing of attention artifacts on their own device, with the runtime flavour only (no compiler):
 * for each artifact directory, random {@code q [b h n d]}, {@code k, v [b h_kv m d]} (and key lengths {@code [b]})
 * go host -> {@link DeviceArray} -> kernel -> host for a table of shapes (n = m, n < m, n > m, b > 1), every
 * output (and {@code lse [b h n]}) is compared with {@link CoreAttentionOracle} under {@link Tolerances#FP32},
 * and artifacts with {@code h = 8, d = 64} are timed at {@code b=1 n=m=1024}: wall time of many calls after a
 * device synchronisation, median of rounds.
 *
 * <pre>
 * GpuCheck [--require-device] [--seed S] ARTIFACT_DIR...
 * </pre>
 *
 * Exit code 0 when everything passed, 1 on a mismatch or error, 2 on bad usage, 3 when {@code --require-device}
 * is given and an artifact's device is missing (otherwise that artifact is reported as SKIP, never as a pass).
 */
public final class GpuCheck {
  /** A call's symbolic dims. */
  record Shape(int b, int n, int m) {}

  static final List<Shape> SHAPES = List.of(new Shape(1, 1, 1), new Shape(2, 5, 7), new Shape(1, 64, 64),
      new Shape(2, 33, 100), new Shape(3, 100, 33), new Shape(1, 256, 256), new Shape(2, 200, 511),
      new Shape(1, 1024, 1024));
  static final Shape TIMED = new Shape(1, 1024, 1024);

  private int failures;
  private int skipped;
  private final PrintStream out;
  private final long seed;

  private GpuCheck(PrintStream out, long seed) {
    this.out = out;
    this.seed = seed;
  }

  /** Entry point; exits with the code described above. */
  public static void main(String[] args) {
    System.exit(run(args, System.out));
  }

  /** Runs the check; returns the exit code. */
  public static int run(String[] args, PrintStream out) {
    boolean requireDevice = false;
    long seed = System.nanoTime();
    List<Path> dirs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--require-device" -> requireDevice = true;
        case "--seed" -> seed = Long.parseLong(args[++i]);
        default -> dirs.add(Path.of(args[i]));
      }
    }
    if (dirs.isEmpty()) {
      out.println("usage: GpuCheck [--require-device] [--seed S] ARTIFACT_DIR...");
      return 2;
    }
    // The GPU build's runtime runs CPU modules too; use it whenever its natives are on the class path.
    boolean gpuRuntime = GpuCheck.class.getResource("/org/bytedeco/tvm/linux-x86_64-gpu/libtvm_runtime.so") != null;
    TvmNatives.load(gpuRuntime ? TvmNatives.Flavor.RUNTIME_CUDA : TvmNatives.Flavor.RUNTIME);
    out.printf("GpuCheck: java %s, TVM natives %s, seed %d%n", System.getProperty("java.version"),
        TvmNatives.loadedFlavor(), seed);
    GpuCheck c = new GpuCheck(out, seed);
    for (Path dir : dirs) {
      c.check(dir);
    }
    out.printf("GpuCheck: %d artifact(s), %d failure(s), %d skipped%n", dirs.size(), c.failures, c.skipped);
    return c.failures > 0 ? 1 : requireDevice && c.skipped > 0 ? 3 : 0;
  }

  private void check(Path dir) {
    try {
      Manifest m = Manifest.read(dir);
      Device device = "cuda".equals(m.target().get("kind")) ? Device.cuda(0) : Device.cpu();
      String name = m.variant() + "-" + m.target().get("kind") + "-" + m.target().get("level");
      if (!DeviceArray.exists(device)) {
        out.printf("SKIP %s: no %s device in this process (driver, GPU, or the CUDA runtime flavour missing)%n",
            name, device);
        skipped++;
        return;
      }
      if (m.arguments().stream().anyMatch(a -> !a.dtype().equals("float32") && !a.name().equals("key_lengths"))) {
        out.printf("SKIP %s: only float32 artifacts are checked here%n", name);
        skipped++;
        return;
      }
      try (AttentionKernel kernel = AttentionKernel.load(dir, device)) {
        out.printf("%s on %s (schedule %s)%n", name, device, m.schedule());
        out.printf("  %-16s %12s %12s %12s  %s%n", "b,n,m", "max|err|", "max rel", "bound", "result");
        for (Shape s : SHAPES) {
          if (fits(m, s)) {
            conform(kernel, s);
          }
        }
        Map<String, Object> spec = m.spec();
        if (num(spec, "heads") == 8 && num(spec, "head_dim") == 64 && fits(m, TIMED)) {
          time(kernel, TIMED);
        }
      }
    } catch (Exception e) {
      out.printf("FAIL %s: %s%n", dir, e);
      failures++;
    }
  }

  /** One call on fresh random inputs, compared with the oracle. */
  private void conform(AttentionKernel kernel, Shape s) {
    Inputs in = new Inputs(kernel.getManifest(), s, seed ^ (s.b() * 1_000_003L + s.n() * 1_009L + s.m()));
    float[] refOut = new float[in.o.getQSize()];
    float @Nullable [] refLse = in.lse ? new float[in.o.getLseSize()] : null;
    CoreAttentionOracle.run(in.o, in.q, in.k, in.v, refOut, refLse);
    try (Args a = new Args(kernel, in)) {
      kernel.run(in.dims, a.arrays);
      Comparison c = Tolerances.compare(a.get("out").toFloatArray(), refOut);
      boolean ok = c.isWithin(Tolerances.FP32);
      String lseNote = "";
      if (refLse != null) {
        Comparison l = Tolerances.compare(a.get("lse").toFloatArray(), refLse);
        ok &= l.isWithin(Tolerances.FP32);
        lseNote = String.format(" (lse max|err| %.2e)", l.getMaxAbsError());
      }
      out.printf("  %-16s %12.3e %12.3e %12.3e  %s%s%n", s.b() + "," + s.n() + "," + s.m(), c.getMaxAbsError(),
          c.getMaxRelError(), Tolerances.FP32.bound(c.getMaxAbsExpected()), ok ? "PASS" : "FAIL " + c, lseNote);
      if (!ok) {
        failures++;
      }
    }
  }

  /** Steady-state calls: warm-up, then rounds of calls between device synchronisations; median per call. */
  private void time(AttentionKernel kernel, Shape s) {
    Inputs in = new Inputs(kernel.getManifest(), s, seed);
    Device device = kernel.getDevice();
    try (Args a = new Args(kernel, in)) {
      long t0 = System.nanoTime();
      kernel.run(in.dims, a.arrays);
      DeviceArray.synchronize(device);
      double first = (System.nanoTime() - t0) / 1e9;
      int calls = (int) Math.max(1, Math.min(1000, 0.2 / Math.max(first, 1e-6)));
      double[] perCall = new double[5];
      for (int r = 0; r < perCall.length; r++) {
        DeviceArray.synchronize(device);
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
          kernel.run(in.dims, a.arrays);
        }
        DeviceArray.synchronize(device);
        perCall[r] = (System.nanoTime() - start) / 1e9 / calls;
      }
      Arrays.sort(perCall);
      double med = perCall[perCall.length / 2];
      double flops = 4.0 * s.b() * in.o.getH() * s.n() * s.m() * in.o.getD();
      out.printf("  TIME b=%d h=%d n=%d m=%d d=%d%s: median %.3f ms per call (min %.3f, max %.3f; %d rounds of %d"
              + " calls), %.1f GFLOP/s nominal (4bhnmd; first call %.1f ms)%n", s.b(), in.o.getH(), s.n(), s.m(),
          in.o.getD(), in.o.getCausal() == Causal.NONE ? "" : " causal", med * 1e3, perCall[0] * 1e3,
          perCall[perCall.length - 1] * 1e3, perCall.length, calls, flops / med / 1e9, first * 1e3);
    }
  }

  private static boolean fits(Manifest m, Shape s) {
    long[] b = m.dims().get("b");
    long[] n = m.dims().get("n");
    long[] mm = m.dims().get("m");
    return b[0] <= s.b() && s.b() <= b[1] && n[0] <= s.n() && s.n() <= n[1] && mm[0] <= s.m() && s.m() <= mm[1];
  }

  private static int num(Map<String, Object> spec, String key) {
    return ((Number) spec.get(key)).intValue();
  }

  /** Random host inputs for one call and the oracle's options, from the manifest's spec. */
  static final class Inputs {
    final CoreAttentionOracle.Options o;
    final Dims dims;
    final float[] q;
    final float[] k;
    final float[] v;
    final int @Nullable [] lengths;
    final boolean lse;

    Inputs(Manifest m, Shape s, long seed) {
      Map<String, Object> spec = m.spec();
      int h = num(spec, "heads");
      int hKv = num(spec, "kv_heads");
      int d = num(spec, "head_dim");
      Random rnd = new Random(seed);
      if (Boolean.TRUE.equals(spec.get("key_lengths"))) {
        lengths = new int[s.b()];
        for (int i = 0; i < s.b(); i++) {
          lengths[i] = i == 0 ? s.m() : i == 2 ? 0 : rnd.nextInt(s.m() + 1); // full, empty, random rows
        }
      } else {
        lengths = null;
      }
      lse = Boolean.TRUE.equals(spec.get("lse"));
      o = CoreAttentionOracle.Options.builder().shape(s.b(), h, hKv, s.n(), s.m(), d)
          .scale(((Number) spec.get("scale")).doubleValue())
          .causal(Causal.valueOf((String) spec.get("causal")))
          .headMapping(HeadMapping.valueOf((String) spec.get("head_mapping")))
          .keyLengths(lengths)
          .build();
      dims = Dims.of(s.b(), s.n(), s.m());
      q = TestData.uniform(rnd.nextLong(), o.getQSize(), -2, 2);
      k = TestData.uniform(rnd.nextLong(), o.getKvSize(), -2, 2);
      v = TestData.uniform(rnd.nextLong(), o.getKvSize(), -1, 1);
    }
  }

  /** The kernel's arguments as device arrays, inputs copied in, outputs poisoned with NaN. */
  static final class Args implements AutoCloseable {
    final DeviceArray[] arrays;
    private final List<Manifest.Argument> spec;

    Args(AttentionKernel kernel, Inputs in) {
      spec = kernel.getManifest().arguments();
      arrays = new DeviceArray[spec.size()];
      try {
        for (int i = 0; i < arrays.length; i++) {
          Manifest.Argument a = spec.get(i);
          arrays[i] = DeviceArray.allocate(kernel.getDevice(), a.dtype(), a.resolve(in.dims));
          switch (a.name()) {
            case "q" -> arrays[i].copyFrom(in.q);
            case "k" -> arrays[i].copyFrom(in.k);
            case "v" -> arrays[i].copyFrom(in.v);
            case "key_lengths" -> arrays[i].copyFrom(in.lengths == null ? new int[0] : in.lengths);
            default -> {
              float[] nan = new float[Math.toIntExact(arrays[i].getCount())];
              Arrays.fill(nan, Float.NaN);
              arrays[i].copyFrom(nan);
            }
          }
        }
      } catch (RuntimeException e) {
        close();
        throw e;
      }
    }

    DeviceArray get(String name) {
      for (int i = 0; i < spec.size(); i++) {
        if (spec.get(i).name().equals(name)) {
          return arrays[i];
        }
      }
      throw new IllegalArgumentException("no argument named " + name + " in " + spec);
    }

    @Override
    public void close() {
      for (DeviceArray a : arrays) {
        if (a != null) {
          a.close();
        }
      }
    }
  }
}
