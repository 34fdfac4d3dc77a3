package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.Modifier;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Rotary;
import org.attn4j.attention.RotaryPositions;
import org.attn4j.attention.SpecialTokens;
import org.attn4j.attention.Variant;
import org.attn4j.build.VariantKernels.Shape;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.Gallery;
import org.attn4j.reference.MemoryKv;
import org.attn4j.reference.ValueResidual;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.schedules.AttentionSchedule;
import org.attn4j.schedules.GenericSchedule;
import org.attn4j.schedules.TargetKind;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Learned memory key/values (x-transformers' {@code num_mem_kv}, VARIANTS.md §3) against the oracle, alone and with
 * rotary (memory keys never rotate; a PAIRWISE_EXEMPT special query meets them raw), ALiBi (no bias on memory),
 * key lengths (a row of length 0 still sees the memory), GQA, and more memory keys than one cpu-flash tile.
 * Tolerance: {@link Tolerances#FP32}.
 */
class MemoryKvConformanceTest extends ArrowTestBase {
  static final int D = 16;

  /**
   * A case of the shared conformance check: the memory's key/values (fixed seeds) and each modifier's inputs in
   * capture order, and the oracle's memory plus {@code extra}.
   */
  static ModifierConformanceTest.Case memoryCase(String name, Variant variant, int memory,
      @Nullable BiConsumer<AttentionOracle.Spec.Builder, Shape> extra, List<Shape> shapes) {
    AttentionSpec s = variant.getSpec();
    int memSize = s.getKvHeads() * memory * D;
    float[] memK = TestData.uniform(21, memSize, -2, 2);
    float[] memV = TestData.uniform(22, memSize, -1, 1);
    return new ModifierConformanceTest.Case(name, variant, sh -> {
      List<Object> captures = new ArrayList<>();
      for (Modifier mod : variant.getModifiers()) {
        if (mod.getName().equals("alibi")) {
          captures.add(Modifiers.alibiSlopes(s.getHeads()));
        } else if (mod.getName().startsWith("memkv")) {
          captures.add(memK);
          captures.add(memV);
        } else if (mod.getName().startsWith("value_residual")) {
          captures.add(TestData.uniform(23, sh.b() * s.getKvHeads() * sh.m() * D, -1, 1));
        }
      }
      return captures;
    }, (o, sh, cap) -> {
      o.memoryKv(MemoryKv.of(memK, memV, memory));
      if (variant.getModifiers().stream().anyMatch(mod -> mod.getName().startsWith("value_residual"))) {
        o.valueResidual(ValueResidual.constant((float[]) cap.get(cap.size() - 1), 0.3));
      }
      if (extra != null) {
        extra.accept(o, sh);
      }
    }, shapes);
  }

  static List<ModifierConformanceTest.Case> cases() {
    AttentionSpec causal = AttentionSpec.builder().heads(4).headDim(D).causal(Causal.BOTTOM_RIGHT).lse(true).build();
    AttentionSpec gqa = AttentionSpec.builder().heads(6).kvHeads(2).headDim(D).causal(Causal.BOTTOM_RIGHT).build();
    AttentionSpec padded = AttentionSpec.builder().heads(4).kvHeads(2).headDim(D).keyLengths(true).lse(true).build();
    List<ModifierConformanceTest.Case> c = new ArrayList<>();
    c.add(memoryCase("memkv 4 causal", Variant.of(causal, Modifiers.memoryKv(4)), 4, null,
        List.of(Shape.of(2, 9, 9), Shape.of(1, 5, 13), Shape.of(1, 13, 5), Shape.of(1, 70, 130))));
    c.add(memoryCase("memkv 3 + rotary + alibi gqa", Variant.of(gqa, Modifiers.rotary(Rotary.halfOf(D),
        RotaryPositions.arange()), Modifiers.alibi(), Modifiers.memoryKv(3)), 3, (o, sh) ->
        o.rotary(org.attn4j.reference.Rotary.halfOf(D), org.attn4j.reference.RotaryPositions.defaults())
            .scoreMod(Gallery.alibi(ModifierConformanceTest.widen(Modifiers.alibiSlopes(6)))),
        List.of(Shape.of(2, 9, 9), Shape.of(1, 20, 110))));
    c.add(memoryCase("memkv 2 + rotary pairwise-exempt 3", Variant.of(causal, Modifiers.memoryKv(2),
        Modifiers.rotary(Rotary.of(D), RotaryPositions.arange(), SpecialTokens.pairwiseExempt(3))), 2, (o, sh) ->
        o.rotary(org.attn4j.reference.Rotary.of(D), org.attn4j.reference.RotaryPositions.defaults())
            .specialTokens(org.attn4j.reference.SpecialTokens.pairwiseExempt(3)),
        List.of(Shape.of(2, 9, 9), Shape.of(1, 70, 130))));
    c.add(memoryCase("memkv 100 key lengths gqa", Variant.of(padded, Modifiers.memoryKv(100)), 100, null,
        List.of(new Shape(3, 7, 20, new int[] {20, 0, 5}), new Shape(1, 40, 130, new int[] {97}))));
    c.add(memoryCase("memkv 5 + value residual", Variant.of(causal, Modifiers.memoryKv(5),
        Modifiers.valueResidual(0.3)), 5, null, List.of(Shape.of(2, 9, 9), Shape.of(1, 30, 40))));
    return c;
  }

  static Stream<Arguments> runs() {
    return VariantKernels.onEverySchedule(cases());
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("runs")
  void matchesReference(ModifierConformanceTest.Case c, AttentionSchedule schedule) throws IOException {
    VariantKernels.check("memkv", c, schedule, allocator);
  }

  @Test
  void aSoftCapWithMemoryIsRefused() {
    Variant v = Variant.of(AttentionSpec.builder().heads(2).headDim(D).build(), Modifiers.memoryKv(2),
        Modifiers.softCap(30));
    assertThatThrownBy(() -> VariantKernels.artifact(v, new GenericSchedule(TargetKind.CPU)))
        .hasMessageContaining("memory kv with a soft-cap: not supported");
    assertThatThrownBy(() -> Modifiers.memoryKv(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected M >= 1");
  }
}
