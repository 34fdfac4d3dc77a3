package org.attn4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.attn4j.bench.Results.Check;
import org.attn4j.bench.Results.Status;

/**
 * Turns {@link Results} into a report: {@code summary.csv}, {@code report.md}, and a self-contained
 * {@code report.html} (well-formed XHTML, no scripts) with inline SVG bar charts of GFLOP/s and of the share of
 * the measured FMA peak per implementation and shape; the charts are also written as {@code gflops.svg} and
 * {@code peak.svg}.
 *
 * <p>Per (thread count, shape) group: best and median milliseconds, GFLOP/s at both ({@link Shape#flops()}),
 * percent of the FMA peak measured by the same process on as many threads, and each implementation's median
 * divided by attn4j's and by every other's (ratios only within a group, i.e. within one process).
 */
public final class ReportWriter {

  /**
   * One implementation's numbers for one group.
   *
   * @param pctPeakMedian percent of {@code peakGflops} at the median time ({@code NaN} if no peak was measured)
   * @param vsAttn4j this median over attn4j's median in the same group (same variant; {@code NaN} if attn4j did
   *     not run)
   * @param variant the attention variant ({@code "core"} without a variant axis); GFLOP/s use the core's FLOP
   *     count whatever the variant
   * @param vsAttn4jCore this median over attn4j's core median on the same shape, same process
   */
  public record Summary(int threads, String shape, String impl, String name, Status status, int samples,
      double bestMs, double medianMs, double gflopsBest, double gflopsMedian, double peakGflops,
      double pctPeakMedian, double vsAttn4j, double maxAbsError, double loadMs, String note, String variant,
      double vsAttn4jCore) {}

  private static final Map<String, String> COLORS = Map.of("attn4j", "#e8590c", "onnxruntime", "#1c7ed6",
      "pytorch", "#ae3ec9", "openblas", "#2f9e44", "naive", "#868e96");
  private static final String[] MORE_COLORS = {"#f59f00", "#0ca678", "#5c7cfa", "#e64980"};

  private ReportWriter() {}

  /** Computes the summary rows, in the order of {@code r.checks}. */
  public static List<Summary> summarize(Results r) {
    Map<String, double[]> times = new LinkedHashMap<>();
    Map<String, List<Double>> lists = r.samples.stream().collect(Collectors.groupingBy(
        s -> key(s.threads(), s.shape(), s.variant(), s.impl()), LinkedHashMap::new,
        Collectors.mapping(Results.Sample::ms, Collectors.toList())));
    lists.forEach((k, v) -> times.put(k, v.stream().mapToDouble(Double::doubleValue).sorted().toArray()));
    List<Summary> out = new ArrayList<>();
    for (Check c : r.checks) {
      double[] ms = times.getOrDefault(key(c.threads(), c.shape(), c.variant(), c.impl()), new double[0]);
      double[] attn = times.getOrDefault(key(c.threads(), c.shape(), c.variant(), "attn4j"), new double[0]);
      double[] core = times.getOrDefault(key(c.threads(), c.shape(), "core", "attn4j"), new double[0]);
      double flops = Shape.parse(c.shape()).flops();
      double best = ms.length == 0 ? Double.NaN : ms[0];
      double median = median(ms);
      double peak = peak(r, c.threads());
      out.add(new Summary(c.threads(), c.shape(), c.impl(), c.name(), c.status(), ms.length, best, median,
          flops / best / 1e6, flops / median / 1e6, peak, 100 * flops / median / 1e6 / peak,
          median / median(attn), c.maxAbsError(), c.loadMs(), c.note(), c.variant(), median / median(core)));
    }
    return out;
  }

  private static String key(int threads, String shape, String variant, String impl) {
    return threads + "|" + shape + "|" + variant + "|" + impl;
  }

  static double median(double[] sorted) {
    int n = sorted.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** The best FMA peak the process running {@code threads} threads measured on that many threads; else NaN. */
  static double peak(Results r, int threads) {
    return r.peaks.stream().filter(p -> p.runThreads() == threads && p.threads() == threads
        && p.probe().startsWith("fma")).mapToDouble(Results.PeakRow::gflops).max().orElse(Double.NaN);
  }

  /** Writes {@code summary.csv}, {@code report.md}, {@code report.html}, {@code gflops.svg}, {@code peak.svg}. */
  public static void write(Results r, Path dir) throws IOException {
    write(r, dir, PREAMBLE, List.of());
  }

  /**
   * As {@link #write(Results, Path)}, for results measured another way: {@code preamble} says how (the method
   * paragraph under the title), {@code extra} tables follow the result tables, and without peak measurements
   * ({@code r.peaks} empty) the share-of-peak chart is left out.
   */
  public static void write(Results r, Path dir, String preamble, List<Table> extra) throws IOException {
    Files.createDirectories(dir);
    List<Summary> sums = summarize(r);
    Results.Csv.write(dir.resolve("summary.csv"), "threads,shape,variant,impl,name,status,samples,best_ms,median_ms,"
        + "gflops_best,gflops_median,fma_peak_gflops,pct_peak_median,median_vs_attn4j,median_vs_attn4j_core,"
        + "max_abs_error,load_ms,note",
        sums, s -> List.of(s.threads, s.shape, s.variant, s.impl, s.name, s.status, s.samples, s.bestMs, s.medianMs,
            s.gflopsBest, s.gflopsMedian, s.peakGflops, s.pctPeakMedian, s.vsAttn4j, s.vsAttn4jCore, s.maxAbsError,
            s.loadMs, s.note));
    boolean variantAxis = sums.stream().anyMatch(x -> !x.variant.equals("core"));
    List<Table> variantTables = variantAxis ? variantTables(sums) : List.of();
    List<String> variantCharts = new ArrayList<>();
    if (variantAxis) {
      Results.Csv.write(dir.resolve("variants.csv"), "threads,shape,variant,impl,status,samples,best_ms,median_ms,"
          + "gflops_median,median_vs_attn4j_same_variant,median_vs_attn4j_core,max_abs_error,note",
          sums, s -> List.of(s.threads, s.shape, s.variant, s.impl, s.status, s.samples, s.bestMs, s.medianMs,
              s.gflopsMedian, s.vsAttn4j, s.vsAttn4jCore, s.maxAbsError, s.name + "; " + s.note));
      Map<String, List<Summary>> byShape = sums.stream().collect(Collectors.groupingBy(
          x -> x.shape + ", " + x.threads + (x.threads == 1 ? " thread" : " threads"), LinkedHashMap::new,
          Collectors.toList()));
      int i = 0;
      for (Map.Entry<String, List<Summary>> e : byShape.entrySet()) {
        String svg = chart(e.getValue(), "Median time per variant, " + e.getKey(),
            "lower is better; same process, interleaved", "ms", Summary::medianMs, false,
            x -> x.variant + ", " + x.shape);
        Files.writeString(dir.resolve("variants-" + i++ + ".svg"), svg);
        variantCharts.add(svg);
      }
    }
    List<Table> tables = tables(r, sums);
    String gflops = chart(sums, "GFLOP/s at the median time",
        "higher is better; dashed: FP32 FMA peak measured by the same process", "GFLOP/s", Summary::gflopsMedian,
        true);
    String pct = r.peaks.isEmpty() ? "" : chart(sums, "Share of the FP32 FMA peak",
        "median GFLOP/s over the peak of the same process", "% of peak", Summary::pctPeakMedian, false);
    Files.writeString(dir.resolve("gflops.svg"), gflops);
    if (!pct.isEmpty()) {
      Files.writeString(dir.resolve("peak.svg"), pct);
    }
    StringBuilder md = new StringBuilder("# attn4j bench report\n\n").append(preamble).append("\n\n")
        .append("![GFLOP/s](gflops.svg)\n\n").append(pct.isEmpty() ? "" : "![% of peak](peak.svg)\n\n");
    for (int i = 0; i < variantCharts.size(); i++) {
      md.append("![variants](variants-").append(i).append(".svg)\n\n");
    }
    StringBuilder html = new StringBuilder("""
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>
        <title>attn4j bench report</title><style>
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212529;max-width:1180px;
          margin:24px auto;padding:0 16px}
        h1{font-size:24px}h2{font-size:19px;margin-top:32px;border-bottom:1px solid #dee2e6}h3{font-size:15px}
        table{border-collapse:collapse;margin:8px 0 18px;font-variant-numeric:tabular-nums}
        th,td{padding:4px 10px;border-bottom:1px solid #e9ecef;text-align:right}
        th{background:#f8f9fa;font-weight:600}td:first-child,th:first-child{text-align:left}
        tr.attn4j td{background:#fff4e6}td.FAILED,td.UNAVAILABLE{color:#c92a2a;font-weight:600}td.UNSUPPORTED{color:#868e96}
        td.note{text-align:left;color:#868e96;font-size:12px}p.lead{color:#495057}
        figure{margin:12px 0}svg{max-width:100%;height:auto}
        </style></head><body>
        <h1>attn4j bench report</h1>
        """).append("<p class=\"lead\">").append(esc(preamble)).append("</p>\n<figure>").append(gflops)
        .append("</figure>\n").append(pct.isEmpty() ? "" : "<figure>" + pct + "</figure>\n");
    for (String svg : variantCharts) {
      html.append("<figure>").append(svg).append("</figure>\n");
    }
    List<Table> all = new ArrayList<>(variantTables);
    all.addAll(tables);
    all.addAll(all.size() - 1, extra); // before the environment, which comes last
    tables = all;
    String section = "";
    for (Table t : tables) {
      if (!t.section.equals(section)) {
        section = t.section;
        md.append("## ").append(section).append("\n\n");
        html.append("<h2>").append(esc(section)).append("</h2>\n");
      }
      t.markdown(md);
      t.html(html);
    }
    html.append("</body></html>\n");
    Files.writeString(dir.resolve("report.md"), md);
    Files.writeString(dir.resolve("report.html"), html);
  }

  private static final String PREAMBLE = "Forward attention, float32, q [b, h, n, d], k and v [b, h, m, d]; shapes "
      + "are written BxHxNxMxD, suffix c for causal (right-aligned). FLOPs = 4·b·h·n·m·d, halved when causal "
      + "(softmax and exp not counted). Every implementation is checked against the double-precision oracle "
      + "(Tolerances.FP32) before it is timed. The timed region is the computation only (inputs staged before, "
      + "output read after); load and build time are reported apart. Implementations are interleaved round-robin "
      + "in one process per thread count; ratios are only taken between rows of one process. The peak is the best of "
      + "the probes run before and after the shapes; a share above 100% means the probes ran in a noisier moment "
      + "than the kernel.";

  /**
   * A titled table, rendered to Markdown and HTML alike.
   *
   * @param section the {@code ##} heading it goes under (consecutive tables of one section share it)
   * @param title its own {@code ###} heading, or empty
   * @param header the column names; the first column and one named {@code note} are left-aligned
   * @param rows the cells, as many per row as {@code header} has names
   * @param rowClasses one CSS class per row for the HTML ({@code "attn4j"} highlights), or empty strings
   */
  public record Table(String section, String title, List<String> header, List<List<String>> rows,
      List<String> rowClasses) {

    /** A table whose rows are not highlighted. */
    public Table(String section, String title, List<String> header, List<List<String>> rows) {
      this(section, title, header, rows, blank(rows.size()));
    }

    void markdown(StringBuilder sb) {
      if (!title.isEmpty()) {
        sb.append("### ").append(title).append("\n\n");
      }
      List<List<String>> all = new ArrayList<>(List.of(header));
      all.add(header.stream().map(h -> h.equals(header.get(0)) || h.equals("note") ? "---" : "---:").toList());
      all.addAll(rows);
      for (List<String> row : all) {
        sb.append("| ").append(row.stream().map(c -> c.replace("|", "\\|")).collect(Collectors.joining(" | ")))
            .append(" |\n");
      }
      sb.append('\n');
    }

    void html(StringBuilder sb) {
      if (!title.isEmpty()) {
        sb.append("<h3>").append(esc(title)).append("</h3>\n");
      }
      sb.append("<table><thead><tr>");
      header.forEach(h -> sb.append("<th>").append(esc(h)).append("</th>"));
      sb.append("</tr></thead><tbody>\n");
      for (int i = 0; i < rows.size(); i++) {
        sb.append("<tr class=\"").append(rowClasses.get(i)).append("\">");
        for (int c = 0; c < rows.get(i).size(); c++) {
          String cell = rows.get(i).get(c);
          String cls = header.get(c).equals("note") ? "note" : header.get(c).equals("status") ? cell : "";
          sb.append(cls.isEmpty() ? "<td>" : "<td class=\"" + cls + "\">").append(esc(cell)).append("</td>");
        }
        sb.append("</tr>\n");
      }
      sb.append("</tbody></table>\n");
    }
  }

  private static List<Table> tables(Results r, List<Summary> sums) {
    List<Table> tables = new ArrayList<>();
    Map<String, List<Summary>> groups = groups(sums);
    groups.forEach((g, rows) -> {
      List<List<String>> body = new ArrayList<>();
      List<String> classes = new ArrayList<>();
      for (Summary s : rows) {
        body.add(List.of(s.impl, s.status.name(), f("%.1e", s.maxAbsError), f("%.0f", s.loadMs),
            Integer.toString(s.samples), f("%.3f", s.bestMs), f("%.3f", s.medianMs), f("%.1f", s.gflopsBest),
            f("%.1f", s.gflopsMedian), f("%.0f%%", s.pctPeakMedian), f("%.2f×", s.vsAttn4j),
            s.name + (s.note.isEmpty() ? "" : "; " + s.note)));
        classes.add(s.impl.equals("attn4j") ? "attn4j" : "");
      }
      tables.add(new Table("Results", g, List.of("implementation", "status", "max |err|", "load ms", "samples",
          "best ms", "median ms", "GFLOP/s best", "GFLOP/s median", "% FMA peak", "median / attn4j", "note"),
          body, classes));
      List<Summary> timed = rows.stream().filter(s -> s.samples > 0).toList();
      if (timed.size() > 1) {
        List<String> header = new ArrayList<>(List.of("row median / column median"));
        timed.forEach(s -> header.add(s.impl));
        List<List<String>> ratios = new ArrayList<>();
        for (Summary a : timed) {
          List<String> row = new ArrayList<>(List.of(a.impl));
          timed.forEach(b -> row.add(f("%.2f", a.medianMs / b.medianMs)));
          ratios.add(row);
        }
        tables.add(new Table("Results", g + ": time ratios (below 1: the row is faster)", header, ratios,
            timed.stream().map(s -> s.impl.equals("attn4j") ? "attn4j" : "").toList()));
      }
    });
    List<List<String>> peaks = new ArrayList<>();
    Map<String, List<Results.PeakRow>> byProbe = r.peaks.stream().collect(Collectors.groupingBy(
        p -> p.runThreads() + "|" + p.probe() + "|" + p.threads(), LinkedHashMap::new, Collectors.toList()));
    byProbe.values().forEach(ps -> {
      Results.PeakRow p = ps.get(0);
      double[] g = ps.stream().mapToDouble(Results.PeakRow::gflops).sorted().toArray();
      peaks.add(List.of(Integer.toString(p.runThreads()), p.probe(), Integer.toString(p.threads()),
          f("%.1f", g[g.length - 1]), f("%.1f", g[0]), Integer.toString(g.length)));
    });
    if (!peaks.isEmpty()) {
      tables.add(new Table("Machine peak, measured in the same run", "", List.of("process threads", "probe",
          "threads", "GFLOP/s best", "GFLOP/s worst", "measurements"), peaks, blank(peaks.size())));
    }
    if (!r.startup.isEmpty()) {
      List<List<String>> rows = new ArrayList<>();
      r.startup.stream().collect(Collectors.groupingBy(Results.Startup::mode, LinkedHashMap::new,
          Collectors.toList())).forEach((mode, list) -> rows.add(List.of(mode, Integer.toString(list.size()),
          f("%.0f", median(list, Results.Startup::firstResultMs)),
          f("%.0f", median(list, s -> s.vmRssKb() / 1024.0)), f("%.0f", median(list, s -> s.vmHwmKb() / 1024.0)))));
      tables.add(new Table("Start-up and memory (fresh JVM per repeat, medians)", "", List.of("mode", "repeats",
          "JVM start to first result ms", "VmRSS MiB", "VmHWM MiB"), rows, blank(rows.size())));
    }
    List<List<String>> env = new ArrayList<>();
    r.env.forEach(e -> env.add(List.of(Integer.toString(e.threads()), e.key(), e.value())));
    tables.add(new Table("Environment", "", List.of("process threads", "key", "value"), env, blank(env.size())));
    return tables;
  }

  /**
   * Per (shape, threads): one row per variant with attn4j's median, its ratio to attn4j's core, GFLOP/s (the
   * core's FLOP count), and each peer's composition: median, ratio to attn4j's same variant, and the best peer.
   */
  static List<Table> variantTables(List<Summary> sums) {
    List<Table> out = new ArrayList<>();
    Map<String, List<Summary>> byShape = sums.stream().collect(Collectors.groupingBy(
        x -> x.shape + ", " + x.threads + (x.threads == 1 ? " thread" : " threads"), LinkedHashMap::new,
        Collectors.toList()));
    byShape.forEach((g, rows) -> {
      List<String> peers = rows.stream().map(Summary::impl).filter(i -> !i.equals("attn4j")).distinct()
          .filter(i -> rows.stream().anyMatch(x -> x.impl.equals(i) && !x.variant.equals("core")
              && x.samples > 0)).toList();
      List<String> header = new ArrayList<>(List.of("variant", "attn4j max |err|", "attn4j median ms",
          "× attn4j core", "attn4j GFLOP/s"));
      for (String p : peers) {
        header.add(p + " median ms");
        header.add(p + " / attn4j");
      }
      header.add("best peer");
      header.add("best peer / attn4j");
      List<List<String>> body = new ArrayList<>();
      Map<String, List<Summary>> byVariant = rows.stream().collect(Collectors.groupingBy(Summary::variant,
          LinkedHashMap::new, Collectors.toList()));
      byVariant.forEach((variant, vs) -> {
        Summary a = vs.stream().filter(x -> x.impl.equals("attn4j")).findFirst().orElse(null);
        List<String> row = new ArrayList<>(List.of(variant,
            a == null ? "–" : a.status == Status.OK ? f("%.1e", a.maxAbsError) : a.status.name(),
            a == null ? "–" : f("%.3f", a.medianMs), a == null ? "–" : f("%.2f", a.vsAttn4jCore),
            a == null ? "–" : f("%.1f", a.gflopsMedian)));
        Summary best = null;
        for (String p : peers) {
          Summary x = vs.stream().filter(y -> y.impl.equals(p)).findFirst().orElse(null);
          if (x == null || x.samples == 0) {
            row.add(x == null ? "–" : x.status == Status.UNSUPPORTED ? "no composition" : x.status.name());
            row.add("–");
          } else {
            row.add(f("%.3f", x.medianMs));
            row.add(f("%.2f", x.vsAttn4j));
            if (best == null || x.medianMs < best.medianMs) {
              best = x;
            }
          }
        }
        row.add(best == null ? "–" : best.impl);
        row.add(best == null ? "–" : f("%.2f", best.vsAttn4j));
        body.add(row);
      });
      out.add(new Table("Variants: attn4j's fused kernel against each peer's composition", g
          + " (medians; ratios within this run, as the method says; GFLOP/s at the core's FLOP count)", header, body,
          blank(body.size())));
      List<List<String>> notes = new ArrayList<>();
      rows.stream().filter(x -> !x.variant.equals("core") && peers.contains(x.impl))
          .forEach(x -> notes.add(List.of(x.variant, x.impl, x.status.name(), x.name + (x.note.isEmpty() ? ""
              : "; " + x.note))));
      if (!notes.isEmpty()) {
        out.add(new Table("Variants: attn4j's fused kernel against each peer's composition", g
            + ": what each peer composition contains and what was precomputed outside the timing",
            List.of("variant", "peer", "status", "note"), notes, blank(notes.size())));
      }
    });
    return out;
  }

  private static List<String> blank(int n) {
    return java.util.Collections.nCopies(n, "");
  }

  private static double median(List<Results.Startup> list, java.util.function.ToDoubleFunction<Results.Startup> f) {
    return median(list.stream().mapToDouble(f).sorted().toArray());
  }

  /** Groups by thread count then shape, labelled {@code "1x8x1024x1024x64, 1 thread(s)"}. */
  private static Map<String, List<Summary>> groups(List<Summary> sums) {
    return groups(sums, s -> s.shape + (s.variant.equals("core") ? "" : " " + s.variant) + ", " + s.threads
        + (s.threads == 1 ? " thread" : " threads"));
  }

  private static Map<String, List<Summary>> groups(List<Summary> sums, Function<Summary, String> label) {
    return sums.stream().sorted(Comparator.comparingInt(Summary::threads)).collect(Collectors.groupingBy(
        label, LinkedHashMap::new, Collectors.toList()));
  }

  private static String f(String format, double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, format, v);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /**
   * A grouped bar chart as a standalone SVG document: one group per (shape, threads), one bar per implementation
   * (same colour everywhere), the value above each bar; with {@code peakLine}, a dashed line per group at the FMA
   * peak.
   */
  static String chart(List<Summary> sums, String title, String subtitle, String unit,
      Function<Summary, Double> value, boolean peakLine) {
    return chart(sums, title, subtitle, unit, value, peakLine, null);
  }

  /** As above, the groups labelled by {@code label} ("first line, second line"; null: shape and threads). */
  static String chart(List<Summary> sums, String title, String subtitle, String unit,
      Function<Summary, Double> value, boolean peakLine, @org.jspecify.annotations.Nullable Function<Summary, String> label) {
    Map<String, List<Summary>> groups = label == null ? groups(sums) : groups(sums, label);
    Set<String> impls = new LinkedHashSet<>();
    sums.forEach(s -> impls.add(s.impl));
    int bar = 26;
    int gap = 36;
    int left = 64;
    int top = 78;
    int plotH = 260;
    int groupW = impls.size() * bar + gap;
    int width = Math.max(720, left + groups.size() * groupW + 24);
    int height = top + plotH + 48;
    double max = 0;
    for (Summary s : sums) {
      max = Math.max(max, finite(value.apply(s)));
      max = Math.max(max, peakLine ? finite(s.peakGflops) : 0);
    }
    double yMax = niceCeil(max * 1.08);
    StringBuilder sb = new StringBuilder();
    sb.append(f2("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
        + "font-family=\"system-ui,-apple-system,Segoe UI,Roboto,sans-serif\" font-size=\"11\">%n",
        width, height, width, height));
    sb.append(f2("<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", width, height));
    sb.append(f2("<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"600\" fill=\"#212529\">%s</text>"
        + "<text x=\"%d\" y=\"40\" fill=\"#868e96\">%s</text>%n", left, esc(title), left, esc(subtitle)));
    int lx = left;
    int c = 0;
    for (String impl : impls) {
      sb.append(f2("<rect x=\"%d\" y=\"50\" width=\"12\" height=\"12\" rx=\"2\" fill=\"%s\"/>"
          + "<text x=\"%d\" y=\"60\" fill=\"#495057\">%s</text>%n", lx, color(impl, c++), lx + 16, esc(impl)));
      lx += 24 + 7 * impl.length();
    }
    for (int i = 0; i <= 5; i++) {
      double v = yMax * i / 5;
      double y = top + plotH - plotH * v / yMax;
      sb.append(f2("<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
          + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#868e96\">%s</text>%n", left, width - 16, y, y,
          i == 0 ? "#adb5bd" : "#f1f3f5", left - 6, y + 4, yMax >= 10 ? f("%.0f", v) : trim(v)));
    }
    sb.append(f2("<text transform=\"translate(16 %d) rotate(-90)\" text-anchor=\"middle\" fill=\"#495057\">%s"
        + "</text>%n", top + plotH / 2, esc(unit)));
    int gx = left + gap / 2 + (width - 24 - left - groups.size() * groupW) / 2;
    for (Map.Entry<String, List<Summary>> g : groups.entrySet()) {
      int i = 0;
      for (String impl : impls) {
        Summary s = g.getValue().stream().filter(x -> x.impl.equals(impl)).findFirst().orElse(null);
        int x = gx + i * bar;
        double v = s == null ? Double.NaN : value.apply(s);
        if (s != null && Double.isFinite(v)) {
          double h = plotH * v / yMax;
          sb.append(f2("<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" rx=\"2\" fill=\"%s\">"
              + "<title>%s: %s %s</title></rect>%n", x + 2, top + plotH - h, bar - 4, h,
              color(impl, new ArrayList<>(impls).indexOf(impl)), esc(impl), trim(v), esc(unit)));
          sb.append(f2("<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"9\" fill=\"#343a40\">%s"
              + "</text>%n", x + bar / 2, top + plotH - h - 3, trim(v)));
        } else if (s != null) {
          sb.append(f2("<text x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"#c92a2a\" "
              + "transform=\"rotate(-90 %d %d)\">%s</text>%n", x + bar / 2 + 3, top + plotH - 4, x + bar / 2 + 3,
              top + plotH - 4, s.status == Status.OK ? "no data" : s.status.name()));
        }
        i++;
      }
      double peak = g.getValue().isEmpty() ? Double.NaN : g.getValue().get(0).peakGflops;
      if (peakLine && Double.isFinite(peak)) {
        double y = top + plotH - plotH * peak / yMax;
        sb.append(f2("<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#c92a2a\" stroke-dasharray=\"5 3\"/>"
            + "<text x=\"%d\" y=\"%.1f\" font-size=\"9\" fill=\"#c92a2a\">peak %s</text>%n", gx, gx + impls.size()
            * bar, y, y, gx, y - 3, trim(peak)));
      }
      String[] lines = (g.getKey() + ", ").split(", ", -1);
      int cx = gx + impls.size() * bar / 2;
      sb.append(f2("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#212529\">%s</text>"
          + "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#868e96\">%s</text>%n", cx, top + plotH + 18,
          esc(lines[0]), cx, top + plotH + 33, esc(lines[1])));
      gx += groupW;
    }
    return sb.append("</svg>\n").toString();
  }

  private static String color(String impl, int index) {
    return COLORS.getOrDefault(impl, MORE_COLORS[index % MORE_COLORS.length]);
  }

  private static double finite(double v) {
    return Double.isFinite(v) ? v : 0;
  }

  /** The smallest of 1, 2, 2.5, 5 times a power of ten that is at least {@code v} (at least 1). */
  static double niceCeil(double v) {
    if (!(v > 1)) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String trim(double v) {
    return v >= 100 ? f("%.0f", v) : v >= 10 ? f("%.1f", v) : f("%.2f", v);
  }

  private static String f2(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
