package org.attn4j.build;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.HeadMapping;
import org.attn4j.attention.Variant;
import org.attn4j.build.ModifierConformanceTest.Case;
import org.attn4j.build.VariantKernels.Shape;
import org.attn4j.schedules.AttentionSchedule;
import org.attn4j.schedules.CudaMmaSchedule;
import org.attn4j.te.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tensor-core kernel ({@link CudaMmaSchedule}) against modules/reference's oracle, run on the CPU with its
 * warps emulated: the fragment layouts of {@code mma.m16n8k16}, the quad reductions, masks, slots and the online
 * softmax, for fp16 and bf16 inputs (rounded before the oracle sees them) with {@code Tolerances.FP16}/{@code BF16}.
 * Small tiles (2 warps = 32 rows, 16-key tiles) so that the shapes span several blocks and tiles, and ragged
 * edges (n, m not multiples of either).
 *
 * <p>Variants: the core (causal with n != m both ways, GQA, key lengths with an empty batch row, lse), a part of
 * the modifier gallery, rotary (rotate-on-load; pairwise-exempt special tokens), FoX with tile skipping and the
 * value residual. What this cannot show: the tensor cores' own summation order and speed (see
 * ci/gpu-check.sh).
 */
class CudaMmaConformanceTest extends ArrowTestBase {
  static final AttentionSchedule SMALL = CudaMmaSchedule.emulatedOnCpu(2, 16);

  /** {@code c} with its spec in {@code t}, the same modifiers, captures and oracle. */
  static Case in(DType t, Case c) {
    AttentionSpec s = c.variant().getSpec().toBuilder().dtype(t).build();
    return new Case(c.name() + " " + t.getTvmName(), Variant.of(s, c.variant().getModifiers()), c.captures(),
        c.oracle(), c.shapes());
  }

  static Case core(String name, AttentionSpec s, Shape... shapes) {
    return new Case(name, Variant.of(s), sh -> List.of(), (o, sh, cap) -> { }, List.of(shapes));
  }

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    AttentionSpec plain = AttentionSpec.builder().heads(2).headDim(16).build();
    AttentionSpec causal = AttentionSpec.builder().heads(2).headDim(32).causal(Causal.BOTTOM_RIGHT).lse(true).build();
    AttentionSpec gqa = AttentionSpec.builder().heads(4).kvHeads(2).headDim(16).headMapping(HeadMapping.BLOCKED)
        .causal(Causal.BOTTOM_RIGHT).build();
    AttentionSpec padded = AttentionSpec.builder().heads(3).kvHeads(1).headDim(16).keyLengths(true).lse(true)
        .build();
    for (DType t : new DType[] {DType.FLOAT16, DType.BFLOAT16}) {
      c.add(in(t, core("plain", plain, Shape.of(2, 1, 1), Shape.of(1, 33, 20), Shape.of(2, 70, 130))));
      c.add(in(t, core("causal+lse", causal, Shape.of(2, 5, 12), Shape.of(1, 9, 4), Shape.of(1, 77, 77),
          Shape.of(1, 40, 150))));
      c.add(in(t, core("gqa-blocked-causal", gqa, Shape.of(1, 18, 30))));
      c.add(in(t, core("mqa-padded+lse", padded, new Shape(3, 6, 41, new int[] {41, 4, 0}))));
    }
    List<String> gallery = List.of("softcap 2", "window 16,0 causal", "documents", "sinks", "sigmoid -1",
        "alibi+softcap+window gqa padded");
    ModifierConformanceTest.gallery().stream().filter(k -> gallery.contains(k.name()))
        .forEach(k -> c.add(in(DType.FLOAT16, k)));
    List<String> rotary = List.of("rope d/2 arange causal", "rope cross per-batch positions",
        "special pairwise-exempt 3 causal");
    RotaryConformanceTest.cases().stream().filter(k -> rotary.contains(k.name()))
        .forEach(k -> c.add(in(DType.FLOAT16, k)));
    ForgettingConformanceTest.cases().stream().filter(k -> k.name().equals("data-dependent causal"))
        .forEach(k -> c.add(in(DType.BFLOAT16, k)));
    ValueResidualConformanceTest.cases().stream().filter(k -> k.name().equals("per-token + fox gqa"))
        .forEach(k -> c.add(in(DType.FLOAT16, k)));
    return c;
  }

  static Stream<Arguments> runs() {
    return cases().stream().map(k -> Arguments.of(k, SMALL));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("runs")
  void matchesReference(Case c, AttentionSchedule schedule) throws IOException {
    VariantKernels.check("cuda-mma", c, schedule, allocator);
  }
}
