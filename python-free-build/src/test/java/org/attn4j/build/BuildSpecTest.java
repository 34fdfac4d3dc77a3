package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Build specs expand to requests: variants × dtypes × targets × schedules (each schedule on its kind). */
class BuildSpecTest {
  private static Map<String, Object> spec(List<Object> targets, List<Object> schedules) {
    return Map.of("variants", List.of(Map.of("heads", 8L, "head_dim", 64L)), "dtypes", List.of("float32", "float16"),
        "targets", targets, "schedules", schedules);
  }

  @Test
  void schedulesApplyToTheTargetsOfTheirKindAndNameTheirArtifacts() {
    List<ArtifactRequest> r = BuildSpec.of(spec(List.of("cpu:x86-64-v3", "cuda:sm_90"),
        List.of("default", "cuda-flash")), "test");
    assertThat(r).extracting(ArtifactRequest::getName).containsExactly(
        "sdpa_float32_h8kv8_d64-cpu-x86-64-v3",
        "sdpa_float32_h8kv8_d64-cuda-sm_90",
        "sdpa_float32_h8kv8_d64-cuda-sm_90-cuda-flash",
        "sdpa_float16_h8kv8_d64-cpu-x86-64-v3",
        "sdpa_float16_h8kv8_d64-cuda-sm_90",
        "sdpa_float16_h8kv8_d64-cuda-sm_90-cuda-flash");
    assertThat(r.get(0).schedule().getParameters()).containsEntry("vectorWidth", 8);
  }

  @Test
  void unknownOrMisplacedSchedulesAreRefusedByName() {
    assertThatThrownBy(() -> BuildSpec.of(spec(List.of("cpu:host"), List.of("fast")), "s.json"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("s.json: schedules: expected names from [default, generic, cpu-flash, cuda-flash]")
        .hasMessageContaining("got fast");
    assertThatThrownBy(() -> ArtifactRequest.schedule("cuda-flash", BuildTarget.cpu("x86-64-v3")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is for CUDA");
  }
}
