package org.attn4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.attn4j.bench.Results.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchMainTest {

  /** Every implementation on two tiny shapes, end to end: checks, interleaved samples, peaks, report files. */
  @Test
  void runsEveryImplementationCheckedAgainstTheOracle(@TempDir Path out) throws Exception {
    BenchOptions o = BenchOptions.parse("--shapes", "1x2x16x16x8,1x2x8x16x8c", "--rounds", "2", "--warmup", "1",
        "--round-ms", "1", "--out", out.toString());
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Results r = BenchMain.run(o, new PrintStream(log, true, StandardCharsets.UTF_8));

    Map<String, Status> status = r.checks.stream().collect(Collectors.toMap(c -> c.shape() + " " + c.impl(),
        Results.Check::status));
    assertThat(status).as(log.toString(StandardCharsets.UTF_8)).hasSize(10);
    status.forEach((k, v) -> {
      if (k.equals("1x2x8x16x8c pytorch")) {
        assertThat(v).as(k).isEqualTo(Status.UNSUPPORTED); // SDPA's is_causal is top-left aligned
      } else {
        assertThat(v).as(k + "\n" + log.toString(StandardCharsets.UTF_8)).isEqualTo(Status.OK);
      }
    });
    r.checks.stream().filter(c -> c.status() == Status.OK)
        .forEach(c -> assertThat(c.maxAbsError()).as(c.impl()).isLessThanOrEqualTo(c.bound()));
    // every timed implementation has samples in both rounds; the unavailable one has none
    for (Results.Check c : r.checks) {
      long rounds = r.samples.stream().filter(s -> s.shape().equals(c.shape()) && s.impl().equals(c.impl()))
          .map(Results.Sample::round).distinct().count();
      assertThat(rounds).as(c.shape() + " " + c.impl()).isEqualTo(c.status() == Status.OK ? 2 : 0);
    }
    assertThat(r.peaks).anyMatch(p -> p.probe().startsWith("sgemm") && p.gflops() > 0);
    for (String f : new String[] {"samples.csv", "checks.csv", "peaks.csv", "env.csv", "summary.csv", "report.md",
        "report.html", "gflops.svg", "peak.svg"}) {
      assertThat(out.resolve(f)).isNotEmptyFile();
    }
    assertThat(Files.readString(out.resolve("env.csv"))).contains("arrow_bounds_checking", "jvm_flags");
  }

  /** A wrong implementation is marked FAILED, closed and not returned for timing. */
  @Test
  void wrongResultsAreFailedAndNotTimed() {
    Shape s = new Shape(1, 1, 4, 4, 4, false);
    float[] q = new float[16];
    WrongPeer wrong = new WrongPeer(s);
    Results r = new Results();
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    OracleCheck zeros = new OracleCheck(q, q, q, new float[16]);
    assertThat(BenchMain.check("core", "wrong", () -> wrong, s, 1, zeros, r, quiet)).isNull();
    assertThat(wrong.isClosed()).isTrue();
    assertThat(r.checks.get(0).status()).isEqualTo(Status.FAILED);
    assertThat(r.checks.get(0).maxAbsError()).isCloseTo(1e-3, org.assertj.core.data.Offset.offset(1e-6));

    assertThat(BenchMain.check("core", "broken", () -> {
      throw new IllegalStateException("no native");
    }, s, 1, zeros, r, quiet)).isNull();
    assertThat(r.checks.get(1).status()).isEqualTo(Status.UNAVAILABLE);
    assertThat(r.checks.get(1).note()).contains("no native");
    assertThat(BenchMain.check("core", "narrow", () -> {
      throw new IllegalArgumentException("causal needs m == n");
    }, s, 1, zeros, r, quiet)).isNull();
    assertThat(r.checks.get(2).status()).isEqualTo(Status.UNSUPPORTED);
  }

  @Test
  void fmaProbeCompilesAndMeasures(@TempDir Path work) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/cc")),
        "no /usr/bin/cc: the FMA probe needs a C compiler");
    MachinePeak.Peak p = MachinePeak.fma(1, work);
    assertThat(p.probe()).startsWith("fma-avx");
    assertThat(p.gflops()).isGreaterThan(1);
    assertThat(MachinePeak.source(false)).contains("_mm256_fmadd_ps(x11, a, c)").doesNotContain("x12");
    assertThat(MachinePeak.source(true)).contains("_mm512_fmadd_ps(x23, a, c)");
  }
}
