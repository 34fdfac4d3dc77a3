package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.attn4j.attention.AttentionLayer;
import org.attn4j.attention.AttentionLayer.Condition;
import org.attn4j.attention.AttentionLayer.Norm;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.Modifier;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Slots;
import org.attn4j.attention.Variant;
import org.attn4j.build.LayerKernels.Inputs;
import org.attn4j.build.LayerKernels.Shape;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;
import org.attn4j.runtime.Manifest;
import org.attn4j.schedules.GenericLayerSchedule;
import org.attn4j.schedules.TargetKind;
import org.attn4j.te.DType;
import org.attn4j.te.Te;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The attention layer's validation (builder, compute, request) and the runtime's argument checks on a layer
 * artifact: every bad input is an {@link IllegalArgumentException} naming the argument, before any native call.
 * Also the manifest's description and a CUDA build (codegen only; skips visibly without nvcc).
 */
class AttentionLayerChecksTest extends ArrowTestBase {
  static final AttentionSpec CORE = AttentionSpec.builder().heads(4).kvHeads(2).headDim(8)
      .causal(Causal.BOTTOM_RIGHT).build();
  static final AttentionLayer GATED = AttentionLayer.builder().dim(32).norm(Norm.RMS_NORM)
      .condition(Condition.PER_BATCH).gate(true).core(Variant.of(CORE, Modifiers.alibi())).build();

  static Path artifact() throws IOException {
    return LayerKernels.artifact(GATED, LayerArtifactRequest.defaultSchedule(BuildTarget.hostCpu()));
  }

  @Test
  void builderRejectsBadParameters() {
    assertThatThrownBy(() -> AttentionLayer.builder().dim(0).core(CORE).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dim: expected dim >= 1, got 0");
    assertThatThrownBy(() -> AttentionLayer.builder().dim(32).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("core: expected");
    assertThatThrownBy(() -> AttentionLayer.builder().dim(32).core(CORE).gate(true).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gate: expected a condition")
        .hasMessageContaining("NONE");
    assertThatThrownBy(() -> AttentionLayer.builder().dim(32).core(CORE).norm(null).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("norm: expected");
    assertThatThrownBy(() -> AttentionLayer.builder().dim(32).core(CORE).condition(null).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("condition: expected");
    assertThatThrownBy(() -> AttentionLayer.builder().dim(32)
        .core(AttentionSpec.builder().heads(2).headDim(8).keyLengths(true).build()).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("core keyLengths: expected false");
    assertThatThrownBy(() -> AttentionLayer.builder().dim(32)
        .core(AttentionSpec.builder().heads(2).headDim(8).lse(true).build()).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("core lse: expected false");
    assertThatThrownBy(() -> AttentionLayer.builder().dim(32)
        .core(AttentionSpec.builder().heads(2).headDim(8).dtype(DType.FLOAT16).build()).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("core dtype: expected float32");
    assertThatThrownBy(() -> AttentionLayer.builder().dim(32)
        .core(AttentionSpec.builder().heads(2).headDim(8).cross(true).build()).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("core cross: expected false");
  }

  @Test
  void captureUnderALayerArgumentNameIsRejected() {
    Modifier clash = Modifier.named("clash", Map.of(), ctx -> {
      var t = ctx.capture("gamma", DType.FLOAT32, ctx.getSpec().getHeads());
      return Slots.score((s, b, h, i, j) -> s.plus(t.get(h)));
    });
    AttentionLayer l = AttentionLayer.builder().dim(32).core(Variant.of(CORE, clash)).build();
    try (Te te = Te.create()) {
      assertThatThrownBy(() -> l.define(te))
        .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("capture gamma: expected a name not used by the layer's arguments");
    }
  }

  @Test
  void requestRejectsBadBoundsAndSchedules() {
    BuildTarget cpu = BuildTarget.hostCpu();
    assertThatThrownBy(() -> new LayerArtifactRequest(GATED, cpu, new GenericLayerSchedule(TargetKind.CUDA),
        LayerArtifactRequest.defaultBounds()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is for CUDA");
    assertThatThrownBy(() -> new LayerArtifactRequest(GATED, cpu, new GenericLayerSchedule(TargetKind.CPU),
        Map.of("b", new long[] {1, 4})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bounds of n: expected [lo, hi]");
    assertThatThrownBy(() -> new LayerArtifactRequest(GATED, cpu, new GenericLayerSchedule(TargetKind.CPU),
        Map.of("b", new long[] {1, 4}, "n", new long[] {1, 4}, "m", new long[] {1, 4})))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected only b and n");
    assertThatThrownBy(() -> LayerArtifactRequest.schedule("cpu-flash", cpu))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("layer schedule: expected one of");
  }

  @Test
  void manifestDescribesTheLayerAndItsArguments() throws IOException {
    Manifest m = Manifest.read(artifact());
    assertThat(m.variant()).isEqualTo(GATED.getName())
        .isEqualTo("layer_dim32_rms_zb_gate+sdpa_float32_h4kv2_d8_causal_tiled+alibi");
    assertThat(m.arguments()).extracting(Manifest.Argument::name)
        .containsExactly("x", "z", "x0", "gamma", "wq", "wk", "wv", "wo", "w_gate", "alibi_slopes", "out");
    assertThat(m.arguments()).extracting(Manifest.Argument::shapeText).containsExactly("[b, n, 32]", "[b, 32]",
        "[b, n, 32]", "[32]", "[32, 32]", "[16, 32]", "[16, 32]", "[32, 32]", "[32]", "[4]", "[b, n, 32]");
    assertThat(m.dims()).containsOnlyKeys("b", "n");
    assertThat(m.spec()).containsEntry("variant", "attention_layer").containsEntry("dim", 32L)
        .containsEntry("norm", "RMS_NORM").containsEntry("condition", "PER_BATCH").containsEntry("gate", true)
        .containsEntry("dtype", "float32").containsKey("core");
    @SuppressWarnings("unchecked")
    Map<String, Object> core = (Map<String, Object>) m.spec().get("core");
    assertThat(core).containsEntry("heads", 4L).containsEntry("kv_heads", 2L).containsEntry("head_dim", 8L)
        .containsEntry("causal", "BOTTOM_RIGHT");
    assertThat(m.schedule()).isEqualTo("cpu-layer");
  }

  @Test
  void cacheKeyDependsOnTheLayer() {
    BuildTarget cpu = BuildTarget.hostCpu();
    AttentionLayer ln = AttentionLayer.builder().dim(32).norm(Norm.LAYER_NORM).condition(Condition.PER_BATCH)
        .gate(true).core(Variant.of(CORE, Modifiers.alibi())).build();
    String a = LayerArtifactBuilder.cacheKey(LayerArtifactRequest.of(GATED, cpu));
    assertThat(LayerArtifactBuilder.cacheKey(LayerArtifactRequest.of(GATED, cpu))).isEqualTo(a);
    assertThat(LayerArtifactBuilder.cacheKey(LayerArtifactRequest.of(ln, cpu))).isNotEqualTo(a);
  }


  private static List<float[]> arguments(Inputs in, Shape sh) {
    List<float[]> a = new ArrayList<>(in.arguments());
    a.add(new float[sh.b() * sh.n() * GATED.getDim()]);
    return a;
  }

  @Test
  void runtimeRejectsBadArgumentsByName() throws IOException {
    Path dir = artifact();
    Shape sh = new Shape(2, 5);
    Inputs in = Inputs.of(GATED, sh, List.of(Modifiers.alibiSlopes(4)));
    Dims dims = Dims.of(sh.b(), sh.n());
    // wrong x shape
    List<float[]> badX = arguments(in, sh);
    badX.set(0, new float[sh.b() * (sh.n() + 1) * 32]);
    assertThatThrownBy(() -> LayerKernels.runRaw(allocator, dir, dims, badX))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("x: expected [b, n, 32] = 320 values");
    // z [b, n, dim] given to a [b, dim] layer
    List<float[]> badZ = arguments(in, sh);
    badZ.set(1, new float[sh.b() * sh.n() * 32]);
    assertThatThrownBy(() -> LayerKernels.runRaw(allocator, dir, dims, badZ))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("z: expected [b, 32] = 64 values");
    // a missing weight (w_gate left out)
    List<float[]> missing = arguments(in, sh);
    missing.remove(8);
    assertThatThrownBy(() -> LayerKernels.runRaw(allocator, dir, dims, missing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected 11 tensors [x, z, x0, gamma, wq, wk, wv, wo, w_gate, alibi_slopes, out]"
            + ", got 10");
    // a weight of the wrong size
    List<float[]> badWk = arguments(in, sh);
    badWk.set(5, new float[32 * 32]);
    assertThatThrownBy(() -> LayerKernels.runRaw(allocator, dir, dims, badWk))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("wk: expected [16, 32] = 512 values");
    // the float[] overload checks the same way
    List<Object> arrays = new ArrayList<>(badZ);
    try (AttentionKernel kernel = AttentionKernel.load(dir)) {
      assertThatThrownBy(() -> kernel.run(dims, allocator, arrays.toArray()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("z: expected [b, 32]");
      // attention dims are not a layer's
      assertThatThrownBy(() -> kernel.run(Dims.of(2, 5, 5), allocator, arguments(in, sh).toArray()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dim m: not a dim of");
    }
  }

  /** The generic CUDA layer: every block bound by the default GPU schedule, PTX for sm_90 in the library. */
  @Test
  @Tag("cuda-build")
  void cudaLayerArtifactBuilds() throws IOException {
    assumeTrue(Toolchain.hasNvcc(), "nvcc not found: CUDA codegen cannot be checked on this machine");
    Path dir = ArtifactBuilder.buildCached(LayerArtifactRequest.of(GATED, BuildTarget.cuda("sm_90")),
        Progress.silent());
    Manifest m = Manifest.read(dir);
    assertThat(m.target()).containsEntry("kind", "cuda");
    assertThat(m.schedule()).isEqualTo("generic");
    String bytes = new String(Files.readAllBytes(dir.resolve(m.library())), StandardCharsets.ISO_8859_1);
    assertThat(bytes).contains(".target sm_90").contains(".entry " + ArtifactBuilder.FUNCTION + "_kernel");
  }
}
