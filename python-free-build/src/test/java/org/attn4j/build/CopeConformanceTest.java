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
import org.attn4j.attention.Rotary;
import org.attn4j.attention.RotaryPositions;
import org.attn4j.attention.ScaledDotProduct;
import org.attn4j.attention.Slots;
import org.attn4j.attention.Variant;
import org.attn4j.build.ModifierConformanceTest.Case;
import org.attn4j.build.VariantKernels.Qkv;
import org.attn4j.build.VariantKernels.Result;
import org.attn4j.build.VariantKernels.Shape;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.Cope;
import org.attn4j.reference.Forgetting;
import org.attn4j.reference.Gallery;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.schedules.AttentionSchedule;
import org.attn4j.te.DType;
import org.attn4j.te.Te;
import org.attn4j.tvm.TvmNatives;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * CoPE ({@link Modifiers#cope}, the row scan of slot 5) against modules/reference's {@link Cope} oracle, on the
 * generic CPU schedule ({@code O(n m²)} positions), cpu-flash (key tiles visited backwards, gate sums carried
 * across tiles, scanned vectorised across the block's rows) and cuda-flash emulated on the CPU (one row per
 * thread): linear interpolation with room to spare ({@code P = 16}) and saturated ({@code P = 4}, {@code P = 1}),
 * soft one-hot, with rotary (interleaved: cpu-flash's packed query order), ALiBi and soft-cap, GQA with key
 * lengths, KV-cache shapes ({@code n < m}), and shapes of several tiles per row (up to 130 keys). The table is
 * uniform in {@code [-1, 1]} so that the CoPE term ({@code |z| ~ 2}) moves the weights. Tolerance:
 * {@link Tolerances#FP32}.
 */
class CopeConformanceTest extends ArrowTestBase {
  static final int D = 16;
  static final AttentionSpec CAUSAL = ModifierConformanceTest.CAUSAL;

  static float[] table(int p) {
    return TestData.uniform(31, p * D, -1, 1);
  }

  static List<Shape> shapes(int[]... bnm) {
    return ModifierConformanceTest.shapes(bnm);
  }

  static final List<Shape> SHAPES = shapes(new int[] {2, 9, 9}, new int[] {1, 5, 13}, new int[] {1, 70, 130},
      new int[] {1, 130, 130});

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    c.add(new Case("cope P=16 linear", Variant.of(CAUSAL, Modifiers.cope(16)), sh -> List.of(table(16)),
        (o, sh, cap) -> o.cope(Cope.of((float[]) cap.get(0), 16)), SHAPES));
    c.add(new Case("cope P=4 saturated", Variant.of(CAUSAL, Modifiers.cope(4)), sh -> List.of(table(4)),
        (o, sh, cap) -> o.cope(Cope.of((float[]) cap.get(0), 4)), shapes(new int[] {2, 9, 9},
            new int[] {1, 130, 130}, new int[] {1, 300, 300})));
    // soft one-hot over long rows: cpu-flash's saturated tiles take the precomputed term at p = P - 1
    c.add(new Case("cope P=8 soft one-hot long rows", Variant.of(CAUSAL, Modifiers.cope(8, 0.05)),
        sh -> List.of(table(8)), (o, sh, cap) -> o.cope(Cope.of((float[]) cap.get(0), 8).withSoftOneHot(0.05)),
        shapes(new int[] {1, 300, 300})));
    c.add(new Case("cope P=1", Variant.of(CAUSAL, Modifiers.cope(1)), sh -> List.of(table(1)),
        (o, sh, cap) -> o.cope(Cope.of((float[]) cap.get(0), 1)), shapes(new int[] {2, 9, 9})));
    c.add(new Case("cope P=16 soft one-hot", Variant.of(CAUSAL, Modifiers.cope(16,
        Modifiers.COPE_SOFT_ONE_HOT_TEMPERATURE)), sh -> List.of(table(16)),
        (o, sh, cap) -> o.cope(Cope.of((float[]) cap.get(0), 16).withSoftOneHot(0.05)),
        shapes(new int[] {2, 9, 9}, new int[] {1, 70, 130})));
    c.add(new Case("cope P=8 + rotary d/2", Variant.of(CAUSAL, Modifiers.rotary(Rotary.halfOf(D),
        RotaryPositions.arange()), Modifiers.cope(8)), sh -> List.of(table(8)),
        (o, sh, cap) -> o.rotary(org.attn4j.reference.Rotary.halfOf(D),
            org.attn4j.reference.RotaryPositions.defaults()).cope(Cope.of((float[]) cap.get(0), 8)),
        shapes(new int[] {2, 9, 9}, new int[] {1, 70, 130})));
    float[] slopes4 = Modifiers.alibiSlopes(4);
    c.add(new Case("cope + alibi + softcap 5", Variant.of(CAUSAL, Modifiers.alibi(), Modifiers.softCap(5),
        Modifiers.cope(16)), sh -> List.of(slopes4, table(16)),
        (o, sh, cap) -> o.scoreMod(Gallery.alibi(ModifierConformanceTest.widen(slopes4))).softCap(5)
            .cope(Cope.of((float[]) cap.get(1), 16)), shapes(new int[] {2, 9, 9}, new int[] {1, 130, 130})));
    c.add(new Case("cope gqa padded", Variant.of(ModifierConformanceTest.GQA_PADDED, Modifiers.cope(16)),
        sh -> List.of(table(16)), (o, sh, cap) -> o.cope(Cope.of((float[]) cap.get(0), 16)),
        List.of(new Shape(2, 12, 20, new int[] {20, 7}), new Shape(1, 100, 130, new int[] {97}),
            new Shape(1, 33, 33, new int[] {30}))));
    // FoX's tile skipping with the scan: skipped tiles are a prefix of the row, and a key's position counts only
    // later keys, so the visited keys see exact positions
    c.add(new Case("cope + fox strong gates", Variant.of(ModifierConformanceTest.GQA, Modifiers.forgetting(
        ForgetGate.DATA_DEPENDENT, ForgetDirection.FORWARD), Modifiers.cope(16)),
        sh -> List.of(Modifiers.forgetCumsum(ForgettingConformanceTest.quantizedGates(21, sh, 6, -3, -0.5f),
            sh.b(), 6), table(16)),
        (o, sh, cap) -> o.scoreMod(Forgetting.fromLogGates(ForgettingConformanceTest.quantizedGates(21, sh, 6, -3,
            -0.5f), sh.b(), 6)).cope(Cope.of((float[]) cap.get(1), 16)),
        shapes(new int[] {1, 20, 70}, new int[] {1, 150, 150})));
    return c;
  }

  static Stream<Arguments> conformance() {
    return VariantKernels.onEverySchedule(cases());
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("conformance")
  void matchesReference(Case c, AttentionSchedule schedule) throws IOException {
    VariantKernels.check("cope", c, schedule, allocator);
  }

  static Stream<Arguments> schedules() {
    return ForgettingConformanceTest.schedules().stream().map(Arguments::of);
  }

  /** x-transformers zero-initialises the table: CoPE with a zero table is plain causal attention. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("schedules")
  void zeroTableIsPlainCausal(AttentionSchedule schedule) throws IOException {
    Variant v = Variant.of(CAUSAL, Modifiers.cope(16));
    Path dir = VariantKernels.artifact(v, schedule);
    for (Shape sh : shapes(new int[] {2, 9, 9}, new int[] {1, 70, 130})) {
      Qkv in = Qkv.of(CAUSAL, sh);
      CoreAttentionOracle.Options o = VariantKernels.options(CAUSAL, sh);
      float[] refOut = new float[o.getQSize()];
      float[] refLse = new float[o.getLseSize()];
      AttentionOracle.run(AttentionOracle.Spec.builder(o).build(), in.q(), in.k(), in.v(), refOut, refLse);
      Result r = VariantKernels.run(allocator, dir, CAUSAL, sh, in, List.of(new float[16 * D]));
      Comparison cmp = Tolerances.compare(r.out(), refOut);
      assertThat(cmp.isWithin(Tolerances.FP32)).as("%s zero table vs plain causal: %s", sh, cmp).isTrue();
      assertThat(Tolerances.compare(r.lse(), refLse).isWithin(Tolerances.FP32)).isTrue();
      System.out.printf("cope zero table = causal %-19s %-18s max|err| out %.2e%n", schedule.getName(), sh,
          cmp.getMaxAbsError());
    }
  }

  /** The definition-only checks below must not load a compiler the artifact builds cannot use. */
  @BeforeAll
  static void loadTheBuildsCompiler() {
    TvmNatives.ensureCompiler(Toolchain.hasNvcc());
  }

  @Test
  void nonCausalIsRefused() {
    try (Te te = Te.create()) {
      assertThatThrownBy(() -> ScaledDotProduct.define(te, Variant.of(ModifierConformanceTest.MHA,
          Modifiers.cope(16)))).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cope: expected causal = BOTTOM_RIGHT").hasMessageContaining("NONE");
    }
  }

  @Test
  void badParametersAreRefused() {
    assertThatThrownBy(() -> Modifiers.cope(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected P >= 1");
    assertThatThrownBy(() -> Modifiers.cope(16, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected a finite T > 0");
    try (Te te = Te.create()) {
      Modifier second = ctx -> Slots.cope(new org.attn4j.attention.Cope(ctx.capture("cope_table_2", DType.FLOAT32,
          4, D), 4, null));
      assertThatThrownBy(() -> ScaledDotProduct.define(te, Variant.of(CAUSAL, Modifiers.cope(16), second)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("at most one modifier to set the row scan");
    }
  }

  @Test
  void wrongTableShapeIsRefusedByTheRuntime() throws IOException {
    Variant v = Variant.of(CAUSAL, Modifiers.cope(16));
    Path dir = VariantKernels.artifact(v, ArtifactRequest.defaultSchedule(BuildTarget.hostCpu()));
    Shape sh = Shape.of(1, 9, 9);
    Qkv in = Qkv.of(CAUSAL, sh);
    assertThatThrownBy(() -> VariantKernels.run(allocator, dir, CAUSAL, sh, in, List.of(new float[8 * D])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cope_table");
  }
}
