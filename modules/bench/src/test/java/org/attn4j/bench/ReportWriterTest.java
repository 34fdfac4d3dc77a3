package org.attn4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.attn4j.bench.Results.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class ReportWriterTest {

  /** Two processes (1 and 2 threads), one shape; attn4j twice as fast as onnxruntime, torch unavailable. */
  static Results sample() {
    Results r = new Results();
    String shape = "1x8x1024x1024x64";
    for (int t : new int[] {1, 2}) {
      r.peaks.add(new Results.PeakRow(t, "fma-avx2", t, 90.0 * t));
      r.peaks.add(new Results.PeakRow(t, "fma-avx2", t, 80.0 * t));
      r.peaks.add(new Results.PeakRow(t, "sgemm-openblas-1024", t, 70.0 * t));
      r.checks.add(new Results.Check(t, shape, "attn4j", "attn4j-x86-64-v3-" + t + "t", Status.OK, 1e-7, 2e-5,
          1234, "artifact compiled, in 1.0 s"));
      r.checks.add(new Results.Check(t, shape, "onnxruntime", "ort", Status.OK, 2e-7, 2e-5, 56, "say \"hi\""));
      r.checks.add(new Results.Check(t, shape, "pytorch", "pytorch", Status.UNAVAILABLE, Double.NaN, Double.NaN,
          Double.NaN, "no <native> here"));
      for (int round = 0; round < 3; round++) {
        // medians: attn4j 40/t ms, onnxruntime 80/t ms
        r.samples.add(new Results.Sample(t, shape, "attn4j", round, (40.0 + round - 1) / t));
        r.samples.add(new Results.Sample(t, shape, "onnxruntime", round, (80.0 + 2 * (round - 1)) / t));
      }
      r.env.add(new Results.Env(t, "jvm", "OpenJDK & friends"));
    }
    r.startup.add(new Results.Startup("runtime", 300, 100 * 1024, 120 * 1024));
    r.startup.add(new Results.Startup("runtime", 500, 100 * 1024, 120 * 1024));
    r.startup.add(new Results.Startup("runtime", 400, 100 * 1024, 120 * 1024));
    return r;
  }

  @Test
  void summaryHasBestMedianGflopsPeakShareAndRatios() {
    List<ReportWriter.Summary> s = ReportWriter.summarize(sample());
    assertThat(s).hasSize(6);
    ReportWriter.Summary a1 = s.get(0);
    double gflop = 4.0 * 8 * 1024 * 1024 * 64 / 1e9;
    assertThat(a1.bestMs()).isEqualTo(39.0);
    assertThat(a1.medianMs()).isEqualTo(40.0);
    assertThat(a1.gflopsMedian()).isCloseTo(gflop / 0.040, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(a1.peakGflops()).isEqualTo(90.0); // best FMA probe of the same process, not sgemm
    assertThat(a1.pctPeakMedian()).isCloseTo(100 * gflop / 0.040 / 90, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(s.get(1).vsAttn4j()).isEqualTo(2.0);
    assertThat(s.get(2).samples()).isZero();
    assertThat(s.get(2).medianMs()).isNaN();
    ReportWriter.Summary a2 = s.get(3);
    assertThat(a2.threads()).isEqualTo(2);
    assertThat(a2.medianMs()).isEqualTo(20.0);
    assertThat(a2.peakGflops()).isEqualTo(180.0);
  }

  @Test
  void writesCsvMarkdownAndWellFormedHtmlAndSvg(@TempDir Path dir) throws Exception {
    Results r = sample();
    r.save(dir);
    ReportWriter.write(r, dir);
    Results back = new Results().load(dir);
    assertThat(back.samples).isEqualTo(r.samples);
    assertThat(back.checks.get(0).note()).isEqualTo("artifact compiled, in 1.0 s");
    assertThat(back.checks.get(1).note()).isEqualTo("say \"hi\"");
    assertThat(back.checks.get(2).loadMs()).isNaN();
    assertThat(back.startup).hasSize(3);

    List<Map<String, String>> summary = Results.Csv.read(dir.resolve("summary.csv"));
    assertThat(summary).hasSize(6);
    assertThat(summary.get(1)).containsEntry("impl", "onnxruntime").containsEntry("median_ms", "80.0000")
        .containsEntry("median_vs_attn4j", "2.00000");

    String md = Files.readString(dir.resolve("report.md"));
    assertThat(md).contains("### 1x8x1024x1024x64, 1 thread\n", "### 1x8x1024x1024x64, 2 threads\n",
        "| attn4j | OK | 1.0e-07 | 1234 | 3 | 39.000 | 40.000 |", "| 2.00× |", "| pytorch | UNAVAILABLE |",
        "| 1 | fma-avx2 | 1 | 90.0 | 80.0 | 2 |", "| runtime | 3 | 400 | 100 | 120 |", "max \\|err\\|");
    for (String line : md.split("\n")) {
      if (line.startsWith("| implementation")) {
        assertThat(line.split("(?<!\\\\)\\|")).hasSize(13); // 12 columns, the escaped pipe is not a separator
      }
    }

    Document html = parse(dir.resolve("report.html"));
    assertThat(html.getElementsByTagName("svg").getLength()).isEqualTo(2);
    assertThat(html.getElementsByTagName("table").getLength()).isEqualTo(7); // 2x(result+ratios), peak, startup, env
    String text = html.getDocumentElement().getTextContent();
    assertThat(text).contains("OpenJDK & friends", "no <native> here", "UNAVAILABLE", "53.7");
    Document svg = parse(dir.resolve("gflops.svg"));
    assertThat(svg.getDocumentElement().getTextContent()).contains("attn4j", "onnxruntime", "peak 90.0", "peak 180");
    assertThat(svg.getElementsByTagName("rect").getLength()).isGreaterThan(4);
    parse(dir.resolve("peak.svg"));
  }

  @Test
  void niceAxisMaxima() {
    assertThat(ReportWriter.niceCeil(0.3)).isEqualTo(1);
    assertThat(ReportWriter.niceCeil(87)).isEqualTo(100);
    assertThat(ReportWriter.niceCeil(101)).isEqualTo(200);
    assertThat(ReportWriter.niceCeil(230)).isEqualTo(250);
  }

  private static Document parse(Path file) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    return f.newDocumentBuilder().parse(new ByteArrayInputStream(Files.readString(file)
        .getBytes(StandardCharsets.UTF_8)));
  }

  /** A variant axis: ratios to attn4j's core and to the same variant, the per-variant table, variants.csv. */
  @Test
  void variantTableHasRatiosToTheCoreAndToEachPeersComposition(@TempDir Path dir) throws Exception {
    Results r = new Results();
    String shape = "1x8x1024x1024x64c";
    r.checks.add(new Results.Check(1, shape, "attn4j", "a", Status.OK, 1e-7, 2e-5, 1, "", "core"));
    r.checks.add(new Results.Check(1, shape, "pytorch", "p", Status.OK, 1e-7, 2e-5, 1, "", "core"));
    r.checks.add(new Results.Check(1, shape, "attn4j", "a", Status.OK, 1e-7, 2e-5, 1, "", "fox"));
    r.checks.add(new Results.Check(1, shape, "pytorch", "p", Status.OK, 1e-7, 2e-5, 1, "bias precomputed", "fox"));
    r.checks.add(new Results.Check(1, shape, "onnxruntime", "o", Status.UNSUPPORTED, Double.NaN, Double.NaN,
        Double.NaN, "no composition", "fox"));
    for (int round = 0; round < 3; round++) {
      r.samples.add(new Results.Sample(1, shape, "attn4j", round, 10.0, "core"));
      r.samples.add(new Results.Sample(1, shape, "pytorch", round, 20.0, "core"));
      r.samples.add(new Results.Sample(1, shape, "attn4j", round, 12.0, "fox"));
      r.samples.add(new Results.Sample(1, shape, "pytorch", round, 48.0, "fox"));
    }
    List<ReportWriter.Summary> s = ReportWriter.summarize(r);
    assertThat(s.get(2).vsAttn4jCore()).isCloseTo(1.2, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(s.get(3).vsAttn4j()).isEqualTo(4.0);
    assertThat(s.get(3).vsAttn4jCore()).isEqualTo(4.8);
    ReportWriter.write(r, dir);
    String md = Files.readString(dir.resolve("report.md"));
    assertThat(md).contains("## Variants", "| fox | 1.0e-07 | 12.000 | 1.20 |", "| 48.000 | 4.00 | pytorch | 4.00 |",
        "bias precomputed");
    assertThat(Files.readString(dir.resolve("variants.csv"))).startsWith("threads,shape,variant,impl");
    assertThat(dir.resolve("variants-0.svg")).isNotEmptyFile();
    // the CSV round trip keeps the variant
    r.save(dir);
    Results back = new Results().load(dir);
    assertThat(back.samples.get(2).variant()).isEqualTo("fox");
    assertThat(back.checks.get(4).variant()).isEqualTo("fox");
  }
}
