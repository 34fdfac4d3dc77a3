package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Variant;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.LowPrecision;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;
import org.attn4j.schedules.AttentionSchedule;
import org.jspecify.annotations.Nullable;

/** Test helpers for variants: build (cached) and run one on Arrow vectors with the standard inputs of a shape. */
final class VariantKernels {
  private VariantKernels() {}

  /** A call's sizes and, when the spec takes them, key lengths {@code [b]}. */
  record Shape(int b, int n, int m, int @Nullable [] lengths) {
    static Shape of(int b, int n, int m) {
      return new Shape(b, n, m, null);
    }

    @Override
    public String toString() {
      return "b=" + b + " n=" + n + " m=" + m;
    }
  }

  /**
   * The standard inputs of a shape (fixed seeds), already rounded to the spec's 16-bit dtype if it has one, so
   * that the oracle sees what the kernel sees.
   */
  record Qkv(float[] q, float[] k, float[] v) {
    static Qkv of(AttentionSpec s, Shape sh) {
      int d = s.getHeadDim();
      return new Qkv(rounded(s, TestData.uniform(1, sh.b() * s.getHeads() * sh.n() * d, -2, 2)),
          rounded(s, TestData.uniform(2, sh.b() * s.getKvHeads() * sh.m() * d, -2, 2)),
          rounded(s, TestData.uniform(3, sh.b() * s.getKvHeads() * sh.m() * d, -1, 1)));
    }
  }

  /** The 16-bit format of a spec's dtype; null for float32. */
  static LowPrecision.@Nullable Format format(AttentionSpec s) {
    return switch (s.getDtype()) {
      case FLOAT16 -> LowPrecision.Format.FP16;
      case BFLOAT16 -> LowPrecision.Format.BF16;
      default -> null;
    };
  }

  /** The tolerance row of a spec's dtype. */
  static Tolerances tolerance(AttentionSpec s) {
    LowPrecision.Format f = format(s);
    return f == null ? Tolerances.FP32 : f == LowPrecision.Format.FP16 ? Tolerances.FP16 : Tolerances.BF16;
  }

  private static float[] rounded(AttentionSpec s, float[] x) {
    LowPrecision.Format f = format(s);
    return f == null ? x : LowPrecision.roundArray(x, f);
  }

  /** {@code out} and, when the spec has it, {@code lse}. */
  record Result(float[] out, float @Nullable [] lse) {}

  /** The oracle's options for {@code s} at {@code sh}. */
  static CoreAttentionOracle.Options options(AttentionSpec s, Shape sh) {
    return CoreAttentionOracle.Options.builder()
        .shape(sh.b(), s.getHeads(), s.getKvHeads(), sh.n(), sh.m(), s.getHeadDim())
        .causal(org.attn4j.reference.Causal.valueOf(s.getCausal().name()))
        .headMapping(org.attn4j.reference.HeadMapping.valueOf(s.getHeadMapping().name()))
        .keyLengths(sh.lengths())
        .build();
  }

  static Path artifact(Variant v, AttentionSchedule schedule) throws IOException {
    return ArtifactBuilder.buildCached(
        new ArtifactRequest(v, BuildTarget.hostCpu(), schedule, ArtifactRequest.defaultBounds()), Progress.silent());
  }

  /** Runs the artifact; {@code captures} are float[] or int[] in capture order. Closes every vector it made. */
  static Result run(BufferAllocator a, Path dir, AttentionSpec s, Shape sh, Qkv in, List<Object> captures) {
    int rows = sh.b() * s.getHeads() * sh.n();
    List<FieldVector> args = new ArrayList<>();
    try (AttentionKernel kernel = AttentionKernel.load(dir)) {
      LowPrecision.Format f = format(s);
      args.add(Vectors.of(a, "q", in.q(), f));
      args.add(Vectors.of(a, "k", in.k(), f));
      args.add(Vectors.of(a, "v", in.v(), f));
      if (s.hasKeyLengths()) {
        args.add(Vectors.ints(a, "key_lengths", sh.lengths()));
      }
      List<org.attn4j.runtime.Manifest.Argument> declared = kernel.getManifest().arguments();
      for (Object c : captures) {
        // a float capture in the dtype the artifact declares for it (a 16-bit variant may capture 16-bit values)
        String dtype = declared.get(args.size()).dtype();
        args.add(c instanceof int[] ints ? Vectors.ints(a, "capture", ints) : Vectors.of(a, "capture", (float[]) c,
            dtype.equals("float16") ? LowPrecision.Format.FP16 : dtype.equals("bfloat16") ? LowPrecision.Format.BF16
                : null));
      }
      FieldVector out = Vectors.output(a, "out", rows * s.getHeadDim(), f);
      args.add(out);
      Float4Vector lse = s.hasLse() ? Vectors.output(a, "lse", rows) : null;
      if (lse != null) {
        args.add(lse);
      }
      kernel.run(Dims.of(sh.b(), sh.n(), sh.m()), args.toArray(FieldVector[]::new));
      return new Result(Vectors.toArray(out, f), lse == null ? null : Vectors.toArray(lse));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      args.forEach(FieldVector::close);
    }
  }

  /** Runs every shape of {@code c} on {@code schedule} and compares with the oracle (the tolerance of its dtype); prints the errors. */
  static void check(String what, ModifierConformanceTest.Case c, AttentionSchedule schedule, BufferAllocator a)
      throws IOException {
    AttentionSpec s = c.variant().getSpec();
    Path dir = VariantKernels.artifact(c.variant(), schedule);
    for (Shape sh : c.shapes()) {
      Qkv in = Qkv.of(s, sh);
      List<Object> captures = c.captures().apply(sh);
      CoreAttentionOracle.Options o = VariantKernels.options(s, sh);
      AttentionOracle.Spec.Builder ob = AttentionOracle.Spec.builder(o);
      c.oracle().apply(ob, sh, captures);
      float[] refOut = new float[o.getQSize()];
      float[] refLse = s.hasLse() ? new float[o.getLseSize()] : null;
      AttentionOracle.run(ob.build(), in.q(), in.k(), in.v(), refOut, refLse);

      Result r = VariantKernels.run(a, dir, s, sh, in, captures);
      Comparison cmp = Tolerances.compare(r.out(), refOut);
      assertThat(cmp.isWithin(tolerance(s))).as("%s %s out vs reference: %s", c, sh, cmp).isTrue();
      String lseErr = "n/a";
      if (refLse != null) {
        Comparison cl = Tolerances.compare(r.lse(), refLse);
        assertThat(cl.isWithin(tolerance(s))).as("%s %s lse vs reference: %s", c, sh, cl).isTrue();
        lseErr = String.format("%.2e", cl.getMaxAbsError());
      }
      System.out.printf("%s %-34s %-19s %-18s max|err| out %.2e lse %s%n", what, c.name(), schedule.getName(), sh,
          cmp.getMaxAbsError(), lseErr);
    }
  }

  /** The schedules every variant suite runs on: generic (CPU), cpu-flash for this host, cuda-flash emulated. */
  static List<AttentionSchedule> schedules() {
    return List.of(new org.attn4j.schedules.GenericSchedule(org.attn4j.schedules.TargetKind.CPU),
        ArtifactRequest.defaultSchedule(BuildTarget.hostCpu()),
        org.attn4j.schedules.CudaFlashSchedule.emulatedOnCpu(8, 16));
  }

  /** Every case on every schedule of {@link #schedules()}, as parameterized-test arguments. */
  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> onEverySchedule(
      List<ModifierConformanceTest.Case> cases) {
    return cases.stream().flatMap(c -> schedules().stream()
        .map(s -> org.junit.jupiter.params.provider.Arguments.of(c, s)));
  }
}
