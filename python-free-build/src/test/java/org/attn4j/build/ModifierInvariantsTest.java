package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Modifier;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Variant;
import org.attn4j.build.VariantKernels.Qkv;
import org.attn4j.build.VariantKernels.Result;
import org.attn4j.build.VariantKernels.Shape;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.Tolerances;
import org.attn4j.schedules.AttentionSchedule;

import org.junit.jupiter.api.Test;

/**
 * Kernel-against-kernel invariants of the gallery on cpu-flash: each modifier at its neutral setting equals the
 * core kernel (VARIANTS.md §7; the oracle comparison is {@link ModifierConformanceTest}).
 */
class ModifierInvariantsTest extends ArrowTestBase {
  private static final AttentionSchedule FLASH = ArtifactRequest.defaultSchedule(BuildTarget.hostCpu());
  private static final List<Shape> SHAPES = List.of(Shape.of(2, 9, 9), Shape.of(1, 5, 13), Shape.of(1, 17, 17));

  /** {@code spec + modifier} with {@code captures} equals the core kernel of {@code core} on every shape. */
  private void assertCore(AttentionSpec spec, Modifier modifier, Function<Shape, List<Object>> captures,
      AttentionSpec core) throws IOException {
    var dir = VariantKernels.artifact(Variant.of(spec, modifier), FLASH);
    var coreDir = VariantKernels.artifact(Variant.of(core), FLASH);
    for (Shape sh : SHAPES) {
      Qkv in = Qkv.of(spec, sh);
      Result got = VariantKernels.run(allocator, dir, spec, sh, in, captures.apply(sh));
      Result want = VariantKernels.run(allocator, coreDir, core, sh, in, List.of());
      Comparison c = Tolerances.compare(got.out(), want.out());
      assertThat(c.isWithin(Tolerances.FP32)).as("%s %s out: %s", modifier.getName(), sh, c).isTrue();
      if (want.lse() != null) {
        Comparison cl = Tolerances.compare(got.lse(), want.lse());
        assertThat(cl.isWithin(Tolerances.FP32)).as("%s %s lse: %s", modifier.getName(), sh, cl).isTrue();
      }
    }
  }

  @Test
  void alibiWithZeroSlopesIsTheCore() throws IOException {
    AttentionSpec gqa = ModifierConformanceTest.GQA;
    assertCore(gqa, Modifiers.alibi(), sh -> List.of(new float[gqa.getHeads()]), gqa);
  }

  @Test
  void windowCoveringEveryKeyIsTheCore() throws IOException {
    // n, m <= 17: a causal window of 16 keys back covers every visible key
    AttentionSpec causal = ModifierConformanceTest.CAUSAL;
    assertCore(causal, Modifiers.slidingWindow(16, 0), sh -> List.of(), causal);
  }

  @Test
  void singleDocumentIsTheCore() throws IOException {
    AttentionSpec mha = ModifierConformanceTest.MHA;
    assertCore(mha, Modifiers.documents(), sh -> List.of(new int[sh.b() * sh.m()]), mha);
  }

  @Test
  void prefixLmWithEmptyPrefixIsCausal() throws IOException {
    assertCore(ModifierConformanceTest.MHA, Modifiers.prefixLm(), sh -> List.of(new int[sh.b()]),
        ModifierConformanceTest.CAUSAL);
  }

  @Test
  void sinkAtMinusInfinityIsSoftmax() throws IOException {
    float[] sinks = new float[4];
    Arrays.fill(sinks, Float.NEGATIVE_INFINITY);
    assertCore(ModifierConformanceTest.MHA, Modifiers.sinks(), sh -> List.of(sinks), ModifierConformanceTest.MHA);
  }

  @Test
  void hugeSoftCapIsTheCore() throws IOException {
    AttentionSpec mha = ModifierConformanceTest.MHA;
    assertCore(mha, Modifiers.softCap(1e5), sh -> List.of(), mha);
  }
}
