package org.attn4j.build.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.build.ArtifactBuilder;
import org.attn4j.build.ArtifactRequest;
import org.attn4j.build.BuildTarget;
import org.attn4j.build.Progress;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;
import org.attn4j.schedules.AttentionSchedule;

/**
 * A developer's bench for CPU schedules: builds one spec with the blocked schedule, prints where the lowered
 * TIR is, checks against the oracle and times calls. Args: n m causal(0/1) qBlock rounds [kBlock vectorWidth microRows] (flash with the last three).
 */
public final class ScheduleLab {
  private ScheduleLab() {}

  private static org.apache.arrow.vector.Float4Vector vec(org.apache.arrow.memory.BufferAllocator a, float[] x) {
    return (org.apache.arrow.vector.Float4Vector) org.attn4j.runtime.io.ArrowTensorFile.TensorData
        .ofFloats(a, new long[] {x.length}, x).vector();
  }

  public static void main(String[] a) throws Exception {
    int n = Integer.parseInt(a[0]);
    int m = Integer.parseInt(a[1]);
    boolean causal = a[2].equals("1");
    int qb = Integer.parseInt(a[3]);
    int rounds = a.length > 4 ? Integer.parseInt(a[4]) : 10;
    int b = 1, h = 8, d = 64;
    AttentionSpec spec = AttentionSpec.builder().heads(h).headDim(d)
        .causal(causal ? Causal.BOTTOM_RIGHT : Causal.NONE).build();
    AttentionSchedule s = a.length > 5 ? new org.attn4j.schedules.CpuFlashSchedule(qb, Integer.parseInt(a[5]),
        Integer.parseInt(a[6]), Integer.parseInt(a[7])) : new org.attn4j.schedules.GenericSchedule(org.attn4j.schedules.TargetKind.CPU);
    BuildTarget t = BuildTarget.hostCpu();
    ArtifactBuilder.Built built = ArtifactBuilder.build(
        new ArtifactRequest(spec, t, s, ArtifactRequest.defaultBounds()), Path.of("target", "lab"),
        Progress.printing(System.out, "lab"));
    System.out.printf("built in %.1f s: %s%n", built.seconds(), built.directory().resolve("lowered.tir"));
    float[] q = TestData.uniform(1, b * h * n * d, -1, 1);
    float[] k = TestData.uniform(2, b * h * m * d, -1, 1);
    float[] v = TestData.uniform(3, b * h * m * d, -1, 1);
    float[] out = new float[b * h * n * d];
    try (org.apache.arrow.memory.BufferAllocator al = new org.apache.arrow.memory.RootAllocator();
        AttentionKernel kernel = AttentionKernel.load(built.directory())) {
      var qv = vec(al, q);
      var kv = vec(al, k);
      var vv = vec(al, v);
      var ov = vec(al, out);
      Dims dims = Dims.of(b, n, m);
      kernel.run(dims, qv, kv, vv, ov);
      for (int i = 0; i < out.length; i++) {
        out[i] = ov.get(i);
      }
      CoreAttentionOracle.Options o = CoreAttentionOracle.Options.builder().shape(b, h, h, n, m, d)
          .causal(causal ? org.attn4j.reference.Causal.BOTTOM_RIGHT : org.attn4j.reference.Causal.NONE).build();
      float[] ref = CoreAttentionOracle.run(o, q, k, v);
      Comparison c = Tolerances.compare(out, ref);
      System.out.printf("error: max abs %.2e max rel %.2e within FP32: %s%n", c.getMaxAbsError(), c.getMaxRelError(), c.isWithin(Tolerances.FP32));
      double[] ms = new double[rounds];
      double[] cpu = new double[rounds];
      var tmx = java.lang.management.ManagementFactory.getThreadMXBean();
      for (int r = 0; r < rounds; r++) {
        long c0 = tmx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        kernel.run(dims, qv, kv, vv, ov);
        ms[r] = (System.nanoTime() - t0) / 1e6;
        cpu[r] = (tmx.getCurrentThreadCpuTime() - c0) / 1e6;
      }
      Arrays.sort(cpu);
      Arrays.sort(ms);
      double gf = 4.0 * b * h * n * m * d / 1e9 / (causal ? 2 : 1);
      System.out.printf("n=%d m=%d causal=%s qBlock=%d: median %.2f ms best %.2f ms (%.1f GFLOP/s best); caller-thread CPU best %.2f ms%n", n, m,
          causal, qb, ms[rounds / 2], ms[0], gf / (ms[0] / 1e3), cpu[0]);
      qv.close(); kv.close(); vv.close(); ov.close();
    }
  }
}
