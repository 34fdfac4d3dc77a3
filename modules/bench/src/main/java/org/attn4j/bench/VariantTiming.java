package org.attn4j.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.ForgetDirection;
import org.attn4j.attention.ForgetGate;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Variant;
import org.attn4j.build.ArtifactBuilder;
import org.attn4j.build.ArtifactRequest;
import org.attn4j.build.BuildTarget;
import org.attn4j.build.Progress;
import org.attn4j.reference.TestData;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;

/**
 * Steady-state time of causal variants relative to the core kernel on cpu-flash, measured in one process with the
 * calls interleaved round by round (so drift hits every variant alike); prints the median per variant and its
 * ratio to the core's. Variants: the core; FoX with gates at FoX's initialisation ({@code logsigmoid(5)}, no tile
 * is negligible at these lengths); FoX with decaying gates ({@code a_t} in {@code [-1, -0.1]}) with the default
 * {@code ε} (tiles skipped) and with {@code ε = 0} (none skipped); the per-token value residual; CoPE with
 * {@code P = 16}, linear and soft one-hot (a table uniform in {@code [-1, 1]}); 16 learned memory key/values;
 * rotary with 4 pairwise-exempt special tokens. A development
 * tool, not the benchmark ({@link BenchMain}): no oracle check here (the conformance tests make it).
 *
 * <p>Usage: {@code VariantTiming [b h n d rounds]}, default {@code 1 8 1024 64 30} ({@code m = n}).
 */
public final class VariantTiming {
  private VariantTiming() {}

  private record Case(String name, Variant variant, List<float[]> captures) {}

  /** Runs the timing; see the class comment. */
  public static void main(String[] args) throws IOException {
    int b = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    int h = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int n = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
    int d = args.length > 3 ? Integer.parseInt(args[3]) : 64;
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 30;
    AttentionSpec spec = AttentionSpec.builder().heads(h).headDim(d).causal(Causal.BOTTOM_RIGHT).build();
    float[] init = new float[b * h * n];
    Arrays.fill(init, (float) (Math.min(5, 0) - Math.log1p(Math.exp(-5))));
    float[] decaying = TestData.uniform(5, b * h * n, -1, -0.1f);
    List<Case> cases = List.of(
        new Case("core", Variant.of(spec), List.of()),
        new Case("fox init gates", Variant.of(spec, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT,
            ForgetDirection.FORWARD)), List.of(Modifiers.forgetCumsum(init, b, h))),
        new Case("fox decaying, skip", Variant.of(spec, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT,
            ForgetDirection.FORWARD)), List.of(Modifiers.forgetCumsum(decaying, b, h))),
        new Case("fox decaying, eps=0", Variant.of(spec, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT,
            ForgetDirection.FORWARD, 1, 0)), List.of(Modifiers.forgetCumsum(decaying, b, h))),
        new Case("value residual", Variant.of(spec, Modifiers.valueResidualPerToken()),
            List.of(TestData.uniform(6, b * h * n * d, -1, 1), TestData.uniform(7, b * h * n, 0, 1))),
        new Case("cope P=16", Variant.of(spec, Modifiers.cope(Modifiers.COPE_MAX_POS)),
            List.of(TestData.uniform(8, Modifiers.COPE_MAX_POS * d, -1, 1))),
        new Case("cope P=16 soft one-hot", Variant.of(spec, Modifiers.cope(Modifiers.COPE_MAX_POS,
            Modifiers.COPE_SOFT_ONE_HOT_TEMPERATURE)),
            List.of(TestData.uniform(8, Modifiers.COPE_MAX_POS * d, -1, 1))),
        new Case("memory kv M=16", Variant.of(spec, Modifiers.memoryKv(16)),
            List.of(TestData.uniform(9, h * 16 * d, -2, 2), TestData.uniform(10, h * 16 * d, -1, 1))),
        new Case("rotary d/2 + special tokens exempt 4", Variant.of(spec, Modifiers.rotary(
            org.attn4j.attention.Rotary.halfOf(d), org.attn4j.attention.RotaryPositions.arange(),
            org.attn4j.attention.SpecialTokens.pairwiseExempt(4))), List.of()));
    BuildTarget target = BuildTarget.hostCpu();
    try (BufferAllocator allocator = new RootAllocator()) {
      List<AttentionKernel> kernels = new ArrayList<>();
      List<FieldVector[]> args2 = new ArrayList<>();
      try {
        float[] q = TestData.uniform(1, b * h * n * d, -2, 2);
        float[] k = TestData.uniform(2, b * h * n * d, -2, 2);
        float[] v = TestData.uniform(3, b * h * n * d, -1, 1);
        for (Case c : cases) {
          var dir = ArtifactBuilder.buildCached(new ArtifactRequest(c.variant(), target,
              ArtifactRequest.defaultSchedule(target), ArtifactRequest.defaultBounds()), Progress.silent());
          kernels.add(AttentionKernel.load(dir));
          List<FieldVector> a = new ArrayList<>();
          args2.add(null);
          a.add(vector(allocator, q));
          a.add(vector(allocator, k));
          a.add(vector(allocator, v));
          for (float[] cap : c.captures()) {
            a.add(vector(allocator, cap));
          }
          a.add(vector(allocator, new float[b * h * n * d]));
          args2.set(args2.size() - 1, a.toArray(FieldVector[]::new));
        }
        Dims dims = Dims.of(b, n, n);
        double[][] ms = new double[cases.size()][rounds];
        for (int w = 0; w < 3; w++) {
          for (int i = 0; i < cases.size(); i++) {
            kernels.get(i).run(dims, args2.get(i));
          }
        }
        for (int r = 0; r < rounds; r++) {
          for (int i = 0; i < cases.size(); i++) {
            long t0 = System.nanoTime();
            kernels.get(i).run(dims, args2.get(i));
            ms[i][r] = (System.nanoTime() - t0) / 1e6;
          }
        }
        double core = median(ms[0]);
        System.out.printf("cpu-flash causal b=%d h=%d n=m=%d d=%d, %s, median of %d interleaved rounds%n", b, h, n,
            d, target.getName(), rounds);
        for (int i = 0; i < cases.size(); i++) {
          double med = median(ms[i]);
          System.out.printf("  %-22s %8.2f ms  x%.2f of the core%n", cases.get(i).name(), med, med / core);
        }
      } finally {
        for (FieldVector[] a : args2) {
          if (a != null) {
            Arrays.stream(a).forEach(FieldVector::close);
          }
        }
        kernels.forEach(AttentionKernel::close);
      }
    }
  }

  private static Float4Vector vector(BufferAllocator allocator, float[] values) {
    Float4Vector vec = new Float4Vector("x", allocator);
    vec.allocateNew(values.length);
    for (int i = 0; i < values.length; i++) {
      vec.set(i, values[i]);
    }
    vec.setValueCount(values.length);
    return vec;
  }

  private static double median(double[] x) {
    double[] s = x.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
