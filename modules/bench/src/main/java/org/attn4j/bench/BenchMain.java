package org.attn4j.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.attn4j.bench.Results.Check;
import org.attn4j.bench.Results.Status;
import org.attn4j.bench.peers.AttentionPeer;
import org.attn4j.reference.Tolerances;

/**
 * The benchmark: times attn4j's kernel against its peers in one process, on one thread count, and writes the raw
 * results and a report (see {@link ReportWriter}) into {@code --out}.
 *
 * <p>Per shape: every implementation is created (its load time recorded apart), run once and checked against
 * the oracle within {@link Tolerances#FP32} ({@link OracleCheck}); one that fails is marked FAILED and not timed.
 * The passing ones are warmed up ({@code --warmup} calls each), then interleaved for {@code --rounds} rounds, the
 * order rotating each round (A B C, B C A, ...); in a round each makes as many calls as fit in
 * {@code --round-ms} (at least one), each call one sample. The timed region is {@link AttentionPeer#compute}:
 * inputs are staged before and the output read after, outside it. The FP32 FMA peak (1 and {@code --threads}
 * threads) and an OpenBLAS sgemm rate are measured before and after the shapes.
 *
 * <p>Example, one process per thread count (TVM reads {@code TVM_NUM_THREADS} once):
 * <pre>{@code
 * TVM_NUM_THREADS=2 java -Dai.djl.offline=true -cp ... org.attn4j.bench.BenchMain --threads 2 \
 *     --shapes 1x8x1024x1024x64,1x8x1024x1024x64c --rounds 5 --out target/bench-2t
 * }</pre>
 * Exit status: 0, 1 if an implementation FAILED (or, with {@code --require-all}, was UNAVAILABLE), 2 on bad
 * options.
 */
public final class BenchMain {

  private BenchMain() {}

  /**
   * Runs the benchmark; see the class comment.
   *
   * @param args the options of {@link BenchOptions}
   */
  public static void main(String[] args) throws Exception {
    if (java.util.Arrays.asList(args).contains("--help")) {
      System.out.println(BenchOptions.USAGE);
      return;
    }
    BenchOptions o;
    try {
      o = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    Results r = run(o, System.out);
    boolean failed = r.checks.stream().anyMatch(c -> c.status() == Status.FAILED
        || o.requireAll() && c.status() == Status.UNAVAILABLE);
    System.exit(failed ? 1 : 0);
  }

  /**
   * Runs the benchmark and writes results and report into {@code o.out()}; progress goes to {@code log}.
   *
   * @return the results
   */
  public static Results run(BenchOptions o, PrintStream log) throws Exception {
    int t = o.threads();
    Path work = o.out().resolve("work");
    Results r = new Results();
    r.addEnvironment(t);
    log.printf(Locale.ROOT, "attn4j bench: %d thread(s), TVM_NUM_THREADS=%s, %s%n", t,
        System.getenv("TVM_NUM_THREADS"), MachinePeak.cpuModel());
    peaks(r, t, work, log);
    for (Shape shape : o.shapes()) {
      shape(o, shape, r, log);
    }
    peaks(r, t, work, log);
    r.save(o.out());
    ReportWriter.write(r, o.out());
    log.println("report: " + o.out().resolve("report.html"));
    return r;
  }

  private static void peaks(Results r, int t, Path work, PrintStream log) {
    for (int threads : t == 1 ? new int[] {1} : new int[] {1, t}) {
      List<MachinePeak.Peak> found = new ArrayList<>();
      try {
        found.add(MachinePeak.fma(threads, work.resolve("peak")));
      } catch (java.io.IOException | RuntimeException e) {
        log.println("FMA peak probe unavailable: " + e.getMessage());
      }
      found.add(MachinePeak.sgemm(threads, 1024));
      for (MachinePeak.Peak p : found) {
        r.peaks.add(new Results.PeakRow(t, p.probe(), threads, p.gflops()));
        log.printf(Locale.ROOT, "peak %-20s %dt %8.1f GFLOP/s%n", p.probe(), threads, p.gflops());
      }
    }
  }

  private static void shape(BenchOptions o, Shape s, Results r, PrintStream log) {
    int t = o.threads();
    log.printf(Locale.ROOT, "%nshape %s (b h n m d%s), %.3f GFLOP per call (the core's count)%n", s,
        s.causal() ? ", causal" : "", s.flops() / 1e9);
    List<AttentionPeer> peers = new ArrayList<>();
    List<String[]> ids = new ArrayList<>(); // {variant, impl}
    try {
      for (BenchVariant bv : o.variants()) {
        String variant = bv.getId();
        BenchVariant.Case c;
        try {
          c = bv.setup(s);
        } catch (IllegalArgumentException e) {
          for (Impl impl : o.impls()) {
            record(r, t, s, variant, impl.getId(), impl.getId(), Status.UNSUPPORTED, Double.NaN, Double.NaN,
                Double.NaN, OracleCheck.message(e), log);
          }
          continue;
        }
        long t0 = System.nanoTime();
        OracleCheck oracle = OracleCheck.of(s, c);
        log.printf(Locale.ROOT, " variant %s%s: oracle in %.1f s%n", variant,
            c.note().isEmpty() ? "" : " (" + c.note() + ")", (System.nanoTime() - t0) / 1e9);
        for (Impl impl : o.impls()) {
          Path work = o.out().resolve("work");
          AttentionPeer p = check(variant, impl.getId(), () -> impl.create(s, c, t, work), s, t, oracle, r, log);
          if (p != null) {
            peers.add(p);
            ids.add(new String[] {variant, impl.getId()});
          }
        }
      }
      time(o, s, peers, ids, r);
    } finally {
      peers.forEach(AttentionPeer::close);
    }
    ReportWriter.summarize(r).stream().filter(x -> x.threads() == t && x.shape().equals(s.toString()))
        .forEach(x -> log.printf(Locale.ROOT, "  %-15s %-12s best %9.3f ms  median %9.3f ms  %7.1f GFLOP/s (median)"
            + "  x%.2f of attn4j core%n", x.variant(), x.impl(), x.bestMs(), x.medianMs(), x.gflopsMedian(),
            x.vsAttn4jCore()));
  }

  /**
   * Creates one implementation of a variant and checks it against the oracle ({@link OracleCheck#verify}); returns
   * it if it passed (caller closes), else records why, closes it and returns null.
   */
  static @org.jspecify.annotations.Nullable AttentionPeer check(String variant, String id,
      Supplier<AttentionPeer> create, Shape s, int t, OracleCheck oracle, Results r, PrintStream log) {
    long t0 = System.nanoTime();
    AttentionPeer p;
    try {
      p = create.get();
    } catch (RuntimeException | LinkageError e) {
      record(r, t, s, variant, id, id, e instanceof IllegalArgumentException ? Status.UNSUPPORTED
          : Status.UNAVAILABLE, Double.NaN, Double.NaN, Double.NaN, OracleCheck.message(e), log);
      return null;
    }
    double loadMs = (System.nanoTime() - t0) / 1e6;
    OracleCheck.Verdict v = oracle.verify(p);
    record(r, t, s, variant, id, p.name(), v.status(), v.maxAbsError(), v.bound(), loadMs,
        v.error() == null ? p.getNote() : v.error(), log);
    if (v.status() == Status.OK) {
      return p;
    }
    p.close();
    return null;
  }

  private static void record(Results r, int t, Shape s, String variant, String id, String name, Status st,
      double err, double bound, double loadMs, String note, PrintStream log) {
    Check c = new Check(t, s.toString(), id, name, st, err, bound, loadMs, note, variant);
    r.checks.add(c);
    log.println(c.line());
  }

  /** Warm-up, calibration of calls per round, then the interleaved rounds. */
  private static void time(BenchOptions o, Shape s, List<AttentionPeer> peers, List<String[]> ids, Results r) {
    int[] calls = new int[peers.size()];
    for (int p = 0; p < peers.size(); p++) {
      long t0 = System.nanoTime();
      for (int w = 0; w < o.warmup(); w++) {
        peers.get(p).compute();
      }
      double perCall = Math.max(1e-3, (System.nanoTime() - t0) / 1e6 / Math.max(1, o.warmup()));
      calls[p] = (int) Math.max(1, Math.min(1000, Math.round(o.roundMillis() / perCall)));
    }
    for (int round = 0; round < o.rounds(); round++) {
      for (int i = 0; i < peers.size(); i++) {
        int p = (i + round) % peers.size();
        AttentionPeer peer = peers.get(p);
        for (int c = 0; c < calls[p]; c++) {
          long t0 = System.nanoTime();
          peer.compute();
          r.samples.add(new Results.Sample(o.threads(), s.toString(), ids.get(p)[1], round,
              (System.nanoTime() - t0) / 1e6, ids.get(p)[0]));
        }
      }
    }
  }
}
