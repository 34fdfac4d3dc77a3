package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.attn4j.attention.AttentionLayer;
import org.attn4j.attention.AttentionLayer.Condition;
import org.attn4j.attention.AttentionLayer.Norm;
import org.attn4j.attention.AttentionLayerGraph;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.ForgetDirection;
import org.attn4j.attention.ForgetGate;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Variant;
import org.attn4j.build.LayerKernels.Inputs;
import org.attn4j.build.LayerKernels.Shape;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.Dims;
import org.attn4j.schedules.LayerSchedule;
import org.attn4j.te.Te;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Data-dependent gates computed inside the layer artifact ({@link AttentionLayer.Builder#forgetGate} and
 * {@link AttentionLayer.Builder#valueResidual}) against {@code AttentionLayerOracle} (its {@code forgetGate} and
 * {@code valueResidual}, computed from the normed input): FoX gates with {@code λ = 1} and {@code 0.25}, the value
 * residual with a constant and a learned mix, both together, causal and not, GQA; cpu-layer, and the generic
 * schedule for two cases; Arrow vectors and float arrays. Then the refusals.
 *
 * <p>Tolerance: {@link Tolerances#FP32}. The kernel sums {@code F} in float32 in sequence order where the oracle
 * sums in double; at {@code n <= 37} with {@code |a| <= 2.5}, and at {@code n = 300} with {@code β = 3}
 * ({@link #longSequencesMatchOracle}: cpu-layer's scan and generic's masked sum, each against the oracle),
 * that stays far inside the bound (errors printed).
 */
class AttentionLayerGatesTest extends ArrowTestBase {
  static final AttentionSpec MHA_CAUSAL = AttentionSpec.builder().heads(4).headDim(8).causal(Causal.BOTTOM_RIGHT)
      .build();
  static final AttentionSpec MHA = AttentionSpec.builder().heads(4).headDim(8).build();
  static final AttentionSpec GQA_CAUSAL = AttentionSpec.builder().heads(4).kvHeads(2).headDim(8)
      .causal(Causal.BOTTOM_RIGHT).build();
  static final List<Shape> SHAPES = List.of(new Shape(2, 9), new Shape(1, 37), new Shape(3, 1));

  record Case(String name, AttentionLayer layer) {
    @Override
    public String toString() {
      return name;
    }
  }

  static AttentionLayer.Builder base(int dim, Norm norm, AttentionSpec core) {
    return AttentionLayer.builder().dim(dim).norm(norm).core(core);
  }

  static List<Case> cases() {
    return List.of(
        new Case("fox λ=1, causal", base(32, Norm.LAYER_NORM, MHA_CAUSAL).forgetGate(1).build()),
        new Case("fox λ=0.25, gqa causal, rms", base(48, Norm.RMS_NORM, GQA_CAUSAL).forgetGate(0.25).build()),
        new Case("value residual 0.5, not causal", base(32, Norm.LAYER_NORM, MHA).valueResidual(false).build()),
        new Case("value residual learned, gqa causal",
            base(32, Norm.RMS_NORM, GQA_CAUSAL).valueResidual(true).build()),
        new Case("fox λ=1 + learned mix, gqa causal, z+gate",
            base(48, Norm.LAYER_NORM, GQA_CAUSAL).condition(Condition.PER_BATCH).gate(true).forgetGate(1)
                .valueResidual(true).build()),
        new Case("fox λ=0.25 + mix 0.5, not causal, alibi",
            AttentionLayer.builder().dim(32).norm(Norm.RMS_NORM).core(Variant.of(MHA, Modifiers.alibi()))
                .forgetGate(0.25).valueResidual(false).build()));
  }

  static Stream<Arguments> conformance() {
    return LayerKernels.onSchedules(cases(), java.util.Set.of(0, 4));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("conformance")
  void matchesOracle(Case c, LayerSchedule schedule) throws IOException {
    Path dir = LayerKernels.artifact(c.layer(), schedule);
    boolean alibi = !c.layer().getCore().getModifiers().isEmpty();
    float[] slopes = Modifiers.alibiSlopes(c.layer().getCore().getSpec().getHeads());
    for (Shape sh : SHAPES) {
      Inputs in = Inputs.of(c.layer(), sh, alibi ? List.of(slopes) : List.of());
      float[] ref = LayerKernels.oracle(c.layer(), sh, in, o -> {
        if (alibi) {
          o.scoreMod(org.attn4j.reference.Gallery.alibi(LayerKernels.widen(slopes)));
        }
      });
      LayerKernels.assertMatches("layer gates " + c.name(), allocator, dir, c.layer(), schedule, sh, in, ref);
    }
  }

  /**
   * Long sequences through the FoX cumulative sum: a scan on cpu-layer ({@code Scan.rewrite}: one row per
   * {@code (b, head)}, 3·4 rows over the thread pool), the masked reduction on generic. Biases {@code β = 3} keep
   * {@code |F| <= ~60} at {@code n = 300}, where float32's sum stays well inside {@link Tolerances#FP32} of the
   * oracle's double sum (the class comment's {@code n·|F|} caveat).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("schedules")
  void longSequencesMatchOracle(LayerSchedule schedule) throws IOException {
    AttentionLayer l = base(32, Norm.RMS_NORM, MHA_CAUSAL).forgetGate(1).build();
    Path dir = LayerKernels.artifact(l, schedule);
    for (Shape sh : List.of(new Shape(3, 300), new Shape(1, 64))) {
      Inputs in = Inputs.of(l, sh, List.of());
      float[] beta = new float[in.bForget().length];
      java.util.Arrays.fill(beta, 3f);
      in = new Inputs(in.x(), in.z(), in.x0(), in.gamma(), in.wq(), in.wk(), in.wv(), in.wo(), in.wGate(),
          in.captures(), in.wForget(), beta, in.wMix(), in.bMix(), in.valueFirst());
      float[] ref = LayerKernels.oracle(l, sh, in, o -> { });
      LayerKernels.assertMatches("layer gates fox λ=1, long", allocator, dir, l, schedule, sh, in, ref);
    }
  }

  static Stream<LayerSchedule> schedules() {
    return Stream.of(LayerArtifactRequest.defaultSchedule(BuildTarget.hostCpu()),
        new org.attn4j.schedules.GenericLayerSchedule(org.attn4j.schedules.TargetKind.CPU));
  }

  /** The gates matter: FoX and the value residual each change the output of the plain layer. */
  @Test
  void gatesChangeTheOutput() throws IOException {
    AttentionLayer plain = base(32, Norm.LAYER_NORM, MHA_CAUSAL).build();
    AttentionLayer fox = base(32, Norm.LAYER_NORM, MHA_CAUSAL).forgetGate(1).build();
    Shape sh = new Shape(2, 9);
    LayerSchedule s = LayerArtifactRequest.defaultSchedule(BuildTarget.hostCpu());
    Inputs in = Inputs.of(fox, sh, List.of());
    float[] withFox = LayerKernels.runArrow(allocator, LayerKernels.artifact(fox, s), fox, sh, in);
    float[] without = LayerKernels.runArrow(allocator, LayerKernels.artifact(plain, s), plain, sh,
        Inputs.of(plain, sh, List.of()));
    assertThat(Tolerances.compare(withFox, without).getMaxAbsError()).isGreaterThan(1e-3);
  }

  @Test
  void argumentOrder() {
    AttentionLayer l = base(32, Norm.LAYER_NORM, GQA_CAUSAL).condition(Condition.PER_TOKEN).gate(true)
        .forgetGate(0.5).valueResidual(true).build();
    try (Te te = Te.create()) {
      AttentionLayerGraph g = l.define(te);
      assertThat(g.getArgumentNames()).containsExactly("x", "z", "x0", "gamma", "wq", "wk", "wv", "wo", "w_gate",
          "w_forget", "b_forget", "w_mix", "b_mix", "value_first", "out");
      assertThat(g.inputs().get(9).getShape().toString()).contains("4").contains("32");
    }
    assertThat(l.getName()).contains("_fox0.5_vrmix+");
    AttentionLayer constant = base(32, Norm.LAYER_NORM, MHA).valueResidual(false).build();
    try (Te te = Te.create()) {
      assertThat(constant.define(te).getArgumentNames()).containsExactly("x", "gamma", "wq", "wk", "wv", "wo",
          "value_first", "out");
    }
  }

  @Test
  void refusesACoreWithItsOwnGates() {
    Variant coreFox = Variant.of(MHA_CAUSAL, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT,
        ForgetDirection.FORWARD));
    assertThatThrownBy(() -> base(32, Norm.LAYER_NORM, MHA_CAUSAL).core(coreFox).forgetGate(1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("forgetGate: the layer computes the forget gates")
        .hasMessageContaining("fox_data_dependent");
    Variant coreBias = Variant.of(MHA_CAUSAL, Modifiers.forgetting(ForgetGate.BIAS_ONLY, ForgetDirection.FORWARD));
    assertThatThrownBy(() -> base(32, Norm.LAYER_NORM, MHA_CAUSAL).core(coreBias).forgetGate(1).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fox_bias_only");
    Variant coreVr = Variant.of(MHA_CAUSAL, Modifiers.valueResidualPerToken());
    assertThatThrownBy(() -> base(32, Norm.LAYER_NORM, MHA_CAUSAL).core(coreVr).valueResidual(false).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("valueResidual: the layer blends the values")
        .hasMessageContaining("value_residual_per_token");
    assertThatThrownBy(() -> base(32, Norm.LAYER_NORM, MHA_CAUSAL).forgetGate(-1).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("forgetGate λ: expected a finite λ >= 0");
    // a core with its own FoX and no layer gates stays valid (the caller supplies forget_cumsum)
    try (Te te = Te.create()) {
      assertThat(base(32, Norm.LAYER_NORM, MHA_CAUSAL).core(coreFox).build().define(te).getArgumentNames())
          .contains("forget_cumsum");
    }
  }

  @Test
  void runtimeRejectsAWrongForgetWeightByName() throws IOException {
    AttentionLayer l = base(32, Norm.LAYER_NORM, MHA_CAUSAL).forgetGate(1).valueResidual(true).build();
    Path dir = LayerKernels.artifact(l, LayerArtifactRequest.defaultSchedule(BuildTarget.hostCpu()));
    Shape sh = new Shape(2, 5);
    Inputs in = Inputs.of(l, sh, List.of());
    List<float[]> args = new ArrayList<>(in.arguments());
    args.add(new float[sh.b() * sh.n() * 32]);
    // arguments: x, gamma, wq, wk, wv, wo, w_forget, b_forget, w_mix, b_mix, value_first, out
    List<float[]> badW = new ArrayList<>(args);
    badW.set(6, new float[4 * 31]);
    assertThatThrownBy(() -> LayerKernels.runRaw(allocator, dir, Dims.of(sh.b(), sh.n()), badW))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("w_forget: expected [4, 32] = 128 values");
    List<float[]> badV1 = new ArrayList<>(args);
    badV1.set(10, new float[sh.b() * 4 * (sh.n() + 1) * 8]);
    assertThatThrownBy(() -> LayerKernels.runRaw(allocator, dir, Dims.of(sh.b(), sh.n()), badV1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value_first: expected [b, 4, n, 8]");
  }

}
