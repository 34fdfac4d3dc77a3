package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.attn4j.attention.AttentionLayer;
import org.attn4j.attention.AttentionLayer.Condition;
import org.attn4j.attention.AttentionLayer.Norm;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.HeadMapping;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Variant;
import org.attn4j.build.LayerKernels.Inputs;
import org.attn4j.build.LayerKernels.Shape;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.Gallery;
import org.attn4j.reference.Tolerances;
import org.attn4j.schedules.LayerSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Attention-layer artifacts ({@link AttentionLayer}) against {@code AttentionLayerOracle}, per schedule
 * (cpu-flash-layer, the default: prologue, flash core, epilogue; cpu-layer: one function; generic CPU for some
 * cases) and shape: LayerNorm and RMSNorm; no condition, {@code z [b, dim]} and
 * {@code z [b, n, dim]}; the gate; causal and not; GQA (both head mappings); ALiBi. Each case runs once on Arrow
 * vectors and once on float arrays. One artifact per (layer, schedule) serves every shape of its case.
 *
 * <p>Tolerance: {@link Tolerances#FP32} (abs 2e-5 + rel 2e-5 · max|expected|). The layer adds fp32 reductions over
 * {@code dim} (norm statistics, projections) and {@code h·d} (output projection) in front of and behind the core,
 * all summed in a different order than the oracle's double sums; at these sizes they stay well inside the bound
 * (the measured errors are printed).
 */
class AttentionLayerConformanceTest extends ArrowTestBase {
  static final AttentionSpec MHA = AttentionSpec.builder().heads(4).headDim(16).build();
  static final AttentionSpec MHA_CAUSAL = AttentionSpec.builder().heads(4).headDim(16).causal(Causal.BOTTOM_RIGHT)
      .build();
  static final AttentionSpec GQA_CAUSAL = AttentionSpec.builder().heads(4).kvHeads(2).headDim(8)
      .causal(Causal.BOTTOM_RIGHT).build();
  static final AttentionSpec GQA_BLOCKED = AttentionSpec.builder().heads(6).kvHeads(2).headDim(8)
      .headMapping(HeadMapping.BLOCKED).build();
  static final List<Shape> SHAPES = List.of(new Shape(2, 9), new Shape(1, 37), new Shape(3, 1));

  record Case(String name, AttentionLayer layer, List<float[]> captures,
      Consumer<AttentionOracle.Spec.Builder> oracleCore) {
    @Override
    public String toString() {
      return name;
    }
  }

  static AttentionLayer layer(int dim, Norm norm, Condition cond, boolean gate, Variant core) {
    return AttentionLayer.builder().dim(dim).norm(norm).condition(cond).gate(gate).core(core).build();
  }

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    c.add(new Case("layernorm, no condition", layer(64, Norm.LAYER_NORM, Condition.NONE, false, Variant.of(MHA)),
        List.of(), o -> { }));
    c.add(new Case("rmsnorm, z [b dim], causal",
        layer(64, Norm.RMS_NORM, Condition.PER_BATCH, false, Variant.of(MHA_CAUSAL)), List.of(), o -> { }));
    c.add(new Case("layernorm, z [b n dim], gate, gqa causal",
        layer(32, Norm.LAYER_NORM, Condition.PER_TOKEN, true, Variant.of(GQA_CAUSAL)), List.of(), o -> { }));
    float[] slopes = Modifiers.alibiSlopes(6);
    c.add(new Case("rmsnorm, z [b dim], gate, gqa blocked, alibi",
        layer(48, Norm.RMS_NORM, Condition.PER_BATCH, true, Variant.of(GQA_BLOCKED, Modifiers.alibi())),
        List.of(slopes), o -> o.scoreMod(Gallery.alibi(LayerKernels.widen(slopes)))));
    float[] slopes4 = Modifiers.alibiSlopes(4);
    c.add(new Case("layernorm, z [b n dim], causal alibi",
        layer(64, Norm.LAYER_NORM, Condition.PER_TOKEN, false, Variant.of(MHA_CAUSAL, Modifiers.alibi())),
        List.of(slopes4), o -> o.scoreMod(Gallery.alibi(LayerKernels.widen(slopes4)))));
    return c;
  }

  static Stream<Arguments> conformance() {
    return LayerKernels.onSchedules(cases(), java.util.Set.of(0, 3));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("conformance")
  void matchesOracle(Case c, LayerSchedule schedule) throws IOException {
    Path dir = LayerKernels.artifact(c.layer(), schedule);
    for (Shape sh : SHAPES) {
      Inputs in = Inputs.of(c.layer(), sh, c.captures());
      float[] ref = LayerKernels.oracle(c.layer(), sh, in, c.oracleCore());
      LayerKernels.assertMatches("layer " + c.name(), allocator, dir, c.layer(), schedule, sh, in, ref);
    }
  }

  /** z = 0 is no condition: the conditioned kernel with zeros gives the unconditioned kernel's output. */
  @Test
  void zeroConditionIsNoCondition() throws IOException {
    AttentionLayer plain = layer(64, Norm.RMS_NORM, Condition.NONE, false, Variant.of(MHA_CAUSAL));
    AttentionLayer cond = layer(64, Norm.RMS_NORM, Condition.PER_BATCH, false, Variant.of(MHA_CAUSAL));
    Shape sh = new Shape(2, 9);
    LayerSchedule s = LayerArtifactRequest.defaultSchedule(BuildTarget.hostCpu());
    Inputs withZ = Inputs.of(cond, sh, List.of());
    float[] zeros = new float[withZ.z().length];
    float[] conditioned = LayerKernels.runArrow(allocator, LayerKernels.artifact(cond, s), cond, sh,
        withZ.withZ(zeros));
    float[] unconditioned = LayerKernels.runArrow(allocator, LayerKernels.artifact(plain, s), plain, sh,
        withZ.withZ(null));
    Comparison cmp = Tolerances.compare(conditioned, unconditioned);
    assertThat(cmp.isWithin(Tolerances.FP32)).as("z = 0 vs no condition: %s", cmp).isTrue();
    // and a non-zero condition does change the output
    float[] other = LayerKernels.runArrow(allocator, LayerKernels.artifact(cond, s), cond, sh, withZ);
    assertThat(Tolerances.compare(other, unconditioned).getMaxAbsError()).isGreaterThan(1e-3);
  }
}
