package org.attn4j.bench.jmh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.attn4j.bench.BenchVariant;
import org.attn4j.bench.Impl;
import org.attn4j.bench.ReportWriter;
import org.attn4j.bench.Results;
import org.attn4j.bench.Results.Status;
import org.attn4j.bench.Shape;
import org.attn4j.bench.WrongPeer;
import org.attn4j.bench.peers.AttentionPeer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The JMH harness on tiny shapes, in this JVM (surefire sets {@code TVM_NUM_THREADS=1}): the states check before
 * any timing and record what they saw, and the report reads a real JMH result. No time is asserted.
 */
class JmhHarnessTest {

  @TempDir Path out;
  private String saved;

  @BeforeEach
  void pointOutputAtTempDir() {
    saved = System.getProperty(PeerState.OUT);
    System.setProperty(PeerState.OUT, out.toString());
  }

  @AfterEach
  void restoreOutput() {
    if (saved == null) {
      System.clearProperty(PeerState.OUT);
    } else {
      System.setProperty(PeerState.OUT, saved);
    }
  }

  /** attn4j (core, FoX) and the naive loop, then attn4j's artifact load; JSON back through JmhReport. */
  @Test
  void runsCheckedBenchmarksAndReportsThem() throws Exception {
    Path json = out.resolve("jmh.json");
    Collection<RunResult> results = new Runner(new OptionsBuilder()
        .include(AttentionBenchmark.class.getName() + "\\.(attn4j|naive)$")
        .include(ArtifactBenchmark.class.getName() + "\\.load$")
        .param("shape", "1x2x16x16x8c").param("variant", "core", "fox")
        .forks(0).warmupIterations(0).measurementIterations(1).measurementTime(TimeValue.milliseconds(50))
        .shouldFailOnError(true).resultFormat(ResultFormatType.JSON).result(json.toString())
        .build()).run();
    assertThat(results).hasSize(5); // attn4j x 2 variants, naive (core only), load x 2 variants

    JmhReport.Run run = JmhReport.read(out, List.of(json));
    Results r = run.results();
    assertThat(r.checks).extracting(c -> c.impl() + " " + c.variant() + " " + c.status())
        .containsExactly("attn4j core OK", "attn4j fox OK", "naive core OK"); // load's re-checks merged
    r.checks.forEach(c -> assertThat(c.maxAbsError()).as(c.impl()).isLessThanOrEqualTo(c.bound()));
    Set<String> sampled = r.samples.stream().map(s -> s.impl() + " " + s.variant()).collect(Collectors.toSet());
    assertThat(sampled).containsExactlyInAnyOrder("attn4j core", "attn4j fox", "naive core");
    assertThat(run.artifacts().rows()).extracting(row -> row.get(2) + " " + row.get(3) + " " + row.get(4))
        .containsExactlyInAnyOrder("core attn4j load", "fox attn4j load");
    assertThat(r.env).anyMatch(e -> e.key().equals("arrow_bounds_checking"))
        .anyMatch(e -> e.key().equals("jmh") && e.value().startsWith("1.37"));

    Path report = out.resolve("report");
    ReportWriter.write(r, report, "method", List.of(run.artifacts()));
    assertThat(Files.readString(report.resolve("report.md"))).contains("| attn4j | OK |", "| naive | OK |",
        "## Variants", "## Artifact compile and load", "| 1 | 1x2x16x16x8c | fox | attn4j | load | 1 |")
        .doesNotContain("Machine peak");
  }

  /** A wrong output fails the trial before anything is timed, is recorded as FAILED, and nothing stays open. */
  @Test
  void aWrongImplementationFailsItsTrial() throws Exception {
    WrongPeer[] made = new WrongPeer[1];
    PeerState state = new PeerState(Impl.NAIVE) {
      @Override
      AttentionPeer create(Shape s, BenchVariant.Case c, Path work) {
        made[0] = new WrongPeer(s);
        return made[0];
      }
    };
    state.shape = "1x2x8x8x4";
    state.threads = 1;
    assertThatThrownBy(state::setUp).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(PeerState.CHECK_FAILED).hasMessageContaining("naive core 1x2x8x8x4");
    assertThat(made[0].isClosed()).isTrue();
    assertThatThrownBy(state::call).isInstanceOf(IllegalStateException.class).hasMessageContaining("not set up");
    Results.Check c = new Results().load(out).checks.get(0);
    assertThat(c.status()).isEqualTo(Status.FAILED);
    assertThat(c.maxAbsError()).isGreaterThan(c.bound());
  }

  /** FoX is causal only: on a non-causal shape the trial is not applicable, recorded as UNSUPPORTED. */
  @Test
  void aCombinationThatCannotRunIsNotApplicable() throws Exception {
    AttentionBenchmark.OnnxRuntime state = new AttentionBenchmark.OnnxRuntime();
    state.shape = "1x2x16x16x8";
    state.threads = 1;
    state.variant = "fox";
    assertThatThrownBy(state::setUp).isInstanceOf(UnsupportedOperationException.class)
        .hasMessageStartingWith(PeerState.NOT_APPLICABLE + "onnxruntime fox 1x2x16x16x8: fox: forgetting attention "
            + "is causal");
    assertThat(new Results().load(out).checks).singleElement()
        .satisfies(c -> assertThat(c.status()).isEqualTo(Status.UNSUPPORTED));
  }

  /** attn4j's trial refuses a thread count TVM's pool does not have (TVM reads TVM_NUM_THREADS once). */
  @Test
  void attn4jRefusesAThreadCountItsPoolDoesNotHave() {
    AttentionBenchmark.Attn4j state = new AttentionBenchmark.Attn4j();
    state.shape = "1x2x16x16x8c";
    state.threads = 7;
    state.variant = "core";
    assertThatThrownBy(state::setUp).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("threads=7 but TVM's pool has 1 threads").hasMessageContaining("TVM_NUM_THREADS");
    assertThatThrownBy(state::peer).isInstanceOf(IllegalStateException.class);
  }
}
