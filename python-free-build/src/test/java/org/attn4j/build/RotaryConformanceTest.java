package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
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
import org.attn4j.build.VariantKernels.Qkv;
import org.attn4j.build.VariantKernels.Result;
import org.attn4j.build.VariantKernels.Shape;
import org.attn4j.reference.AttentionKind;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.Gallery;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.schedules.AttentionSchedule;
import org.attn4j.schedules.CudaFlashSchedule;
import org.attn4j.schedules.GenericSchedule;
import org.attn4j.schedules.TargetKind;
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

  record Case(String name, Variant variant, Pos pos, org.attn4j.reference.Rotary oracleRotary,
      org.attn4j.reference.@Nullable SpecialTokens oracleSpecial, List<Shape> shapes) {
    @Override
    public String toString() {
      return name;
    }
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

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    AttentionSpec causal = spec().causal(Causal.BOTTOM_RIGHT).lse(true).build();
    c.add(new Case("rope d/2 arange causal", Variant.of(causal, Modifiers.rotary(Rotary.halfOf(D),
        RotaryPositions.arange())), Pos.ARANGE, org.attn4j.reference.Rotary.halfOf(D), null,
        shapes(new int[] {2, 9, 9}, new int[] {1, 5, 13}, new int[] {1, 70, 130})));
    AttentionSpec gqa = spec().heads(6).kvHeads(2).build();
    c.add(new Case("rope full half-layout base/ntk/interp gqa", Variant.of(gqa, Modifiers.rotary(
        Rotary.of(D).withLayout(Rotary.Layout.ROTATE_HALF).withBase(500).withNtkFactor(2).withInterpolation(4),
        RotaryPositions.self(false))), Pos.SELF_SHARED,
        org.attn4j.reference.Rotary.of(D).withLayout(org.attn4j.reference.Rotary.Layout.ROTATE_HALF).withBase(500)
            .withNtkFactor(2).withInterpolation(4), null, shapes(new int[] {2, 9, 9}, new int[] {1, 20, 110})));
    c.add(new Case("rope 4 per-batch positions causal", Variant.of(causal, Modifiers.rotary(Rotary.of(4),
        RotaryPositions.self(true))), Pos.SELF_BATCH, org.attn4j.reference.Rotary.of(4), null,
        shapes(new int[] {2, 9, 9}, new int[] {3, 4, 17})));
    c.add(new Case("rope far positions (6000+)", Variant.of(spec().build(), Modifiers.rotary(Rotary.halfOf(D),
        RotaryPositions.self(false))), Pos.SELF_FAR, org.attn4j.reference.Rotary.halfOf(D), null,
        shapes(new int[] {1, 40, 40})));
    AttentionSpec cross = spec().cross(true).lse(true).build();
    c.add(new Case("rope cross shared positions", Variant.of(cross, Modifiers.rotary(Rotary.halfOf(D),
        RotaryPositions.cross(false))), Pos.CROSS_SHARED, org.attn4j.reference.Rotary.halfOf(D), null,
        shapes(new int[] {2, 7, 19}, new int[] {1, 100, 30})));
    c.add(new Case("rope cross per-batch positions", Variant.of(cross, Modifiers.rotary(
        Rotary.of(D).withLayout(Rotary.Layout.ROTATE_HALF), RotaryPositions.cross(true))), Pos.CROSS_BATCH,
        org.attn4j.reference.Rotary.of(D).withLayout(org.attn4j.reference.Rotary.Layout.ROTATE_HALF), null,
        shapes(new int[] {2, 12, 5}, new int[] {2, 3, 80})));
    c.add(new Case("special no-rotate-prefix 3", Variant.of(causal, Modifiers.rotary(Rotary.halfOf(D),
        RotaryPositions.arange(), SpecialTokens.noRotatePrefix(3))), Pos.ARANGE,
        org.attn4j.reference.Rotary.halfOf(D), org.attn4j.reference.SpecialTokens.noRotatePrefix(3),
        shapes(new int[] {2, 9, 9}, new int[] {1, 4, 20})));
    c.add(new Case("special custom position 2 at 0.5", Variant.of(spec().build(), Modifiers.rotary(
        Rotary.halfOf(D), RotaryPositions.self(false), SpecialTokens.customPosition(2, 0.5f))), Pos.SELF_SHARED,
        org.attn4j.reference.Rotary.halfOf(D), org.attn4j.reference.SpecialTokens.customPosition(2, 0.5f),
        shapes(new int[] {2, 9, 9}, new int[] {1, 30, 40})));
    c.add(new Case("special pairwise-exempt 3 causal", Variant.of(causal, Modifiers.rotary(Rotary.of(D),
        RotaryPositions.arange(), SpecialTokens.pairwiseExempt(3))), Pos.ARANGE, org.attn4j.reference.Rotary.of(D),
        org.attn4j.reference.SpecialTokens.pairwiseExempt(3),
        shapes(new int[] {2, 9, 9}, new int[] {1, 5, 13}, new int[] {1, 70, 130})));
    c.add(new Case("special pairwise-exempt 2 gqa", Variant.of(gqa, Modifiers.rotary(Rotary.halfOf(D),
        RotaryPositions.self(false), SpecialTokens.pairwiseExempt(2))), Pos.SELF_SHARED,
        org.attn4j.reference.Rotary.halfOf(D), org.attn4j.reference.SpecialTokens.pairwiseExempt(2),
        shapes(new int[] {2, 9, 9})));
    c.add(new Case("special rotate-all 2 + alibi", Variant.of(causal, Modifiers.rotary(Rotary.halfOf(D),
        RotaryPositions.arange(), SpecialTokens.rotateAll(2)), Modifiers.alibi()), Pos.ARANGE,
        org.attn4j.reference.Rotary.halfOf(D), org.attn4j.reference.SpecialTokens.rotateAll(2),
        shapes(new int[] {2, 9, 9})));
    return c;
  }

  static Stream<Arguments> runs() {
    List<Arguments> out = new ArrayList<>();
    for (Case c : cases()) {
      out.add(Arguments.of(c, new GenericSchedule(TargetKind.CPU)));
      out.add(Arguments.of(c, ArtifactRequest.defaultSchedule(BuildTarget.hostCpu())));
      out.add(Arguments.of(c, CudaFlashSchedule.emulatedOnCpu(8, 16)));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("runs")
  void matchesReference(Case c, AttentionSchedule schedule) throws IOException {
    AttentionSpec s = c.variant().getSpec();
    Path dir = VariantKernels.artifact(c.variant(), schedule);
    boolean alibi = c.variant().getModifiers().size() > 1;
    for (Shape sh : c.shapes()) {
      Qkv in = Qkv.of(s, sh);
      List<Object> captures = new ArrayList<>(inputs(c.pos(), sh));
      float[] slopes = Modifiers.alibiSlopes(s.getHeads());
      CoreAttentionOracle.Options o = VariantKernels.options(s, sh);
      AttentionOracle.Spec.Builder ob = AttentionOracle.Spec.builder(o)
          .kind(s.isCross() ? AttentionKind.CROSS : AttentionKind.SELF)
          .rotary(c.oracleRotary(), oraclePositions(c.pos(), captures))
          .specialTokens(c.oracleSpecial());
      if (alibi) {
        captures.add(slopes);
        ob.scoreMod(Gallery.alibi(ModifierConformanceTest.widen(slopes)));
      }
      float[] refOut = new float[o.getQSize()];
      float[] refLse = s.hasLse() ? new float[o.getLseSize()] : null;
      AttentionOracle.run(ob.build(), in.q(), in.k(), in.v(), refOut, refLse);

      Result r = VariantKernels.run(allocator, dir, s, sh, in, captures);
      Comparison cmp = Tolerances.compare(r.out(), refOut);
      assertThat(cmp.isWithin(Tolerances.FP32)).as("%s %s out vs reference: %s", c, sh, cmp).isTrue();
      String lseErr = "n/a";
      if (refLse != null) {
        Comparison cl = Tolerances.compare(r.lse(), refLse);
        assertThat(cl.isWithin(Tolerances.FP32)).as("%s %s lse vs reference: %s", c, sh, cl).isTrue();
        lseErr = String.format("%.2e", cl.getMaxAbsError());
      }
      System.out.printf("rotary %-42s %-20s %-18s max|err| out %.2e lse %s%n", c.name(), schedule.getName(), sh,
          cmp.getMaxAbsError(), lseErr);
    }
  }
}
