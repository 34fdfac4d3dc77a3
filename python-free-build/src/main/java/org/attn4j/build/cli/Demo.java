package org.attn4j.build.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.build.ArtifactBuilder;
import org.attn4j.build.ArtifactRequest;
import org.attn4j.build.BuildTarget;
import org.attn4j.build.Progress;
import org.attn4j.reference.Comparison;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;
import org.attn4j.runtime.io.ArrowTensorFile;

/**
 * The main job: builds the core attention (h = 8, d = 64, float32) for this CPU, runs it on Arrow vectors
 * (b = 1, n = m = 1024) without copies, and prints the error against the double-precision reference and the
 * time per call (median of 30 after 5 warm-up calls).
 */
final class Demo {
  private Demo() {}

  static void run(PrintStream out) throws Exception {
    int b = 1, h = 8, n = 1024, m = 1024, d = 64;
    BuildTarget target = BuildTarget.hostCpu();
    AttentionSpec spec = AttentionSpec.builder().heads(h).headDim(d).build();
    out.println("attn4j demo: core attention, " + spec.getName() + ", target " + target);
    ArtifactBuilder.Built built = ArtifactBuilder.build(ArtifactRequest.of(spec, target),
        Path.of("target", "demo-artifacts"), Progress.printing(out, target.getName()));
    out.printf("artifact %s (%s in %.1f s)%n", built.directory(), built.cacheHit() ? "from cache" : "compiled",
        built.seconds());
    float[] q = Attn4j.data(1, b * h * n * d);
    float[] k = Attn4j.data(2, b * h * m * d);
    float[] v = Attn4j.data(3, b * h * m * d);
    try (BufferAllocator alloc = new RootAllocator();
        AttentionKernel kernel = AttentionKernel.load(built.directory());
        Float4Vector qv = vector(alloc, q);
        Float4Vector kv = vector(alloc, k);
        Float4Vector vv = vector(alloc, v);
        Float4Vector ov = new Float4Vector("out", alloc)) {
      ov.allocateNew(b * h * n * d);
      Dims dims = Dims.of(b, n, m);
      for (int w = 0; w < 5; w++) {
        kernel.run(dims, qv, kv, vv, ov); // warm-up: thread pool, caches, page faults
      }
      double[] ms = new double[30];
      for (int r = 0; r < ms.length; r++) {
        long t0 = System.nanoTime();
        kernel.run(dims, qv, kv, vv, ov);
        ms[r] = (System.nanoTime() - t0) / 1e6;
      }
      Arrays.sort(ms);
      float[] got = new float[ov.getValueCount()];
      for (int i = 0; i < got.length; i++) {
        got[i] = ov.get(i);
      }
      long t0 = System.nanoTime();
      float[] ref = Attn4j.reference(b, h, n, m, d, q, k, v);
      double refMs = (System.nanoTime() - t0) / 1e6;
      Comparison c = Attn4j.compare(got, ref);
      double gflop = 4.0 * b * h * n * m * d / 1e9;
      out.printf("shape b=%d h=%d n=%d m=%d d=%d, Arrow in/out (zero copy), %d TVM thread(s) (TVM_NUM_THREADS"
          + " chooses; by default TVM uses half the x86 vCPUs)%n", b, h, n, m, d,
          org.attn4j.runtime.Threads.count());
      out.printf("max |err| vs reference %.2e (max rel %.2e)%n", c.getMaxAbsError(), c.getMaxRelError());
      out.printf("time per call: median %.2f ms, best %.2f ms (%.1f GFLOP/s); double-precision reference %.0f ms%n",
          ms[ms.length / 2], ms[0], gflop / (ms[ms.length / 2] / 1e3), refMs);
    }
  }

  private static Float4Vector vector(BufferAllocator a, float[] data) {
    return (Float4Vector) ArrowTensorFile.TensorData.ofFloats(a, new long[] {data.length}, data).vector();
  }
}
