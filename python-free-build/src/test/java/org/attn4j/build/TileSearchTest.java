package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.schedules.CpuFlashSchedule;
import org.junit.jupiter.api.Test;

/** The tile search checks every candidate against the reference before timing it (times are not asserted). */
class TileSearchTest {
  @Test
  void everyCandidateIsCheckedAndTimed() throws IOException {
    AttentionSpec spec = AttentionSpec.builder().heads(2).headDim(16).causal(Causal.BOTTOM_RIGHT).build();
    List<CpuFlashSchedule> candidates = List.of(new CpuFlashSchedule(16, 16, 8, 4), new CpuFlashSchedule(32, 24, 8, 6));
    List<TileSearch.Trial> trials = TileSearch.search(spec, BuildTarget.hostCpu(), candidates, 1, 70, 90, 3,
        Progress.silent());
    assertThat(trials).extracting(TileSearch.Trial::schedule).containsExactlyInAnyOrderElementsOf(candidates);
    assertThat(trials).allSatisfy(t -> assertThat(t.maxAbsError()).isLessThan(1e-5));
    assertThat(trials.get(0).medianMs()).isLessThanOrEqualTo(trials.get(1).medianMs());
  }

  @Test
  void tileStringsNameSchedulesExactly() {
    BuildTarget cpu = BuildTarget.cpu("x86-64-v3");
    assertThat(ArtifactRequest.schedule("cpu-flash:32,48,8,6", cpu).getParameters())
        .containsEntry("qBlock", 32).containsEntry("kBlock", 48).containsEntry("vectorWidth", 8)
        .containsEntry("microKeys", 6);
    assertThatThrownBy(() -> ArtifactRequest.schedule("cpu-flash:32,48", cpu))
        .hasMessageContaining("expected cpu-flash:qBlock,kBlock,vectorWidth,microKeys");
    assertThatThrownBy(() -> ArtifactRequest.schedule("cpu-flash:a,b,c,d", cpu))
        .hasMessageContaining("expected integers after ':'");
    assertThatThrownBy(() -> TileSearch.search(AttentionSpec.builder().heads(2).headDim(8).build(),
        BuildTarget.cuda("sm_90"), List.of(), 1, 1, 1, 1, Progress.silent()))
        .hasMessageContaining("expected a float32 spec on a CPU target");
  }
}
