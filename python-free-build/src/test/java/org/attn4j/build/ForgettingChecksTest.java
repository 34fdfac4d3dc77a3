package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.ForgetDirection;
import org.attn4j.attention.ForgetGate;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.ScaledDotProduct;
import org.attn4j.attention.Variant;
import org.attn4j.build.VariantKernels.Qkv;
import org.attn4j.build.VariantKernels.Result;
import org.attn4j.build.VariantKernels.Shape;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.Forgetting;
import org.attn4j.reference.Tolerances;
import org.attn4j.schedules.AttentionSchedule;
import org.attn4j.schedules.CudaFlashSchedule;
import org.attn4j.schedules.GenericSchedule;
import org.attn4j.schedules.TargetKind;
import org.attn4j.te.Te;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Forgetting attention beyond the oracle comparison ({@link ForgettingConformanceTest}): its invariants (a fixed
 * gate is causal ALiBi, no gate is the core), the evidence that the flash schedules skip the key tiles the decay
 * makes negligible (and stay within FP32 of the exact oracle), and every refusal.
 */
class ForgettingChecksTest extends ArrowTestBase {
  private static final AttentionSchedule FLASH = ArtifactRequest.defaultSchedule(BuildTarget.hostCpu());
  private static final AttentionSchedule CUDA_EMULATED = CudaFlashSchedule.emulatedOnCpu(8, 16);

  static List<AttentionSchedule> schedules() {
    return ForgettingConformanceTest.schedules();
  }

  private static void assertSame(String what, Result got, Result want) {
    Comparison c = Tolerances.compare(got.out(), want.out());
    assertThat(c.isWithin(Tolerances.FP32)).as("%s out: %s", what, c).isTrue();
    if (want.lse() != null) {
      Comparison cl = Tolerances.compare(got.lse(), want.lse());
      assertThat(cl.isWithin(Tolerances.FP32)).as("%s lse: %s", what, cl).isTrue();
    }
  }

  /** The invariant: FoX with a constant gate {@code a_h = -slope_h} is causal ALiBi. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("schedules")
  void fixedGateIsCausalAlibi(AttentionSchedule schedule) throws IOException {
    AttentionSpec gqa = ModifierConformanceTest.GQA;
    float[] slopes = Modifiers.alibiSlopes(6);
    Path fox = VariantKernels.artifact(Variant.of(gqa, Modifiers.forgetting(ForgetGate.FIXED,
        ForgetDirection.FORWARD)), schedule);
    Path alibi = VariantKernels.artifact(Variant.of(gqa, Modifiers.alibi()), schedule);
    for (Shape sh : List.of(Shape.of(2, 9, 9), Shape.of(1, 20, 70), Shape.of(1, 150, 150))) {
      Qkv in = Qkv.of(gqa, sh);
      assertSame("fixed vs alibi " + sh, VariantKernels.run(allocator, fox, gqa, sh, in, List.of(slopes)),
          VariantKernels.run(allocator, alibi, gqa, sh, in, List.of(slopes)));
    }
  }

  @Test
  void noGateIsTheCore() throws IOException {
    AttentionSpec causal = ModifierConformanceTest.CAUSAL;
    Path fox = VariantKernels.artifact(Variant.of(causal, Modifiers.forgetting(ForgetGate.NONE,
        ForgetDirection.FORWARD)), FLASH);
    Path core = VariantKernels.artifact(Variant.of(causal), FLASH);
    for (Shape sh : List.of(Shape.of(2, 9, 9), Shape.of(1, 40, 150))) {
      Qkv in = Qkv.of(causal, sh);
      assertSame("none vs core " + sh, VariantKernels.run(allocator, fox, causal, sh, in, List.of()),
          VariantKernels.run(allocator, core, causal, sh, in, List.of()));
    }
  }

  /**
   * Skip evidence. A decode step ({@code n = 8}) over a 400-key cache with strong gates ({@code a_t} in
   * {@code [-3, -0.5]}, so {@code F_i - F_j < log ε = -27.6} for keys more than about 55 positions back, and
   * certainly for keys 0..199 of rows 392..399). Keys and values 0..199 hold NaN. With the default
   * {@code ε = 1e-12}, cpu-flash and cuda-flash skip those tiles (finite output, within FP32 of the oracle on the
   * clean inputs); with {@code ε = 0} (no promise) and on the generic schedule every key is read (NaN).
   */
  @Test
  void negligibleTilesAreSkippedWithinTolerance() throws IOException {
    AttentionSpec causal = ModifierConformanceTest.CAUSAL;
    Shape sh = Shape.of(1, 8, 400);
    float[] gates = ForgettingConformanceTest.quantizedGates(41, sh, 4, -3, -0.5f);
    List<Object> f = List.of(Modifiers.forgetCumsum(gates, 1, 4));
    Qkv clean = Qkv.of(causal, sh);
    float[] k = clean.k().clone();
    float[] v = clean.v().clone();
    int d = causal.getHeadDim();
    for (int h = 0; h < causal.getKvHeads(); h++) {
      Arrays.fill(k, h * sh.m() * d, (h * sh.m() + 200) * d, Float.NaN);
      Arrays.fill(v, h * sh.m() * d, (h * sh.m() + 200) * d, Float.NaN);
    }
    Qkv poisoned = new Qkv(clean.q(), k, v);
    CoreAttentionOracle.Options o = VariantKernels.options(causal, sh);
    float[] want = AttentionOracle.run(AttentionOracle.Spec.builder(o).scoreMod(Forgetting.fromLogGates(gates, 1, 4))
        .build(), clean.q(), clean.k(), clean.v());
    Variant skipping = Variant.of(causal, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT, ForgetDirection.FORWARD));
    Variant exact = Variant.of(causal, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT, ForgetDirection.FORWARD, 1,
        0));
    for (AttentionSchedule s : List.of(FLASH, CUDA_EMULATED)) {
      float[] got = VariantKernels.run(allocator, VariantKernels.artifact(skipping, s), causal, sh, poisoned, f).out();
      Comparison c = Tolerances.compare(got, want);
      assertThat(c.isWithin(Tolerances.FP32)).as("%s skipping, poisoned keys: %s", s.getName(), c).isTrue();
      System.out.printf("forgetting skip evidence %-19s keys 0..199 NaN, ε = 1e-12: max|err| out %.2e%n",
          s.getName(), c.getMaxAbsError());
      float[] noSkip = VariantKernels.run(allocator, VariantKernels.artifact(exact, s), causal, sh, poisoned, f)
          .out();
      assertThat(noSkip).as("%s with ε = 0 reads every key", s.getName()).contains(Float.NaN);
    }
    float[] generic = VariantKernels.run(allocator, VariantKernels.artifact(skipping,
        new GenericSchedule(TargetKind.CPU)), causal, sh, poisoned, f).out();
    assertThat(generic).as("the generic schedule ignores the promise").contains(Float.NaN);
  }

  /**
   * Queries before the key axis ({@code i < 0} when {@code n > m}; the oracle refuses the shape) see no key:
   * their rows are zero, causal or not, and the other rows match the same kernel run on the last m queries.
   */
  @Test
  void queriesBeforeTheKeyAxisSeeNothing() throws IOException {
    for (AttentionSpec spec : List.of(ModifierConformanceTest.MHA, ModifierConformanceTest.CAUSAL)) {
      Variant fox = Variant.of(spec, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT, ForgetDirection.FORWARD));
      for (AttentionSchedule s : schedules()) {
        Shape sh = Shape.of(1, 12, 5);
        Qkv in = Qkv.of(spec, sh);
        List<Object> f = List.of(Modifiers.forgetCumsum(ForgettingConformanceTest.quantizedGates(42, sh, 4, -1, 0),
            1, 4));
        Result r = VariantKernels.run(allocator, VariantKernels.artifact(fox, s), spec, sh, in, f);
        int d = spec.getHeadDim();
        for (int h = 0; h < 4; h++) {
          for (int row = 0; row < 7; row++) {
            int at = (h * sh.n() + row) * d;
            assertThat(Arrays.copyOfRange(r.out(), at, at + d)).as("%s %s head %d row %d", spec.getName(),
                s.getName(), h, row).containsOnly(0f);
          }
          int rowAt = h * sh.n() + 7;
          assertThat(r.out()[rowAt * d]).as("row 7 (i = 0) sees key 0").isNotZero();
        }
      }
    }
  }

  private static void define(Variant v) {
    try (Te te = Te.create()) {
      ScaledDotProduct.define(te, v);
    }
  }

  @Test
  void invalidParametersAndDefinitionsAreRefused() {
    ForgetDirection fwd = ForgetDirection.FORWARD;
    assertThatThrownBy(() -> Modifiers.forgetting(ForgetGate.BIAS_ONLY, fwd, -1, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected a finite λ >= 0");
    assertThatThrownBy(() -> Modifiers.forgetting(ForgetGate.BIAS_ONLY, fwd, Double.NaN, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected a finite λ >= 0");
    assertThatThrownBy(() -> Modifiers.forgetting(ForgetGate.DATA_DEPENDENT, fwd, 0.125, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 1 for DATA_DEPENDENT gates")
        .hasMessageContaining("fold it into F");
    assertThatThrownBy(() -> Modifiers.forgetting(ForgetGate.FIXED, fwd, 2, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 1 for FIXED gates");
    assertThatThrownBy(() -> Modifiers.forgetting(ForgetGate.DATA_DEPENDENT, fwd, 1, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 0 <= ε < 1");
    assertThatThrownBy(() -> Modifiers.forgetting(ForgetGate.DATA_DEPENDENT, fwd, 1, -1e-3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 0 <= ε < 1");
    assertThatThrownBy(() -> Modifiers.forgetCumsum(new float[10], 2, 4))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logGates: expected [b = 2, h = 4, m]");
    // the bidirectional form's second gate set is never read under the causal mask
    assertThatThrownBy(() -> define(Variant.of(ModifierConformanceTest.CAUSAL, Modifiers.forgetting(
        ForgetGate.DATA_DEPENDENT, ForgetDirection.BIDIRECTIONAL))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("BIDIRECTIONAL needs Causal.NONE");
    AttentionSpec cross = AttentionSpec.builder().heads(4).headDim(16).cross(true).build();
    assertThatThrownBy(() -> define(Variant.of(cross, Modifiers.forgetting(ForgetGate.BIAS_ONLY, fwd))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("forgetting: expected self-attention");
    assertThatThrownBy(() -> define(Variant.of(ModifierConformanceTest.CAUSAL, Modifiers.forgetting(
        ForgetGate.FIXED, fwd), Modifiers.forgetting(ForgetGate.FIXED, fwd))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capture forget_slopes: expected a name");
    assertThat(Modifiers.forgetting(ForgetGate.BIAS_ONLY, ForgetDirection.BIDIRECTIONAL, 0.5, 1e-6).getParameters())
        .containsEntry("gate", "BIAS_ONLY").containsEntry("direction", "BIDIRECTIONAL").containsEntry("lambda", 0.5)
        .containsEntry("epsilon", 1e-6);
  }

  @Test
  void capturedGatesOfTheWrongShapeOrMissingAreRefused() throws IOException {
    AttentionSpec gqa = ModifierConformanceTest.GQA;
    Path dir = VariantKernels.artifact(Variant.of(gqa, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT,
        ForgetDirection.FORWARD)), FLASH);
    Shape sh = Shape.of(1, 4, 5);
    Qkv in = Qkv.of(gqa, sh);
    // F per kv head instead of per query head
    assertThatThrownBy(() -> VariantKernels.run(allocator, dir, gqa, sh, in, List.of(new float[2 * 5])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("forget_cumsum: expected [b, 6, m]");
    AttentionSpec mha = ModifierConformanceTest.MHA;
    Path bidir = VariantKernels.artifact(Variant.of(mha, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT,
        ForgetDirection.BIDIRECTIONAL)), FLASH);
    Qkv inMha = Qkv.of(mha, sh);
    // the bidirectional kernel without its second gate set
    assertThatThrownBy(() -> VariantKernels.run(allocator, bidir, mha, sh, inMha, List.of(new float[4 * 5])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 7 tensors")
        .hasMessageContaining("forget_cumsum_reverse");
    Path bias = VariantKernels.artifact(Variant.of(mha, Modifiers.forgetting(ForgetGate.BIAS_ONLY,
        ForgetDirection.FORWARD)), FLASH);
    assertThatThrownBy(() -> VariantKernels.run(allocator, bias, mha, sh, inMha, List.of(new float[3])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("forget_bias: expected [4]");
  }
}
