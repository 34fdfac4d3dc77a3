package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.ForgetDirection;
import org.attn4j.attention.ForgetGate;
import org.attn4j.attention.Modifier;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Variant;
import org.attn4j.build.ModifierConformanceTest.Case;
import org.attn4j.build.VariantKernels.Qkv;
import org.attn4j.build.VariantKernels.Result;
import org.attn4j.build.VariantKernels.Shape;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.Forgetting;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.reference.ValueResidual;
import org.attn4j.schedules.AttentionSchedule;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The value residual ({@link Modifiers#valueResidual}, slot 2) against modules/reference's {@link ValueResidual},
 * on the generic CPU schedule, cpu-flash and cuda-flash emulated on the CPU (tolerance {@link Tolerances#FP32}),
 * alone and fused with forgetting attention; and its invariants: {@code λ = 1} is the core kernel, {@code λ = 0}
 * the core kernel over {@code v1}.
 */
class ValueResidualConformanceTest extends ArrowTestBase {

  /** The first layer's values {@code v1 [b, h_kv, m, d]} of a shape. */
  static float[] firstValues(AttentionSpec s, Shape sh) {
    return TestData.uniform(31, sh.b() * s.getKvHeads() * sh.m() * s.getHeadDim(), -1, 1);
  }

  /** A mix per token and kv head {@code [b, h_kv, m]}, in [0, 1] like a sigmoid's. */
  static float[] mix(AttentionSpec s, Shape sh) {
    return TestData.uniform(32, sh.b() * s.getKvHeads() * sh.m(), 0, 1);
  }

  static List<Case> cases() {
    AttentionSpec causal = ModifierConformanceTest.CAUSAL;
    AttentionSpec gqa = ModifierConformanceTest.GQA;
    AttentionSpec gqaPadded = ModifierConformanceTest.GQA_PADDED;
    List<Case> c = new ArrayList<>();
    c.add(new Case("constant 0.5 causal", Variant.of(causal, Modifiers.valueResidual()),
        sh -> List.of(firstValues(causal, sh)),
        (o, sh, cap) -> o.valueResidual(ValueResidual.constant((float[]) cap.get(0), 0.5)),
        ForgettingConformanceTest.CAUSAL_SHAPES));
    c.add(new Case("constant 0.3 gqa", Variant.of(gqa, Modifiers.valueResidual(0.3)),
        sh -> List.of(firstValues(gqa, sh)),
        (o, sh, cap) -> o.valueResidual(ValueResidual.constant((float[]) cap.get(0), 0.3)),
        ModifierConformanceTest.shapes(new int[] {2, 9, 9}, new int[] {1, 20, 70}, new int[] {1, 150, 150})));
    c.add(new Case("per-token gqa padded", Variant.of(gqaPadded, Modifiers.valueResidualPerToken()),
        sh -> List.of(firstValues(gqaPadded, sh), mix(gqaPadded, sh)),
        (o, sh, cap) -> o.valueResidual(ValueResidual.perToken((float[]) cap.get(0), (float[]) cap.get(1))),
        List.of(new Shape(2, 12, 20, new int[] {20, 7}), new Shape(1, 100, 130, new int[] {97}))));
    // FoX and the value residual fused in one kernel: later layers of a FoX model use both
    c.add(new Case("per-token + fox gqa", Variant.of(gqa, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT,
        ForgetDirection.FORWARD), Modifiers.valueResidualPerToken()),
        sh -> List.of(Modifiers.forgetCumsum(ForgettingConformanceTest.quantizedGates(26, sh, 6, -3, -0.5f), sh.b(),
            6), firstValues(gqa, sh), mix(gqa, sh)),
        (o, sh, cap) -> o.scoreMod(Forgetting.fromLogGates(ForgettingConformanceTest.quantizedGates(26, sh, 6, -3,
            -0.5f), sh.b(), 6)).valueResidual(ValueResidual.perToken((float[]) cap.get(1), (float[]) cap.get(2))),
        ModifierConformanceTest.shapes(new int[] {2, 9, 9}, new int[] {1, 20, 70}, new int[] {1, 150, 150})));
    return c;
  }

  static Stream<Arguments> conformance() {
    return VariantKernels.onEverySchedule(cases());
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("conformance")
  void matchesReference(Case c, AttentionSchedule schedule) throws IOException {
    VariantKernels.check("value-residual", c, schedule, allocator);
  }

  static Stream<AttentionSchedule> schedules() {
    return ForgettingConformanceTest.schedules().stream();
  }

  /** {@code λ = 1} keeps {@code v}: the core kernel; {@code λ = 0} gives {@code v1}: the core kernel over v1. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("schedules")
  void mixOfOneIsTheCoreAndZeroAttendsOverTheFirstValues(AttentionSchedule schedule) throws IOException {
    AttentionSpec gqa = ModifierConformanceTest.GQA_PADDED;
    Path core = VariantKernels.artifact(Variant.of(gqa), schedule);
    Path perToken = VariantKernels.artifact(Variant.of(gqa, Modifiers.valueResidualPerToken()), schedule);
    for (Shape sh : List.of(new Shape(2, 12, 20, new int[] {20, 7}), new Shape(1, 40, 70, new int[] {61}))) {
      Qkv in = Qkv.of(gqa, sh);
      float[] v1 = firstValues(gqa, sh);
      int mixes = sh.b() * gqa.getKvHeads() * sh.m();
      Result plain = VariantKernels.run(allocator, core, gqa, sh, in, List.of());
      Result overV1 = VariantKernels.run(allocator, core, gqa, sh, new Qkv(in.q(), in.k(), v1), List.of());
      Result one = VariantKernels.run(allocator, perToken, gqa, sh, in, List.of(v1, filled(mixes, 1)));
      Result zero = VariantKernels.run(allocator, perToken, gqa, sh, in, List.of(v1, filled(mixes, 0)));
      assertSame("λ = 1", one, plain);
      assertSame("λ = 0", zero, overV1);
    }
    // the constant form too
    Path constantOne = VariantKernels.artifact(Variant.of(gqa, Modifiers.valueResidual(1)), schedule);
    Shape sh = new Shape(2, 12, 20, new int[] {20, 7});
    Qkv in = Qkv.of(gqa, sh);
    assertSame("constant λ = 1", VariantKernels.run(allocator, constantOne, gqa, sh, in,
        List.of(firstValues(gqa, sh))), VariantKernels.run(allocator, core, gqa, sh, in, List.of()));
  }

  private static float[] filled(int count, float value) {
    float[] f = new float[count];
    java.util.Arrays.fill(f, value);
    return f;
  }

  private static void assertSame(String what, Result got, Result want) {
    Comparison c = Tolerances.compare(got.out(), want.out());
    assertThat(c.isWithin(Tolerances.FP32)).as("%s out: %s", what, c).isTrue();
    Comparison cl = Tolerances.compare(got.lse(), want.lse());
    assertThat(cl.isWithin(Tolerances.FP32)).as("%s lse: %s", what, cl).isTrue();
  }

  @Test
  void invalidMixesAndInputsAreRefused() throws IOException {
    assertThatThrownBy(() -> Modifiers.valueResidual(Double.NaN)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("valueResidual λ: expected a finite mix");
    AttentionSpec gqa = ModifierConformanceTest.GQA;
    Path dir = VariantKernels.artifact(Variant.of(gqa, Modifiers.valueResidualPerToken()),
        ArtifactRequest.defaultSchedule(BuildTarget.hostCpu()));
    Shape sh = Shape.of(1, 4, 5);
    Qkv in = Qkv.of(gqa, sh);
    float[] v1 = firstValues(gqa, sh);
    // v1 per query head instead of per kv head
    assertThatThrownBy(() -> VariantKernels.run(allocator, dir, gqa, sh, in,
        List.of(new float[sh.m() * gqa.getHeads() * gqa.getHeadDim()], mix(gqa, sh))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value_first: expected [b, 2, m, 16]");
    assertThatThrownBy(() -> VariantKernels.run(allocator, dir, gqa, sh, in, List.of(v1, new float[sh.m()])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value_residual_mix: expected [b, 2, m]");
    assertThatThrownBy(() -> VariantKernels.run(allocator, dir, gqa, sh, in, List.of(v1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 6 tensors");
    // two v prologues cannot be combined
    Modifier twice = Modifiers.valueResidual(0.5);
    assertThatThrownBy(() -> {
      try (org.attn4j.te.Te te = org.attn4j.te.Te.create()) {
        org.attn4j.attention.ScaledDotProduct.define(te, Variant.of(gqa, twice, Modifiers.valueResidualPerToken()));
      }
    }).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capture value_first: expected a name");
  }
}
