package org.attn4j.bench;

import java.nio.file.Path;

/**
 * Merges the results of several {@link BenchMain} runs (one per thread count) and an optional
 * {@code startup.csv} into one report.
 *
 * <pre>{@code
 * java -cp ... org.attn4j.bench.BenchReport target/bench-report target/bench-1t target/bench-2t
 * }</pre>
 * The first argument is the output directory; CSV files already in it (such as {@code startup.csv} written by
 * {@code ci/bench.sh}) are read too, then replaced by the merged ones.
 */
public final class BenchReport {

  private BenchReport() {}

  /**
   * Merges and writes.
   *
   * @param args the output directory, then the run directories
   */
  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: BenchReport <out dir> <run dir>...");
      System.exit(2);
    }
    Path out = Path.of(args[0]);
    Results merged = new Results();
    Results.Startup[] startup = new Results().load(out).startup.toArray(new Results.Startup[0]);
    for (int i = 1; i < args.length; i++) {
      merged.load(Path.of(args[i]));
    }
    merged.startup.addAll(java.util.List.of(startup));
    merged.save(out);
    ReportWriter.write(merged, out);
    System.out.println("report: " + out.resolve("report.html"));
  }
}
