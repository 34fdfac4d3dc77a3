package org.attn4j.bench.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.attn4j.bench.Impl;
import org.attn4j.bench.ReportWriter;
import org.attn4j.bench.Results;
import org.attn4j.bench.Results.Status;
import org.attn4j.runtime.internal.Json;

/**
 * Turns a JMH run of this package into the bench report ({@link ReportWriter}: {@code report.md},
 * {@code report.html}, {@code summary.csv}, charts): per shape and thread count, each implementation's best and
 * median call, GFLOP/s, the ratio of every row to every other, and per variant attn4j's fused kernel against each
 * peer's composition; then the artifact compile and load shots.
 *
 * <p>It reads JMH's JSON ({@code -rf json}, one file per thread count) and the {@code checks.csv} and
 * {@code env.csv} the trials appended ({@link PeerState}). {@link AttentionBenchmark} entries become samples: in
 * {@code SampleTime} mode every sampled call of the histogram, else each iteration's score. A trial checked more
 * than once (the artifact benchmarks check the attn4j kernel again) keeps its first check, or a failed one.
 *
 * <pre>{@code
 * java -cp ... org.attn4j.bench.jmh.JmhReport target/jmh/report target/jmh target/jmh/jmh-1t.json \
 *     target/jmh/jmh-2t.json
 * }</pre>
 */
public final class JmhReport {

  private static final String PREAMBLE = "JMH run (org.attn4j.bench.jmh, ci/jmh.sh). Forward attention, float32, "
      + "q [b, h, n, d], k and v [b, h, m, d]; shapes are written BxHxNxMxD, suffix c for causal (right-aligned). "
      + "FLOPs = 4·b·h·n·m·d, halved when causal (softmax and exp not counted). Each trial checks its "
      + "implementation against the double-precision oracle (Tolerances.FP32) in its setup, before any timing; a "
      + "wrong one fails its trial and is not timed. Times are JMH samples of one steady-state call (inputs "
      + "staged before, output left in the implementation's buffer): best is the fastest, median the middle one. "
      + "Load ms is the trial setup's creation time (attn4j: artifact compile or cache copy, then load); compile "
      + "and load are also timed apart as single shots. Each trial runs in its own JVM, one after another, so a "
      + "ratio compares processes of one run rather than calls interleaved in one process (as BenchMain does): "
      + "drift between trials enters it. No FMA peak is measured here.";

  private JmhReport() {}

  /**
   * The results of a run, as the report reads them.
   *
   * @param results samples, checks and environment
   * @param artifacts the compile and load shots, one row per (threads, shape, variant, benchmark)
   */
  record Run(Results results, ReportWriter.Table artifacts) {}

  /**
   * Writes the report.
   *
   * @param args the report directory, the directory holding {@code checks.csv} and {@code env.csv}, then JMH's
   *     JSON files
   */
  public static void main(String[] args) throws IOException {
    if (args.length < 3) {
      System.err.println("usage: JmhReport <report dir> <dir with checks.csv, env.csv> <jmh json>...");
      System.exit(2);
    }
    List<Path> json = Arrays.stream(args, 2, args.length).map(Path::of).toList();
    Run run = read(Path.of(args[1]), json);
    Path out = Path.of(args[0]);
    ReportWriter.write(run.results(), out, PREAMBLE, run.artifacts().rows().isEmpty() ? List.of()
        : List.of(run.artifacts()));
    System.out.println("report: " + out.resolve("report.html"));
  }

  /**
   * Reads a run.
   *
   * @param checks the directory the trials wrote {@code checks.csv} and {@code env.csv} into
   * @param json JMH's result files
   * @throws IllegalStateException if a benchmark has samples but no check, or a unit is not a time per call
   */
  static Run read(Path checks, List<Path> json) throws IOException {
    Results recorded = new Results().load(checks);
    Results r = new Results();
    Map<String, Results.Check> byTrial = new LinkedHashMap<>();
    for (Results.Check c : recorded.checks) {
      Results.Check seen = byTrial.putIfAbsent(trial(c.threads(), c.shape(), c.variant(), c.impl()), c);
      if (seen != null && seen.status() == Status.OK && c.status() != Status.OK) {
        byTrial.put(trial(c.threads(), c.shape(), c.variant(), c.impl()), c);
      }
    }
    r.checks.addAll(byTrial.values());
    Map<String, Results.Env> env = new LinkedHashMap<>();
    recorded.env.forEach(e -> env.putIfAbsent(e.threads() + "|" + e.key(), e));
    List<List<String>> artifacts = new ArrayList<>();
    for (Path file : json) {
      for (Object o : (List<?>) Json.parse(Files.readString(file))) {
        Map<?, ?> e = (Map<?, ?>) o;
        String benchmark = (String) e.get("benchmark");
        String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
        Map<?, ?> params = (Map<?, ?>) e.get("params");
        int threads = Integer.parseInt((String) params.get("threads"));
        String shape = (String) params.get("shape");
        Object v = params.get("variant");
        String variant = v == null ? "core" : (String) v;
        Object target = params.get("target");
        String attn4j = AttentionBenchmark.Attn4j.id(target == null ? AttentionBenchmark.Attn4j.HOST : (String) target);
        boolean artifact = benchmark.contains(".ArtifactBenchmark.");
        String impl = artifact || method.equals(Impl.ATTN4J.getId()) ? attn4j : method;
        Map<?, ?> metric = (Map<?, ?>) e.get("primaryMetric");
        double toMs = millisPer((String) metric.get("scoreUnit"), benchmark);
        if (artifact) {
          double[] shots = ((List<?>) metric.get("rawData")).stream().flatMap(f -> ((List<?>) f).stream())
              .mapToDouble(x -> ((Number) x).doubleValue() * toMs).sorted().toArray();
          artifacts.add(List.of(Integer.toString(threads), shape, variant, impl, method,
              Integer.toString(shots.length), ms(shots[shots.length / 2]), ms(shots[0]), ms(shots[shots.length - 1])));
          continue;
        }
        env.putIfAbsent(threads + "|jmh", new Results.Env(threads, "jmh", e.get("jmhVersion") + ", " + e.get("forks")
            + " fork(s) per trial, steady state: " + e.get("warmupIterations") + " x " + e.get("warmupTime")
            + " warm-up, " + e.get("measurementIterations") + " x " + e.get("measurementTime") + " measured"));
        if (!byTrial.containsKey(trial(threads, shape, variant, impl))) {
          throw new IllegalStateException(benchmark + " " + params + ": samples but no check in "
              + checks.resolve("checks.csv") + " (the directory the trials wrote, -Dattn4j.jmh.out)");
        }
        samples(metric, toMs).forEach((round, ms) -> ms.forEach(x -> r.samples.add(new Results.Sample(threads, shape,
            impl, round, x, variant))));
      }
    }
    r.env.addAll(env.values());
    return new Run(r, new ReportWriter.Table("Artifact compile and load (attn4j, single shots apart from the calls)",
        "", List.of("threads", "shape", "variant", "implementation", "benchmark", "shots", "median ms", "best ms",
            "worst ms"),
        artifacts));
  }

  /** Per round (fork × iteration): the sampled call times in ms, from the histogram, else the iteration scores. */
  private static Map<Integer, List<Double>> samples(Map<?, ?> metric, double toMs) {
    Map<Integer, List<Double>> rounds = new LinkedHashMap<>();
    List<?> histogram = (List<?>) metric.get("rawDataHistogram");
    List<?> raw = (List<?>) metric.get("rawData");
    for (Object fork : histogram != null ? histogram : raw) {
      for (Object iteration : (List<?>) fork) {
        List<Double> ms = new ArrayList<>();
        if (histogram == null) {
          ms.add(((Number) iteration).doubleValue() * toMs);
        } else {
          for (Object bin : (List<?>) iteration) {
            List<?> valueCount = (List<?>) bin;
            double value = ((Number) valueCount.get(0)).doubleValue() * toMs;
            for (long c = ((Number) valueCount.get(1)).longValue(); c > 0; c--) {
              ms.add(value);
            }
          }
        }
        rounds.put(rounds.size(), ms);
      }
    }
    return rounds;
  }

  private static String trial(int threads, String shape, String variant, String impl) {
    return threads + "|" + shape + "|" + variant + "|" + impl;
  }

  /** Milliseconds per unit of a time-per-call score unit ({@code "ms/op"}, ...). */
  private static double millisPer(String unit, String benchmark) {
    return switch (unit) {
      case "s/op" -> 1e3;
      case "ms/op" -> 1;
      case "us/op" -> 1e-3;
      case "ns/op" -> 1e-6;
      default -> throw new IllegalStateException(benchmark + ": expected a time per call (s/op, ms/op, us/op, "
          + "ns/op), got " + unit + " (run with -bm sample, avgt or ss)");
    };
  }

  private static String ms(double v) {
    return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 1 ? "%.2f" : "%.3f", v);
  }
}
