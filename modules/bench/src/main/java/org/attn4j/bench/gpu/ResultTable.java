package org.attn4j.bench.gpu;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The timing table, in the format ci/gpu/sdpa_peer.py writes too, so that the two can be put side by side (the
 * peer joins them on {@code dtype, variant, b, h, n, m, d, causal}): one row per timed call, with its median time
 * and its rate in TFLOP/s by FlashAttention's convention ({@link #flops}).
 */
final class ResultTable {
  /** The columns, in order. */
  static final List<String> COLUMNS = List.of("impl", "device", "dtype", "variant", "b", "h", "n", "m", "d",
      "causal", "ms", "tflops", "check");

  /**
   * One timed call.
   *
   * @param impl what ran, e.g. {@code attn4j cuda-mma sm_90}
   * @param device the device, e.g. {@code cuda:0}
   * @param dtype the input dtype, e.g. {@code float16}
   * @param variant {@code core} or the modifiers' labels joined by {@code +} ({@link #variantLabel})
   * @param b batch size
   * @param h query heads
   * @param n queries
   * @param m keys
   * @param d head dim
   * @param causal whether the causal mask is on
   * @param ms median milliseconds per call
   * @param check what the output was checked for, e.g. {@code PASS: all outputs finite; last 64 rows max abs err 1.2e-03}
   */
  record Row(String impl, String device, String dtype, String variant, int b, int h, int n, int m, int d,
      boolean causal, double ms, String check) {
    /** TFLOP/s by {@link #flops}. */
    double tflops() {
      return flops(b, h, n, m, d, causal) / (ms * 1e-3) / 1e12;
    }

    List<String> cells() {
      return List.of(impl, device, dtype, variant, Integer.toString(b), Integer.toString(h), Integer.toString(n),
          Integer.toString(m), Integer.toString(d), Boolean.toString(causal), String.format(Locale.ROOT, "%.4f", ms),
          String.format(Locale.ROOT, "%.2f", tflops()), check);
    }
  }

  private final List<Row> rows = new ArrayList<>();

  /**
   * FlashAttention's FLOP count of a forward call: {@code 4·b·h·n·m·d} (two matrix products of {@code 2·n·m·d}
   * each per head), halved for a causal mask (about half the scores are computed). Softmax and variant work are not
   * counted, so a variant's rate is the core's work over the variant's time.
   */
  static double flops(int b, int h, int n, int m, int d, boolean causal) {
    return 4.0 * b * h * n * m * d / (causal ? 2 : 1);
  }

  /**
   * The variant column of a manifest: {@code core} without modifiers, else each modifier's label ({@code alibi},
   * {@code softcap}, {@code window}, {@code fox}, {@code rotary}; others by their manifest name) joined by
   * {@code +}.
   */
  @SuppressWarnings("unchecked")
  static String variantLabel(Map<String, Object> spec) {
    List<Map<String, Object>> mods = (List<Map<String, Object>>) spec.getOrDefault("modifiers", List.of());
    if (mods.isEmpty()) {
      return "core";
    }
    List<String> labels = new ArrayList<>();
    for (Map<String, Object> mod : mods) {
      String name = (String) mod.get("name");
      labels.add(name.startsWith("softcap_") ? "softcap" : name.startsWith("window_") ? "window"
          : name.startsWith("fox_") ? "fox" : name.startsWith("rope") ? "rotary" : name);
    }
    return String.join("+", labels);
  }

  /** Adds a row. */
  void add(Row row) {
    rows.add(row);
  }

  /** Whether no row was added. */
  boolean isEmpty() {
    return rows.isEmpty();
  }

  /** The rows as a Markdown table (no cell holds a {@code |}). */
  String markdown() {
    StringBuilder s = new StringBuilder();
    s.append("| ").append(String.join(" | ", COLUMNS)).append(" |\n");
    s.append("|").append(" --- |".repeat(COLUMNS.size())).append('\n');
    for (Row r : rows) {
      s.append("| ").append(String.join(" | ", r.cells())).append(" |\n");
    }
    return s.toString();
  }

  /** The rows as CSV (no cell holds a comma or a quote). */
  String csv() {
    StringBuilder s = new StringBuilder(String.join(",", COLUMNS)).append('\n');
    for (Row r : rows) {
      s.append(String.join(",", r.cells().stream().map(c -> c.replace(',', ';')).toList())).append('\n');
    }
    return s.toString();
  }

  /** Prints the Markdown table. */
  void print(PrintStream out) {
    out.print(markdown());
  }

  /** Writes {@code attn4j.csv} and {@code attn4j.md} into {@code dir} (created if missing). */
  void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("attn4j.csv"), csv());
    Files.writeString(dir.resolve("attn4j.md"), markdown());
  }
}
