package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.FieldVector;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.HeadMapping;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;
import org.attn4j.schedules.AttentionSchedule;
import org.attn4j.schedules.CpuFlashSchedule;
import org.attn4j.schedules.GenericSchedule;
import org.attn4j.schedules.TargetKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The core attention against modules/reference, per schedule and shape, on the host CPU. One artifact per
 * (spec, schedule) serves every shape of its rows (symbolic b, n, m); artifacts are cached by content hash.
 * Tolerance: {@link Tolerances#FP32}.
 */
class CoreConformanceTest {
  private BufferAllocator allocator;

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void tearDown() {
    allocator.close(); // fails on any leaked buffer
  }

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
    Path dir = ArtifactBuilder.buildCached(
        new ArtifactRequest(s, BuildTarget.hostCpu(), schedule, ArtifactRequest.defaultBounds()), Progress.silent());
    int h = s.getHeads();
    int hKv = s.getKvHeads();
    int d = s.getHeadDim();
    float[] q = TestData.uniform(1, c.b() * h * c.n() * d, -2, 2);
    float[] k = TestData.uniform(2, c.b() * hKv * c.m() * d, -2, 2);
    float[] v = TestData.uniform(3, c.b() * hKv * c.m() * d, -1, 1);
    CoreAttentionOracle.Options o = CoreAttentionOracle.Options.builder()
        .shape(c.b(), h, hKv, c.n(), c.m(), d)
        .causal(s.getCausal() == Causal.BOTTOM_RIGHT
            ? org.attn4j.reference.Causal.BOTTOM_RIGHT : org.attn4j.reference.Causal.NONE)
        .headMapping(org.attn4j.reference.HeadMapping.valueOf(s.getHeadMapping().name()))
        .keyLengths(c.lengths())
        .build();
    float[] refOut = new float[c.b() * h * c.n() * d];
    float[] refLse = new float[c.b() * h * c.n()];
    CoreAttentionOracle.run(o, q, k, v, refOut, refLse);

    try (AttentionKernel kernel = AttentionKernel.load(dir)) {
      List<FieldVector> args = new ArrayList<>();
      try {
        args.add(Vectors.floats(allocator, "q", q));
        args.add(Vectors.floats(allocator, "k", k));
        args.add(Vectors.floats(allocator, "v", v));
        if (s.hasKeyLengths()) {
          args.add(Vectors.ints(allocator, "key_lengths", c.lengths()));
        }
        Float4Vector out = Vectors.output(allocator, "out", refOut.length);
        args.add(out);
        Float4Vector lse = null;
        if (s.hasLse()) {
          lse = Vectors.output(allocator, "lse", refLse.length);
          args.add(lse);
        }
        kernel.run(Dims.of(c.b(), c.n(), c.m()), args.toArray(FieldVector[]::new));
        Comparison cmp = Tolerances.compare(Vectors.toArray(out), refOut);
        assertThat(cmp.isWithin(Tolerances.FP32)).as("out vs reference: %s", cmp).isTrue();
        assertThat(out.getNullCount()).isZero();
        if (lse != null) {
          Comparison cl = Tolerances.compare(Vectors.toArray(lse), refLse);
          assertThat(cl.isWithin(Tolerances.FP32)).as("lse vs reference: %s", cl).isTrue();
        }
        System.out.printf("conformance %-22s %-26s b=%d n=%-3d m=%-3d max abs err %.2e, max rel err %.2e%n", c.name(),
            schedule, c.b(), c.n(), c.m(), cmp.getMaxAbsError(), cmp.getMaxRelError());
      } finally {
        args.forEach(FieldVector::close);
      }
    }
  }
}
