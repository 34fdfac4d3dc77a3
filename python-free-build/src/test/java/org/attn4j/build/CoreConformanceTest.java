package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.HeadMapping;
import org.attn4j.attention.Variant;
import org.attn4j.build.VariantKernels.Qkv;
import org.attn4j.build.VariantKernels.Result;
import org.attn4j.build.VariantKernels.Shape;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.Tolerances;
import org.attn4j.schedules.AttentionSchedule;
import org.attn4j.schedules.CpuFlashSchedule;
import org.attn4j.schedules.GenericSchedule;
import org.attn4j.schedules.TargetKind;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The core attention against modules/reference, per schedule and shape, on the host CPU. One artifact per
 * (spec, schedule) serves every shape of its rows (symbolic b, n, m); artifacts are cached by content hash.
 * Tolerance: {@link Tolerances#FP32}.
 */
class CoreConformanceTest extends ArrowTestBase {

  record Case(String name, AttentionSpec spec, int b, int n, int m, int[] lengths) {
    @Override
    public String toString() {
      return name + " b=" + b + " n=" + n + " m=" + m;
    }
  }

  static Stream<Arguments> cases() {
    List<Case> c = new ArrayList<>();
    AttentionSpec plain = AttentionSpec.builder().heads(2).headDim(8).build();
    AttentionSpec causal = AttentionSpec.builder().heads(2).headDim(8).causal(Causal.BOTTOM_RIGHT).lse(true).build();
    AttentionSpec gqaTiled = AttentionSpec.builder().heads(4).kvHeads(2).headDim(16).build();
    AttentionSpec gqaBlocked = AttentionSpec.builder().heads(4).kvHeads(2).headDim(16)
        .headMapping(HeadMapping.BLOCKED).causal(Causal.BOTTOM_RIGHT).build();
    AttentionSpec mqaPadded = AttentionSpec.builder().heads(3).kvHeads(1).headDim(8).keyLengths(true).lse(true).build();
    // symbolic n and m at several values from one artifact
    for (int[] nm : new int[][] {{1, 1}, {5, 7}, {16, 16}, {33, 20}, {64, 130}, {130, 200}}) {
      c.add(new Case("plain", plain, 2, nm[0], nm[1], null));
    }
    // right-aligned causal: m > n (KV cache), n > m (rows with no visible key give 0), n = m
    for (int[] nm : new int[][] {{5, 12}, {9, 4}, {17, 17}, {150, 290}}) {
      c.add(new Case("causal+lse", causal, 2, nm[0], nm[1], null));
    }
    c.add(new Case("gqa-tiled", gqaTiled, 2, 19, 23, null));
    c.add(new Case("gqa-blocked-causal", gqaBlocked, 1, 18, 30, null));
    // padding lengths, including a fully masked batch row
    c.add(new Case("mqa-padded+lse", mqaPadded, 3, 6, 11, new int[] {11, 4, 0}));
    List<Arguments> out = new ArrayList<>();
    for (Case k : c) {
      out.add(Arguments.of(k, new GenericSchedule(TargetKind.CPU)));
      out.add(Arguments.of(k, CpuFlashSchedule.forVectorWidth(16)));
      out.add(Arguments.of(k, CpuFlashSchedule.forVectorWidth(8)));
      // the CUDA kernel's loop nest, threads emulated by serial loops: small blocks, so shapes span several
      out.add(Arguments.of(k, org.attn4j.schedules.CudaFlashSchedule.emulatedOnCpu(8, 16)));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void matchesReference(Case c, AttentionSchedule schedule) throws IOException {
    AttentionSpec s = c.spec();
    Path dir = VariantKernels.artifact(Variant.of(s), schedule);
    Shape sh = new Shape(c.b(), c.n(), c.m(), c.lengths());
    Qkv in = Qkv.of(s, sh);
    CoreAttentionOracle.Options o = VariantKernels.options(s, sh);
    float[] refOut = new float[o.getQSize()];
    float[] refLse = new float[o.getLseSize()];
    CoreAttentionOracle.run(o, in.q(), in.k(), in.v(), refOut, refLse);
    Result r = VariantKernels.run(allocator, dir, s, sh, in, List.of());
    Comparison cmp = Tolerances.compare(r.out(), refOut);
    assertThat(cmp.isWithin(Tolerances.FP32)).as("out vs reference: %s", cmp).isTrue();
    if (r.lse() != null) {
      Comparison cl = Tolerances.compare(r.lse(), refLse);
      assertThat(cl.isWithin(Tolerances.FP32)).as("lse vs reference: %s", cl).isTrue();
    }
    System.out.printf("conformance %-22s %-26s b=%d n=%-3d m=%-3d max abs err %.2e, max rel err %.2e%n",
        c.name(), schedule, c.b(), c.n(), c.m(), cmp.getMaxAbsError(), cmp.getMaxRelError());
  }
}
