package org.attn4j.build;


import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Rotary;
import org.attn4j.attention.RotaryPositions;
import org.attn4j.attention.SpecialTokens;
import org.attn4j.attention.Variant;
import org.attn4j.build.VariantKernels.Shape;
import org.attn4j.reference.AttentionKind;
import org.attn4j.reference.Gallery;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.schedules.AttentionSchedule;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rotary family (VARIANTS.md §1-3: layouts, base, NTK, interpolation, arange / given / cross positions,
 * shared or per batch, the four special-token modes) against modules/reference's oracle, on the generic CPU
 * schedule, cpu-flash (rotate-on-load, pair-split key tiles) and cuda-flash emulated on the CPU. Tolerance:
 * {@link Tolerances#FP32} (the kernels take sine and cosine in fp32 with {@code Te.sinCos}, the oracle in double
 * of the same fp32 angle).
 */
class RotaryConformanceTest extends ArrowTestBase {
  static final int D = 16;

  /** Which positions a case feeds. */
  enum Pos { ARANGE, SELF_SHARED, SELF_BATCH, SELF_FAR, CROSS_SHARED, CROSS_BATCH }

  /**
   * A case of the shared conformance check: the positions {@code pos} feeds (and ALiBi's slopes when the variant
   * has it), and the oracle's rotary, positions and special tokens.
   */
  static ModifierConformanceTest.Case rotaryCase(String name, Variant variant, Pos pos,
      org.attn4j.reference.Rotary oracleRotary, org.attn4j.reference.@Nullable SpecialTokens oracleSpecial,
      List<Shape> shapes) {
    AttentionSpec s = variant.getSpec();
    boolean alibi = variant.getModifiers().stream().anyMatch(mod -> mod.getName().equals("alibi"));
    float[] slopes = Modifiers.alibiSlopes(s.getHeads());
    return new ModifierConformanceTest.Case(name, variant, sh -> {
      List<Object> in = new ArrayList<>(inputs(pos, sh));
      if (alibi) {
        in.add(slopes);
      }
      return in;
    }, (o, sh, cap) -> {
      o.kind(s.isCross() ? AttentionKind.CROSS : AttentionKind.SELF)
          .rotary(oracleRotary, oraclePositions(pos, cap)).specialTokens(oracleSpecial);
      if (alibi) {
        o.scoreMod(Gallery.alibi(ModifierConformanceTest.widen(slopes)));
      }
    }, shapes);
  }

  static AttentionSpec.Builder spec() {
    return AttentionSpec.builder().heads(4).headDim(D);
  }

  /** Fractional, non-monotone positions {@code [len]} or {@code [b, len]} (b > 1: rows differ). */
  static float[] positions(int seed, int rows, int len, float offset) {
    float[] p = TestData.uniform(seed, rows * len, 0, 3);
    for (int i = 0; i < p.length; i++) {
      p[i] += offset + 2 * (i % len);
    }
    return p;
  }

  static List<Object> inputs(Pos pos, Shape sh) {
    return switch (pos) {
      case ARANGE -> List.of();
      case SELF_SHARED -> List.of(positions(11, 1, sh.m(), 0));
      case SELF_BATCH -> List.of(positions(12, sh.b(), sh.m(), 0));
      case SELF_FAR -> List.of(positions(13, 1, sh.m(), 6000));
      case CROSS_SHARED -> List.of(positions(14, 1, sh.n(), 1), positions(15, 1, sh.m(), 0));
      case CROSS_BATCH -> List.of(positions(16, sh.b(), sh.n(), 1), positions(17, sh.b(), sh.m(), 0));
    };
  }

  static org.attn4j.reference.RotaryPositions oraclePositions(Pos pos, List<Object> in) {
    return switch (pos) {
      case ARANGE -> org.attn4j.reference.RotaryPositions.defaults();
      case SELF_SHARED, SELF_BATCH, SELF_FAR -> org.attn4j.reference.RotaryPositions.self((float[]) in.get(0));
      case CROSS_SHARED, CROSS_BATCH ->
          org.attn4j.reference.RotaryPositions.cross((float[]) in.get(0), (float[]) in.get(1));
    };
  }

  static List<Shape> shapes(int[]... bnm) {
    return java.util.Arrays.stream(bnm).map(s -> Shape.of(s[0], s[1], s[2])).toList();
  }

  static List<ModifierConformanceTest.Case> cases() {
    List<ModifierConformanceTest.Case> c = new ArrayList<>();
    AttentionSpec causal = spec().causal(Causal.BOTTOM_RIGHT).lse(true).build();
    c.add(rotaryCase("rope d/2 arange causal", Variant.of(causal, Modifiers.rotary(Rotary.halfOf(D),
        RotaryPositions.arange())), Pos.ARANGE, org.attn4j.reference.Rotary.halfOf(D), null,
        shapes(new int[] {2, 9, 9}, new int[] {1, 5, 13}, new int[] {1, 70, 130})));
    AttentionSpec gqa = spec().heads(6).kvHeads(2).build();
    c.add(rotaryCase("rope full half-layout base/ntk/interp gqa", Variant.of(gqa, Modifiers.rotary(
        Rotary.of(D).withLayout(Rotary.Layout.ROTATE_HALF).withBase(500).withNtkFactor(2).withInterpolation(4),
        RotaryPositions.self(false))), Pos.SELF_SHARED,
        org.attn4j.reference.Rotary.of(D).withLayout(org.attn4j.reference.Rotary.Layout.ROTATE_HALF).withBase(500)
            .withNtkFactor(2).withInterpolation(4), null, shapes(new int[] {2, 9, 9}, new int[] {1, 20, 110})));
    c.add(rotaryCase("rope 4 per-batch positions causal", Variant.of(causal, Modifiers.rotary(Rotary.of(4),
        RotaryPositions.self(true))), Pos.SELF_BATCH, org.attn4j.reference.Rotary.of(4), null,
        shapes(new int[] {2, 9, 9}, new int[] {3, 4, 17})));
    c.add(rotaryCase("rope far positions (6000+)", Variant.of(spec().build(), Modifiers.rotary(Rotary.halfOf(D),
        RotaryPositions.self(false))), Pos.SELF_FAR, org.attn4j.reference.Rotary.halfOf(D), null,
        shapes(new int[] {1, 40, 40})));
    AttentionSpec cross = spec().cross(true).lse(true).build();
    c.add(rotaryCase("rope cross shared positions", Variant.of(cross, Modifiers.rotary(Rotary.halfOf(D),
        RotaryPositions.cross(false))), Pos.CROSS_SHARED, org.attn4j.reference.Rotary.halfOf(D), null,
        shapes(new int[] {2, 7, 19}, new int[] {1, 100, 30})));
    c.add(rotaryCase("rope cross per-batch positions", Variant.of(cross, Modifiers.rotary(
        Rotary.of(D).withLayout(Rotary.Layout.ROTATE_HALF), RotaryPositions.cross(true))), Pos.CROSS_BATCH,
        org.attn4j.reference.Rotary.of(D).withLayout(org.attn4j.reference.Rotary.Layout.ROTATE_HALF), null,
        shapes(new int[] {2, 12, 5}, new int[] {2, 3, 80})));
    c.add(rotaryCase("special no-rotate-prefix 3", Variant.of(causal, Modifiers.rotary(Rotary.halfOf(D),
        RotaryPositions.arange(), SpecialTokens.noRotatePrefix(3))), Pos.ARANGE,
        org.attn4j.reference.Rotary.halfOf(D), org.attn4j.reference.SpecialTokens.noRotatePrefix(3),
        shapes(new int[] {2, 9, 9}, new int[] {1, 4, 20})));
    c.add(rotaryCase("special custom position 2 at 0.5", Variant.of(spec().build(), Modifiers.rotary(
        Rotary.halfOf(D), RotaryPositions.self(false), SpecialTokens.customPosition(2, 0.5f))), Pos.SELF_SHARED,
        org.attn4j.reference.Rotary.halfOf(D), org.attn4j.reference.SpecialTokens.customPosition(2, 0.5f),
        shapes(new int[] {2, 9, 9}, new int[] {1, 30, 40})));
    c.add(rotaryCase("special pairwise-exempt 3 causal", Variant.of(causal, Modifiers.rotary(Rotary.of(D),
        RotaryPositions.arange(), SpecialTokens.pairwiseExempt(3))), Pos.ARANGE, org.attn4j.reference.Rotary.of(D),
        org.attn4j.reference.SpecialTokens.pairwiseExempt(3),
        shapes(new int[] {2, 9, 9}, new int[] {1, 5, 13}, new int[] {1, 70, 130})));
    c.add(rotaryCase("special pairwise-exempt 2 gqa", Variant.of(gqa, Modifiers.rotary(Rotary.halfOf(D),
        RotaryPositions.self(false), SpecialTokens.pairwiseExempt(2))), Pos.SELF_SHARED,
        org.attn4j.reference.Rotary.halfOf(D), org.attn4j.reference.SpecialTokens.pairwiseExempt(2),
        shapes(new int[] {2, 9, 9})));
    c.add(rotaryCase("special rotate-all 2 + alibi", Variant.of(causal, Modifiers.rotary(Rotary.halfOf(D),
        RotaryPositions.arange(), SpecialTokens.rotateAll(2)), Modifiers.alibi()), Pos.ARANGE,
        org.attn4j.reference.Rotary.halfOf(D), org.attn4j.reference.SpecialTokens.rotateAll(2),
        shapes(new int[] {2, 9, 9})));
    return c;
  }

  static Stream<Arguments> runs() {
    return VariantKernels.onEverySchedule(cases());
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("runs")
  void matchesReference(ModifierConformanceTest.Case c, AttentionSchedule schedule) throws IOException {
    VariantKernels.check("rotary", c, schedule, allocator);
  }
}
