package org.attn4j.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.apache.arrow.memory.BoundsChecking;

/**
 * The raw results of one or more bench processes, saved as CSV files in a directory: {@code samples.csv} (every
 * timed call), {@code checks.csv} (each implementation's correctness check and load time), {@code peaks.csv}
 * (the machine-peak probes), {@code env.csv} (JVM, flags, settings) and, when present, {@code startup.csv}.
 * Rows carry the thread count of the process that measured them, so runs merge by concatenation and ratios are
 * only ever taken between rows of one process.
 */
public final class Results {

  /** The outcome of an implementation's check against the oracle. */
  public enum Status {
    /** Within {@code Tolerances.FP32} of the oracle: timed. */
    OK,
    /** Wrong result or an error while running: not timed, and the run fails. */
    FAILED,
    /** Does not support this shape (its constructor rejected it): not timed, reported. */
    UNSUPPORTED,
    /** Could not be created here (a native did not load, ...): not timed, reported; fails with --require-all. */
    UNAVAILABLE
  }

  /** One timed call, of one attention variant ({@code "core"} unless a variant axis was given). */
  public record Sample(int threads, String shape, String impl, int round, double ms, String variant) {
    /** A sample of the core. */
    public Sample(int threads, String shape, String impl, int round, double ms) {
      this(threads, shape, impl, round, ms, "core");
    }
  }

  /** One implementation's check for one shape and variant, and its load time (constructor, including builds). */
  public record Check(int threads, String shape, String impl, String name, Status status, double maxAbsError,
      double bound, double loadMs, String note, String variant) {
    /** A check of the core. */
    public Check(int threads, String shape, String impl, String name, Status status, double maxAbsError,
        double bound, double loadMs, String note) {
      this(threads, shape, impl, name, status, maxAbsError, bound, loadMs, note, "core");
    }

    /** {@return the check as one log line: variant, implementation, status, error and bound, load time, note} */
    public String line() {
      return String.format(Locale.ROOT, "  check %-15s %-12s %-11s max|err| %.2e (bound %.2e), load %.0f ms  %s",
          variant, impl, status, maxAbsError, bound, loadMs, note);
    }
  }

  /** One machine-peak measurement made by the process running {@code runThreads} threads. */
  public record PeakRow(int runThreads, String probe, int threads, double gflops) {}

  /** One environment fact of the process running {@code threads} threads. */
  public record Env(int threads, String key, String value) {}

  /** One start-up probe: time from JVM start to the first result, and resident memory then. */
  public record Startup(String mode, double firstResultMs, long vmRssKb, long vmHwmKb) {}

  /** Every timed call. */
  public final List<Sample> samples = new ArrayList<>();
  /** Every check, in the order the implementations were created. */
  public final List<Check> checks = new ArrayList<>();
  /** Every peak measurement. */
  public final List<PeakRow> peaks = new ArrayList<>();
  /** Environment facts. */
  public final List<Env> env = new ArrayList<>();
  /** Start-up probes. */
  public final List<Startup> startup = new ArrayList<>();

  /**
   * Adds this process's environment facts under {@code threads}: CPU model, available processors, JVM and its
   * flags, Arrow's bounds-checking setting, {@code TVM_NUM_THREADS}, {@code OMP_NUM_THREADS}, start time.
   */
  public void addEnvironment(int threads) {
    List<String[]> facts = List.of(
        new String[] {"cpu", MachinePeak.cpuModel()},
        new String[] {"available_processors", Integer.toString(Runtime.getRuntime().availableProcessors())},
        new String[] {"jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version")},
        new String[] {"jvm_flags", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments())},
        new String[] {"arrow_bounds_checking", Boolean.toString(BoundsChecking.BOUNDS_CHECKING_ENABLED)},
        new String[] {"TVM_NUM_THREADS", String.valueOf(System.getenv("TVM_NUM_THREADS"))},
        new String[] {"OMP_NUM_THREADS", String.valueOf(System.getenv("OMP_NUM_THREADS"))},
        new String[] {"started", Instant.now().toString()});
    for (String[] f : facts) {
      env.add(new Env(threads, f[0], f[1]));
    }
  }

  /** Writes the CSV files into {@code dir} (created if needed), replacing them. */
  public void save(Path dir) throws IOException {
    write(dir, false);
  }

  /**
   * Appends these rows to the CSV files in {@code dir} (created with their header if missing; a file with no rows
   * to add is left alone), so that processes run one after another can add to one set of files, as the JMH forks
   * of {@code org.attn4j.bench.jmh} do; the rows carry their thread count, as always, and {@link #load} reads the
   * files back.
   */
  public void append(Path dir) throws IOException {
    write(dir, true);
  }

  private void write(Path dir, boolean append) throws IOException {
    Files.createDirectories(dir);
    Csv.write(dir.resolve("samples.csv"), "threads,shape,variant,impl,round,ms", samples,
        s -> List.of(s.threads, s.shape, s.variant, s.impl, s.round, s.ms), append);
    Csv.write(dir.resolve("checks.csv"), "threads,shape,variant,impl,name,status,max_abs_error,bound,load_ms,note",
        checks, c -> List.of(c.threads, c.shape, c.variant, c.impl, c.name, c.status, c.maxAbsError, c.bound,
            c.loadMs, c.note), append);
    Csv.write(dir.resolve("peaks.csv"), "run_threads,probe,threads,gflops", peaks,
        p -> List.of(p.runThreads, p.probe, p.threads, p.gflops), append);
    Csv.write(dir.resolve("env.csv"), "threads,key,value", env, e -> List.of(e.threads, e.key, e.value), append);
    if (!startup.isEmpty()) {
      Csv.write(dir.resolve("startup.csv"), "mode,first_result_ms,vmrss_kb,vmhwm_kb", startup,
          s -> List.of(s.mode, s.firstResultMs, s.vmRssKb, s.vmHwmKb), append);
    }
  }

  /** Adds the CSV files found in {@code dir} (those missing are skipped) to these results. */
  public Results load(Path dir) throws IOException {
    for (Map<String, String> r : Csv.read(dir.resolve("samples.csv"))) {
      samples.add(new Sample(i(r, "threads"), r.get("shape"), r.get("impl"), i(r, "round"), d(r, "ms"),
          variant(r)));
    }
    for (Map<String, String> r : Csv.read(dir.resolve("checks.csv"))) {
      checks.add(new Check(i(r, "threads"), r.get("shape"), r.get("impl"), r.get("name"),
          Status.valueOf(r.get("status")), d(r, "max_abs_error"), d(r, "bound"), d(r, "load_ms"), r.get("note"),
          variant(r)));
    }
    for (Map<String, String> r : Csv.read(dir.resolve("peaks.csv"))) {
      peaks.add(new PeakRow(i(r, "run_threads"), r.get("probe"), i(r, "threads"), d(r, "gflops")));
    }
    for (Map<String, String> r : Csv.read(dir.resolve("env.csv"))) {
      env.add(new Env(i(r, "threads"), r.get("key"), r.get("value")));
    }
    for (Map<String, String> r : Csv.read(dir.resolve("startup.csv"))) {
      startup.add(new Startup(r.get("mode"), d(r, "first_result_ms"), (long) d(r, "vmrss_kb"),
          (long) d(r, "vmhwm_kb")));
    }
    return this;
  }

  /** The row's variant; {@code "core"} in files written before the variant axis. */
  private static String variant(Map<String, String> r) {
    String v = r.get("variant");
    return v == null || v.isEmpty() ? "core" : v;
  }

  private static int i(Map<String, String> r, String k) {
    return Integer.parseInt(r.get(k));
  }

  private static double d(Map<String, String> r, String k) {
    return Double.parseDouble(r.get(k));
  }

  /** RFC 4180 CSV, just enough for these files: fields with a comma, quote or line break are quoted. */
  static final class Csv {
    private Csv() {}

    static <T> void write(Path file, String header, List<T> rows, Function<T, List<Object>> fields)
        throws IOException {
      write(file, header, rows, fields, false);
    }

    /** As above; with {@code append}, adds the rows to an existing file (the header only if it is new). */
    static <T> void write(Path file, String header, List<T> rows, Function<T, List<Object>> fields, boolean append)
        throws IOException {
      if (append && rows.isEmpty()) {
        return;
      }
      boolean add = append && Files.exists(file);
      StringBuilder sb = new StringBuilder(add ? "" : header + "\n");
      for (T row : rows) {
        List<Object> f = fields.apply(row);
        for (int c = 0; c < f.size(); c++) {
          sb.append(c == 0 ? "" : ",").append(quote(f.get(c)));
        }
        sb.append('\n');
      }
      if (add) {
        Files.writeString(file, sb, java.nio.file.StandardOpenOption.APPEND);
      } else {
        Files.writeString(file, sb);
      }
    }

    static String quote(Object value) {
      String s = value instanceof Double v ? String.format(Locale.ROOT, "%.6g", v) : String.valueOf(value);
      return s.matches("(?s).*[\",\n\r].*") ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    /** The rows of {@code file} as header-to-value maps; empty if the file does not exist. */
    static List<Map<String, String>> read(Path file) throws IOException {
      List<Map<String, String>> rows = new ArrayList<>();
      if (!Files.exists(file)) {
        return rows;
      }
      List<List<String>> records = parse(Files.readString(file));
      List<String> header = records.get(0);
      for (List<String> rec : records.subList(1, records.size())) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int c = 0; c < header.size(); c++) {
          m.put(header.get(c), c < rec.size() ? rec.get(c) : "");
        }
        rows.add(m);
      }
      return rows;
    }

    static List<List<String>> parse(String text) {
      List<List<String>> records = new ArrayList<>();
      List<String> rec = new ArrayList<>();
      StringBuilder field = new StringBuilder();
      boolean quoted = false;
      for (int i = 0; i < text.length(); i++) {
        char ch = text.charAt(i);
        if (quoted) {
          if (ch == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
            field.append('"');
            i++;
          } else if (ch == '"') {
            quoted = false;
          } else {
            field.append(ch);
          }
        } else if (ch == '"') {
          quoted = true;
        } else if (ch == ',') {
          rec.add(field.toString());
          field.setLength(0);
        } else if (ch == '\n') {
          rec.add(field.toString());
          field.setLength(0);
          records.add(rec);
          rec = new ArrayList<>();
        } else if (ch != '\r') {
          field.append(ch);
        }
      }
      if (field.length() > 0 || !rec.isEmpty()) {
        rec.add(field.toString());
        records.add(rec);
      }
      return records;
    }
  }
}
