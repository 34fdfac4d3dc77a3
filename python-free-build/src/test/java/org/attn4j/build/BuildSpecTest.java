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
        .hasMessageContaining("s.json: schedules: expected names from [default, generic, cpu-flash, cuda-flash, cuda-mma]")
        .hasMessageContaining("got fast");
    assertThatThrownBy(() -> ArtifactRequest.schedule("cuda-flash", BuildTarget.cpu("x86-64-v3")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is for CUDA");
  }

  @Test
  void variantsTakeModifiersByNameWithParameters() {
    Map<String, Object> spec = Map.of("variants", List.of(
        Map.of("heads", 8L, "head_dim", 64L, "causal", "BOTTOM_RIGHT", "modifiers", List.of(
            Map.of("name", "rotary"), Map.of("name", "forgetting", "gate", "bias_only", "lambda", 0.125),
            Map.of("name", "soft_cap", "cap", 30L))),
        Map.of("heads", 4L, "head_dim", 32L, "cross", true, "modifiers", List.of(
            Map.of("name", "rotary", "positions", "cross", "per_batch", true, "layout", "rotate_half"))),
        Map.of("heads", 4L, "head_dim", 32L, "modifiers", List.of("sliding_window:left=128", "alibi",
            "rotary:dim=8,special=pairwise_exempt,special_count=2"))), "targets", List.of("cpu:x86-64-v3"));
    List<ArtifactRequest> r = BuildSpec.of(spec, "test");
    assertThat(r).extracting(ArtifactRequest::getName).containsExactly(
        "sdpa_float32_h8kv8_d64_causal+rope32_arange+fox_bias_only_l0.125_eps1.0E-12+softcap_30.0-cpu-x86-64-v3",
        "sdpa_float32_h4kv4_d32_cross+rope16h_bxpos-cpu-x86-64-v3",
        "sdpa_float32_h4kv4_d32+window_l128_r0+alibi+rope8_arange_exempt2-cpu-x86-64-v3");
    assertThat(r.get(1).variant().getSpec().isCross()).isTrue();
  }

  @Test
  void badModifiersAreRefusedNamingTheParameter() {
    assertThatThrownBy(() -> ModifierSpecs.parse("rope", 64)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("name: expected one of [alibi,").hasMessageContaining("got rope");
    assertThatThrownBy(() -> ModifierSpecs.parse("soft_cap", 64)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cap: expected a number, missing");
    assertThatThrownBy(() -> ModifierSpecs.parse("alibi:slope=2", 64)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown parameter 'slope'");
    assertThatThrownBy(() -> ModifierSpecs.parse("rotary:positions=diagonal", 64))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positions: expected arange, self or cross");
    assertThatThrownBy(() -> ModifierSpecs.parse("forgetting:gate=sometimes", 64))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gate: expected one of [data_dependent");
    assertThat(ModifierSpecs.parse("cope:max_pos=8,temperature=0.05", 64).getName()).startsWith("cope");
    assertThat(ModifierSpecs.parse("memory_kv:count=4", 64).getName()).isEqualTo("memkv4");
    assertThatThrownBy(() -> ModifierSpecs.parse("sliding_window:left=1.5", 64))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("left: expected an integer, got 1.5");
  }

  @Test
  void layersExpandPerTargetAndLayerSchedule() {
    Map<String, Object> spec = Map.of("layers", List.of(
        Map.of("dim", 64L, "norm", "rms_norm", "condition", "per_batch", "gate", true, "forget_gate", 0.125,
            "value_residual", "learned", "core", Map.of("heads", 4L, "kv_heads", 2L, "head_dim", 16L,
                "causal", "BOTTOM_RIGHT", "modifiers", List.of("alibi"))),
        Map.of("dim", 32L, "core", Map.of("heads", 2L, "head_dim", 16L))),
        "targets", List.of("cpu:x86-64-v3", "cuda:sm_90"),
        "layer_schedules", List.of("default", "cpu-layer", "cpu-flash-layer"),
        "bounds", Map.of("b", List.of(1L, 8L), "n", List.of(1L, 4096L), "m", List.of(1L, 4096L)));
    assertThat(BuildSpec.of(spec, "test")).isEmpty();
    List<LayerArtifactRequest> r = BuildSpec.layers(spec, "test");
    assertThat(r).extracting(LayerArtifactRequest::getName).containsExactly(
        "layer_dim64_rms_zb_gate_fox0.125_vrmix+sdpa_float32_h4kv2_d16_causal_tiled+alibi-cpu-x86-64-v3",
        "layer_dim64_rms_zb_gate_fox0.125_vrmix+sdpa_float32_h4kv2_d16_causal_tiled+alibi-cpu-x86-64-v3-cpu-layer",
        "layer_dim64_rms_zb_gate_fox0.125_vrmix+sdpa_float32_h4kv2_d16_causal_tiled+alibi-cpu-x86-64-v3",
        "layer_dim64_rms_zb_gate_fox0.125_vrmix+sdpa_float32_h4kv2_d16_causal_tiled+alibi-cuda-sm_90",
        "layer_dim32_ln+sdpa_float32_h2kv2_d16-cpu-x86-64-v3",
        "layer_dim32_ln+sdpa_float32_h2kv2_d16-cpu-x86-64-v3-cpu-layer",
        "layer_dim32_ln+sdpa_float32_h2kv2_d16-cpu-x86-64-v3",
        "layer_dim32_ln+sdpa_float32_h2kv2_d16-cuda-sm_90");
    assertThat(r.get(0).layer().getForgetLambda()).isEqualTo(0.125);
    assertThat(r.get(0).layer().isMixLearned()).isTrue();
    assertThat(r.get(0).bounds().get("n")).containsExactly(1L, 4096L);
    assertThat(r.get(0).schedule().getName()).isEqualTo("cpu-flash-layer");
    assertThat(r.get(1).schedule().getName()).isEqualTo("cpu-layer");
    assertThat(r.get(0).schedule().getParameters()).containsEntry("vectorWidth", 8).containsKey("qBlock");
    assertThatThrownBy(() -> BuildSpec.layers(Map.of("layers", List.of(Map.of("dim", 32L, "value_residual", "yes",
        "core", Map.of("heads", 2L, "head_dim", 16L)))), "s.json"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("s.json: layers: value_residual: expected constant or learned, got yes");
    assertThatThrownBy(() -> BuildSpec.layers(Map.of("layers", List.of(Map.of("dim", 32L))), "s.json"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("field 'core' is missing");
  }

  /** A variant's fields that a layer's core cannot take are refused by name, not dropped. */
  @Test
  void layerCoresRefuseVariantOnlyFields() {
    Map<String, Object> core = Map.of("heads", 2L, "head_dim", 16L);
    for (Map.Entry<String, Object> e : List.<Map.Entry<String, Object>>of(Map.entry("lse", true),
        Map.entry("key_lengths", true), Map.entry("cross", true), Map.entry("dtype", "float16"))) {
      Map<String, Object> c = new java.util.HashMap<>(core);
      c.put(e.getKey(), e.getValue());
      String field = e.getKey().equals("key_lengths") ? "keyLengths" : e.getKey();
      assertThatThrownBy(() -> BuildSpec.layers(Map.of("layers", List.of(Map.of("dim", 32L, "core", c))), "s.json"))
          .as(e.getKey()).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("core " + field + ": expected");
    }
    assertThat(BuildSpec.layers(Map.of("layers", List.of(Map.of("dim", 32L, "core",
        Map.of("heads", 2L, "head_dim", 16L, "dtype", "float32", "lse", false)))), "s.json")).hasSize(1);
  }
}
