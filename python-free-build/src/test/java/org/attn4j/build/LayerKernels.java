package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.attn4j.attention.AttentionLayer;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.reference.AttentionLayerOracle;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;
import org.attn4j.schedules.LayerSchedule;
import org.jspecify.annotations.Nullable;

/** Test helpers for attention layers: inputs of a shape, the cached build, runs on Arrow vectors and arrays. */
final class LayerKernels {
  private LayerKernels() {}

  /** A call's sizes. */
  record Shape(int b, int n) {
    @Override
    public String toString() {
      return "b=" + b + " n=" + n;
    }
  }

  /**
   * The inputs of one call (fixed seeds): {@code z} and {@code x0} only when the layer takes them; weights scaled
   * by {@code dim^-1/2} so activations stay of order 1.
   */
  record Inputs(float[] x, float @Nullable [] z, float @Nullable [] x0, float[] gamma, float[] wq, float[] wk,
      float[] wv, float[] wo, float @Nullable [] wGate, List<float[]> captures, float @Nullable [] wForget,
      float @Nullable [] bForget, float @Nullable [] wMix, float @Nullable [] bMix,
      float @Nullable [] valueFirst) {

    Inputs(float[] x, float @Nullable [] z, float @Nullable [] x0, float[] gamma, float[] wq, float[] wk,
        float[] wv, float[] wo, float @Nullable [] wGate, List<float[]> captures) {
      this(x, z, x0, gamma, wq, wk, wv, wo, wGate, captures, null, null, null, null, null);
    }

    static Inputs of(AttentionLayer l, Shape sh, List<float[]> captures) {
      AttentionSpec s = l.getCore().getSpec();
      int dim = l.getDim();
      int hd = s.getHeads() * s.getHeadDim();
      int kvd = s.getKvHeads() * s.getHeadDim();
      int tokens = sh.b() * sh.n();
      float w = (float) (1.5 / Math.sqrt(dim));
      float @Nullable [] z = switch (l.getCondition()) {
        case NONE -> null;
        case PER_BATCH -> TestData.uniform(12, sh.b() * dim, -1, 1);
        case PER_TOKEN -> TestData.uniform(13, tokens * dim, -1, 1);
      };
      boolean fox = l.hasForgetGate();
      boolean mix = l.isMixLearned();
      int h = s.getHeads();
      int hKv = s.getKvHeads();
      // forget gates: β in [-1, 2] and logits of order 1, so a = λ·logsigmoid(...) spans about [-2.5, -0.05]
      return new Inputs(TestData.uniform(11, tokens * dim, -1, 1), z,
          l.isGated() ? TestData.uniform(14, tokens * dim, -1, 1) : null,
          TestData.uniform(15, dim, 0.5f, 1.5f), TestData.uniform(16, hd * dim, -w, w),
          TestData.uniform(17, kvd * dim, -w, w), TestData.uniform(18, kvd * dim, -w, w),
          TestData.uniform(19, dim * hd, -w, w), l.isGated() ? TestData.uniform(20, dim, -0.5f, 0.5f) : null,
          captures, fox ? TestData.uniform(21, h * dim, -w, w) : null, fox ? TestData.uniform(22, h, -1, 2) : null,
          mix ? TestData.uniform(23, hKv * dim, -w, w) : null, mix ? TestData.uniform(24, hKv, -1, 1) : null,
          l.hasValueResidual() ? TestData.uniform(25, sh.b() * hKv * sh.n() * s.getHeadDim(), -1, 1) : null);
    }

    /** The same inputs with another condition (same length as this one's). */
    Inputs withZ(float @Nullable [] z2) {
      return new Inputs(x, z2, x0, gamma, wq, wk, wv, wo, wGate, captures, wForget, bForget, wMix, bMix,
          valueFirst);
    }

    /** The arrays in the layer's argument order, inputs only. */
    List<float[]> arguments() {
      List<float[]> a = new ArrayList<>();
      a.add(x);
      if (z != null) {
        a.add(z);
      }
      if (x0 != null) {
        a.add(x0);
      }
      a.addAll(List.of(gamma, wq, wk, wv, wo));
      if (wGate != null) {
        a.add(wGate);
      }
      for (float @Nullable [] f : java.util.Arrays.asList(wForget, bForget, wMix, bMix)) {
        if (f != null) {
          a.add(f);
        }
      }
      a.addAll(captures);
      if (valueFirst != null) {
        a.add(valueFirst);
      }
      return a;
    }
  }

  static Path artifact(AttentionLayer l, LayerSchedule schedule) throws IOException {
    return ArtifactBuilder.buildCached(new LayerArtifactRequest(l, BuildTarget.hostCpu(), schedule,
        LayerArtifactRequest.defaultBounds()), Progress.silent());
  }

  /** The oracle's output for the layer; {@code oracleCore} adds the core modifiers' counterparts. */
  static float[] oracle(AttentionLayer l, Shape sh, Inputs in,
      java.util.function.Consumer<AttentionOracle.Spec.Builder> oracleCore) {
    AttentionSpec s = l.getCore().getSpec();
    CoreAttentionOracle.Options o = CoreAttentionOracle.Options.builder()
        .shape(sh.b(), s.getHeads(), s.getKvHeads(), sh.n(), sh.n(), s.getHeadDim())
        .causal(org.attn4j.reference.Causal.valueOf(s.getCausal().name()))
        .headMapping(org.attn4j.reference.HeadMapping.valueOf(s.getHeadMapping().name()))
        .scale(s.getScale())
        .build();
    AttentionOracle.Spec.Builder spec = AttentionOracle.Spec.builder(o);
    oracleCore.accept(spec);
    AttentionLayerOracle.Layer.Builder layer = AttentionLayerOracle.Layer.builder(l.getDim(), spec.build())
        .norm(AttentionLayerOracle.Norm.valueOf(l.getNorm().name()), in.gamma())
        .projections(in.wq(), in.wk(), in.wv(), in.wo())
        .conditionGate(in.wGate());
    if (in.wForget() != null && in.bForget() != null) {
      layer.forgetGate(in.wForget(), in.bForget(), l.getForgetLambda());
    }
    if (in.valueFirst() != null) {
      layer.valueResidual(in.valueFirst(), in.wMix(), in.bMix());
    }
    return AttentionLayerOracle.run(layer.build(), in.x(), in.z(), in.x0());
  }

  /** Runs the artifact on Arrow vectors (zero copy); closes every vector it made. */
  static float[] runArrow(BufferAllocator a, Path dir, AttentionLayer l, Shape sh, Inputs in) {
    List<FieldVector> args = new ArrayList<>();
    try (AttentionKernel kernel = AttentionKernel.load(dir)) {
      for (float[] f : in.arguments()) {
        args.add(Vectors.floats(a, "in", f));
      }
      Float4Vector out = Vectors.output(a, "out", sh.b() * sh.n() * l.getDim());
      args.add(out);
      kernel.run(Dims.of(sh.b(), sh.n()), args.toArray(FieldVector[]::new));
      return Vectors.toArray(out);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      args.forEach(FieldVector::close);
    }
  }

  /** Runs the artifact on float arrays (the copying overload). */
  static float[] runArrays(BufferAllocator a, Path dir, AttentionLayer l, Shape sh, Inputs in) {
    float[] out = new float[sh.b() * sh.n() * l.getDim()];
    java.util.Arrays.fill(out, Float.NaN);
    List<Object> args = new ArrayList<>(in.arguments());
    args.add(out);
    try (AttentionKernel kernel = AttentionKernel.load(dir)) {
      kernel.run(Dims.of(sh.b(), sh.n()), a, args.toArray());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out;
  }

  static double[] widen(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /**
   * Runs the layer through both entry points (Arrow and float[]) and asserts each within {@link Tolerances#FP32}
   * of {@code ref}; prints the error under {@code label}.
   */
  static void assertMatches(String label, BufferAllocator a, Path dir, AttentionLayer l, LayerSchedule schedule,
      Shape sh, Inputs in, float[] ref) {
    Comparison arrow = Tolerances.compare(runArrow(a, dir, l, sh, in), ref);
    assertThat(arrow.isWithin(Tolerances.FP32)).as("%s %s (Arrow) vs oracle: %s", label, sh, arrow).isTrue();
    Comparison arrays = Tolerances.compare(runArrays(a, dir, l, sh, in), ref);
    assertThat(arrays.isWithin(Tolerances.FP32)).as("%s %s (float[]) vs oracle: %s", label, sh, arrays).isTrue();
    System.out.printf("%-52s %-9s %-8s max|err| %.2e (max|ref| %.2f)%n", label, schedule.getName(), sh,
        arrow.getMaxAbsError(), arrow.getMaxAbsExpected());
  }

  /** Runs {@code arrays} (inputs, then out) through the Arrow entry point as they are; closes what it made. */
  static void runRaw(BufferAllocator a, Path dir, Dims dims, List<float[]> arrays) throws IOException {
    List<FieldVector> v = new ArrayList<>();
    try (AttentionKernel kernel = AttentionKernel.load(dir)) {
      for (int i = 0; i < arrays.size() - 1; i++) {
        v.add(Vectors.floats(a, "in", arrays.get(i)));
      }
      v.add(Vectors.output(a, "out", arrays.get(arrays.size() - 1).length));
      kernel.run(dims, v.toArray(FieldVector[]::new));
    } finally {
      v.forEach(FieldVector::close);
    }
  }

  /**
   * Each case on cpu-flash-layer (the CPU default: the core as the flash loop nest) and on cpu-layer (one function,
   * the generic core parallelised), and the cases at {@code generic} also on the generic schedule.
   */
  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> onSchedules(List<?> cases,
      java.util.Set<Integer> generic) {
    List<org.junit.jupiter.params.provider.Arguments> out = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      out.add(org.junit.jupiter.params.provider.Arguments.of(cases.get(i),
          LayerArtifactRequest.defaultSchedule(BuildTarget.hostCpu())));
      out.add(org.junit.jupiter.params.provider.Arguments.of(cases.get(i),
          LayerArtifactRequest.schedule("cpu-layer", BuildTarget.hostCpu())));
      if (generic.contains(i)) {
        out.add(org.junit.jupiter.params.provider.Arguments.of(cases.get(i),
            new org.attn4j.schedules.GenericLayerSchedule(org.attn4j.schedules.TargetKind.CPU)));
      }
    }
    return out.stream();
  }
}
