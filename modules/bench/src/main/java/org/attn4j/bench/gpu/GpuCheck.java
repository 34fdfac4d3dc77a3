package org.attn4j.bench.gpu;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Device;
import org.attn4j.runtime.DeviceArray;
import org.attn4j.runtime.Manifest;
import org.attn4j.tvm.NativeLoadException;
import org.attn4j.tvm.TvmNatives;
import org.jspecify.annotations.Nullable;

/**
 * Conformance and timing of attention artifacts on their own device, with the runtime flavour only (no compiler).
 *
 * <p>Conformance: for each artifact directory and each shape of a table ({@code n = m}, {@code n < m},
 * {@code n > m}, {@code b > 1}; up to {@code b=1 n=m=1024}), random inputs ({@link CallInputs}: q, k, v, key lengths
 * and the variant's captures from {@link VariantOracle}, all rounded to the artifact's dtype) go host ->
 * {@link DeviceArray} (fp16 as Arrow {@code Float2Vector}, bf16 as {@code UInt2Vector} bits) -> kernel -> host
 * (widened to float), and every output (and {@code lse}) is compared with modules/reference's oracle run on the
 * very same rounded values, under the {@link Tolerances} row of the dtype. Artifacts of one variant (the same
 * manifest spec on several targets or schedules) share their inputs and oracle results, which are computed in
 * parallel.
 *
 * <p>Before the device is looked for, each artifact's manifest and library hash are verified and its host side
 * (inputs, captures, oracle) runs on a small call, so that a run without the device checks everything but the
 * kernels themselves.
 *
 * <p>Timing, for multi-head artifacts with {@code h = 8} and no key lengths: on CUDA at {@code b=1 n=m=1024} and,
 * except for the generic schedule, at the benchmark shape {@code b=4 n=m=4096} ({@code b·h = 32}); on the CPU at
 * {@code b=1 n=m=1024} when {@code d = 64}. A warm-up call, then five rounds of calls (about 0.1 s each; three
 * rounds of one call when a call takes over a second) between device synchronisations;
 * the median time per call, in TFLOP/s by FlashAttention's convention ({@link ResultTable#flops}). After timing,
 * the outputs are poisoned, computed once more, and checked: every element written (finite), and the oracle's
 * result compared, on every row where the conformance table already has it, else on the last batch row's last 64
 * query rows (with all keys: a large call's check costs little).
 *
 * <pre>
 * GpuCheck [--require-device] [--seed S] [--results DIR] ARTIFACT_DIR...
 * </pre>
 *
 * {@code --results DIR} (or the environment variable {@code GPU_CHECK_RESULTS}) writes the timing table there as
 * {@code attn4j.csv} and {@code attn4j.md} ({@link ResultTable}; ci/gpu/sdpa_peer.py writes its own beside them).
 *
 * <p>Exit code 0 when everything passed, 1 on a mismatch or error, 2 on bad usage, 3 when {@code --require-device}
 * is given and an artifact was skipped (its device is missing, or its variant has no counterpart in
 * {@link VariantOracle}); a skipped artifact is reported as SKIP with the reason, never as a pass.
 */
public final class GpuCheck {
  /** The conformance shapes. */
  static final List<Shape> SHAPES = List.of(new Shape(1, 1, 1), new Shape(2, 5, 7), new Shape(1, 64, 64),
      new Shape(2, 33, 100), new Shape(3, 100, 33), new Shape(1, 256, 256), new Shape(2, 200, 511),
      new Shape(1, 1024, 1024));
  /** The timed shape on every device. */
  static final Shape TIMED = new Shape(1, 1024, 1024);
  /** The benchmark shape of GPU artifacts: with {@code h = 8}, {@code b·h = 32}. */
  static final Shape BENCH = new Shape(4, 4096, 4096);
  /** The call whose host side (inputs, captures, oracle) is checked before the device is looked for. */
  static final Shape PREFLIGHT = new Shape(2, 5, 7);
  /** Query rows of the last batch row checked against the oracle after timing. */
  static final int CHECKED_ROWS = 64;
  /** The environment variable naming the results folder when {@code --results} is not given. */
  static final String RESULTS_ENV = "GPU_CHECK_RESULTS";
  private static final double ROUND_SECONDS = 0.1;
  private static final int ROUNDS = 5;

  private final PrintStream out;
  private final long seed;
  private final BufferAllocator allocator;
  private final ResultTable table = new ResultTable();
  private final List<String> skips = new ArrayList<>();
  private int passed;
  private int failures;
  /** The inputs (and oracle results, once computed) of the current variant's calls, by shape. */
  private final Map<Shape, Prepared> prepared = new HashMap<>();
  private String preparedFor = "";

  private GpuCheck(PrintStream out, long seed, BufferAllocator allocator) {
    this.out = out;
    this.seed = seed;
    this.allocator = allocator;
  }

  /** Entry point; exits with the code described above. */
  public static void main(String[] args) {
    System.exit(run(args, System.out));
  }

  /** Runs the check; returns the exit code. */
  public static int run(String[] args, PrintStream out) {
    boolean requireDevice = false;
    long seed = System.nanoTime();
    String results = System.getenv(RESULTS_ENV);
    List<Path> dirs = new ArrayList<>();
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--require-device" -> requireDevice = true;
          case "--seed" -> seed = Long.parseLong(args[++i]);
          case "--results" -> results = args[++i];
          default -> dirs.add(Path.of(args[i]));
        }
      }
    } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
      dirs.clear();
    }
    if (dirs.isEmpty()) {
      out.println("usage: GpuCheck [--require-device] [--seed S] [--results DIR] ARTIFACT_DIR...");
      return 2;
    }
    loadRuntime(out);
    out.printf("GpuCheck: java %s, TVM natives %s, seed %d, %d processors for the oracle%n",
        System.getProperty("java.version"), TvmNatives.loadedFlavor(), seed,
        Runtime.getRuntime().availableProcessors());
    try (BufferAllocator allocator = new RootAllocator()) {
      GpuCheck c = new GpuCheck(out, seed, allocator);
      for (Path dir : dirs) {
        c.check(dir);
      }
      c.summary(dirs.size(), results);
      return c.failures > 0 ? 1 : requireDevice && !c.skips.isEmpty() ? 3 : 0;
    }
  }

  /**
   * Loads the GPU build's runtime, which runs CPU modules too, whenever its natives are on the class path and its
   * libraries (libcudart) load; else the CPU runtime, and CUDA artifacts will be skipped.
   */
  private static void loadRuntime(PrintStream out) {
    if (GpuCheck.class.getResource("/org/bytedeco/tvm/linux-x86_64-gpu/libtvm_runtime.so") != null) {
      try {
        TvmNatives.load(TvmNatives.Flavor.RUNTIME_CUDA);
        return;
      } catch (NativeLoadException e) {
        out.println("GpuCheck: the CUDA runtime flavour did not load, so CUDA artifacts will be skipped: "
            + e.getMessage());
      }
    }
    TvmNatives.load(TvmNatives.Flavor.RUNTIME);
  }

  private void check(Path dir) {
    try {
      Manifest m = Manifest.read(dir);
      Device device = "cuda".equals(m.target().get("kind")) ? Device.cuda(0) : Device.cpu();
      String name = dir.getFileName().toString();
      AttentionKernel.verify(m, dir, device);
      String dtype = (String) m.spec().get("dtype");
      Precision p;
      try {
        p = Precision.of(dtype);
      } catch (IllegalArgumentException e) {
        skip(name, e.getMessage());
        return;
      }
      VariantOracle variant = VariantOracle.of(m);
      if (variant.unmatched() != null) {
        skip(name, variant.unmatched());
        return;
      }
      // the host side on a small call (inputs, captures, oracle), so that a run without the device checks it too
      CallInputs.draw(m, variant, PREFLIGHT, seed).expected();
      String hostReady = " (host side ready: manifest, library sha256, inputs, captures and oracle)";
      if (device.isCuda() && TvmNatives.loadedFlavor() != TvmNatives.Flavor.RUNTIME_CUDA) {
        skip(name, "the CUDA runtime flavour is not loaded in this process (see above)" + hostReady);
        return;
      }
      if (!DeviceArray.exists(device)) {
        skip(name, "no " + device + " device in this process (driver, GPU, or the CUDA runtime flavour missing)"
            + hostReady);
        return;
      }
      int before = failures;
      try (AttentionKernel kernel = AttentionKernel.load(dir, device)) {
        out.printf("%s on %s (schedule %s %s; %s%s, tolerance %s)%n", name, device, m.schedule(),
            m.scheduleParameters(), dtype, p.format() == null ? "" : " inputs rounded before the oracle sees them",
            p.tolerance());
        out.printf("  %-16s %12s %12s %12s  %s%n", "b,n,m", "max|err|", "max rel", "bound", "result");
        List<Shape> shapes = SHAPES.stream().filter(s -> fits(m, s) && variant.fits(s)).toList();
        usePrepared(m, variant, shapes);
        for (Shape s : shapes) {
          conform(kernel, s);
        }
        for (Shape s : timedShapes(m, device)) {
          if (fits(m, s)) {
            time(kernel, variant, s);
          }
        }
      }
      if (failures == before) {
        passed++;
      }
    } catch (Exception | OutOfMemoryError e) {
      out.printf("FAIL %s: %s%n", dir, e);
      failures++;
    }
  }

  private void skip(String name, String reason) {
    out.printf("SKIP %s: %s%n", name, reason);
    skips.add(name + ": " + reason);
  }

  /** Inputs of one call shape of the current variant, and the oracle's results once computed. */
  private static final class Prepared {
    final CallInputs inputs;
    /** The oracle on the whole call (conformance shapes). */
    CallInputs.@Nullable Expected expected;
    /** The oracle on the last batch row's last {@link #CHECKED_ROWS} query rows (timed shapes). */
    CallInputs.@Nullable Expected lastRows;

    Prepared(CallInputs inputs) {
      this.inputs = inputs;
    }
  }

  /**
   * Makes {@link #prepared} hold the calls of {@code m}'s variant: kept when the previous artifact had the same
   * spec (the same variant on another target or schedule), else drawn anew; the oracle results of the conformance
   * shapes computed in parallel.
   */
  private void usePrepared(Manifest m, VariantOracle variant, List<Shape> shapes) {
    String key = m.variant() + " " + m.spec();
    if (!key.equals(preparedFor)) {
      prepared.clear();
      preparedFor = key;
    }
    List<Shape> missing = shapes.stream().filter(s -> !prepared.containsKey(s)).toList();
    List<Prepared> made = missing.parallelStream().map(s -> {
      Prepared p = new Prepared(CallInputs.draw(m, variant, s, seedOf(s)));
      p.expected = p.inputs.expected();
      return p;
    }).toList();
    for (int i = 0; i < missing.size(); i++) {
      prepared.put(missing.get(i), made.get(i));
    }
  }

  private long seedOf(Shape s) {
    return seed ^ (s.b() * 1_000_003L + s.n() * 1_009L + s.m());
  }

  /** One call on the prepared inputs, compared with the oracle. */
  private void conform(AttentionKernel kernel, Shape s) {
    Prepared p = prepared.get(s);
    CallInputs in = p.inputs;
    CallInputs.Expected want = p.expected;
    try (DeviceCall call = new DeviceCall(kernel, in, allocator)) {
      call.run();
      Tolerances t = in.precision.tolerance();
      Comparison c = Tolerances.compare(call.output("out"), want.out());
      boolean ok = c.isWithin(t);
      String lseNote = "";
      if (want.lse() != null) {
        Comparison l = Tolerances.compare(call.output("lse"), want.lse());
        ok &= l.isWithin(t);
        lseNote = String.format(Locale.ROOT, " (lse max|err| %.2e%s)", l.getMaxAbsError(),
            l.isWithin(t) ? "" : ", FAIL " + l);
      }
      out.printf(Locale.ROOT, "  %-16s %12.3e %12.3e %12.3e  %s%s%n", s, c.getMaxAbsError(), c.getMaxRelError(),
          t.bound(c.getMaxAbsExpected()), ok ? "PASS" : "FAIL " + c, lseNote);
      if (!ok) {
        failures++;
      }
    }
  }

  /** The shapes an artifact is timed at (see the class comment). */
  private static List<Shape> timedShapes(Manifest m, Device device) {
    Map<String, Object> spec = m.spec();
    boolean mha = num(spec, "heads") == 8 && num(spec, "kv_heads") == 8
        && !Boolean.TRUE.equals(spec.get("key_lengths"));
    if (!mha) {
      return List.of();
    }
    if (device.isCuda()) {
      // the generic schedule materialises every intermediate (scores of 2 GiB at the benchmark shape): slow by
      // design and never a timing claim, so it is timed at the small shape only
      return m.schedule().equals("generic") ? List.of(TIMED) : List.of(TIMED, BENCH);
    }
    return num(spec, "head_dim") == 64 ? List.of(TIMED) : List.of();
  }

  /**
   * Steady-state calls: a warm-up call, then rounds of calls between device synchronisations; the median per
   * call goes into the table. Then one more call on poisoned outputs, checked (see the class comment).
   */
  private void time(AttentionKernel kernel, VariantOracle variant, Shape s) {
    Manifest m = kernel.getManifest();
    Prepared p = prepared.computeIfAbsent(s, x -> new Prepared(CallInputs.draw(m, variant, x, seedOf(x))));
    CallInputs in = p.inputs;
    Device device = kernel.getDevice();
    try (DeviceCall call = new DeviceCall(kernel, in, allocator)) {
      call.run();
      DeviceArray.synchronize(device);
      long t0 = System.nanoTime();
      call.run();
      DeviceArray.synchronize(device);
      double one = (System.nanoTime() - t0) / 1e9;
      int calls = (int) Math.max(1, Math.min(1000, ROUND_SECONDS / Math.max(one, 1e-6)));
      double[] perCall = new double[one > 1 ? 3 : ROUNDS]; // a call over a second: fewer rounds
      for (int r = 0; r < perCall.length; r++) {
        DeviceArray.synchronize(device);
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
          call.run();
        }
        DeviceArray.synchronize(device);
        perCall[r] = (System.nanoTime() - start) / 1e9 / calls;
      }
      Arrays.sort(perCall);
      double med = perCall[perCall.length / 2];
      String check = checkTimed(call, p, variant);
      int h = in.options.getH();
      int d = in.options.getD();
      boolean causal = !"NONE".equals(m.spec().get("causal"));
      ResultTable.Row row = new ResultTable.Row("attn4j " + m.schedule() + " " + m.target().get("level"),
          device.toString(), in.precision.dtype(), ResultTable.variantLabel(m.spec()), s.b(), h, s.n(), s.m(), d,
          causal, med * 1e3, check);
      table.add(row);
      out.printf(Locale.ROOT, "  TIME b=%d h=%d n=%d m=%d d=%d%s: median %.3f ms per call (min %.3f, max %.3f;"
              + " %d rounds of %d calls), %.2f TFLOP/s (FlashAttention's count: 4bhnmd%s); %s%n", s.b(), h, s.n(),
          s.m(), d, causal ? " causal" : "", med * 1e3, perCall[0] * 1e3, perCall[perCall.length - 1] * 1e3,
          perCall.length, calls, row.tflops(), causal ? "/2" : "", check);
    }
  }

  /**
   * Poisons the outputs, runs once more and checks that every output element was written and that the last batch
   * row's last {@link #CHECKED_ROWS} query rows match the oracle. Counts a failure; returns the table's note.
   */
  private String checkTimed(DeviceCall call, Prepared p, VariantOracle variant) {
    call.poisonOutputs();
    call.run();
    CallInputs in = p.inputs;
    float[] got = call.output("out");
    long unwritten = 0;
    for (float x : got) {
      if (!Float.isFinite(x)) {
        unwritten++;
      }
    }
    if (unwritten > 0) {
      failures++;
      return String.format(Locale.ROOT, "FAIL %d of %d outputs not finite (unwritten or overflowed)", unwritten,
          got.length);
    }
    int h = in.options.getH();
    int d = in.options.getD();
    String what;
    Comparison c;
    if (p.expected != null) {
      what = "all rows";
      c = Tolerances.compare(got, p.expected.out());
    } else {
      int rows = Math.min(CHECKED_ROWS, in.shape.n());
      if (p.lastRows == null) {
        CallInputs slice = in.lastRows(variant, rows);
        if (slice == null) {
          return "all outputs finite; rows not checked (a capture has a query dim)";
        }
        p.lastRows = slice.expected();
      }
      what = "last " + rows + " rows";
      c = Tolerances.compare(in.lastRowsOf(got, h, in.shape.n(), d, rows), p.lastRows.out());
    }
    boolean ok = c.isWithin(in.precision.tolerance());
    if (!ok) {
      failures++;
    }
    return String.format(Locale.ROOT, "%s: all outputs finite; %s max abs err %.2e%s", ok ? "PASS" : "FAIL", what,
        c.getMaxAbsError(), ok ? "" : " " + c);
  }

  private void summary(int artifacts, @Nullable String results) {
    out.println();
    out.printf("== %d artifact(s): %d passed, %d failure(s), %d skipped%n", artifacts, passed, failures,
        skips.size());
    Map<String, Integer> reasons = new LinkedHashMap<>();
    for (String s : skips) {
      reasons.merge(s.substring(s.indexOf(": ") + 2), 1, Integer::sum);
    }
    reasons.forEach((reason, count) -> out.printf("   SKIP x%d: %s%n", count, reason));
    if (!table.isEmpty()) {
      out.println("== timing (median per call; TFLOP/s by FlashAttention's 4·b·h·n·m·d, halved when causal)");
      table.print(out);
      if (results != null && !results.isBlank()) {
        try {
          table.write(Path.of(results));
          out.println("== timing table written to " + Path.of(results).resolve("attn4j.csv") + " and attn4j.md");
        } catch (IOException e) {
          out.println("== could not write the timing table to " + results + ": " + e);
          failures++;
        }
      }
    }
    out.printf("GpuCheck: %d artifact(s), %d failure(s), %d skipped%n", artifacts, failures, skips.size());
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
}
