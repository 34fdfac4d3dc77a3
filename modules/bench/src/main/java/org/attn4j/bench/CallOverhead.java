package org.attn4j.bench;

import java.nio.file.Path;
import java.util.Arrays;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.build.ArtifactBuilder;
import org.attn4j.build.ArtifactRequest;
import org.attn4j.build.BuildTarget;
import org.attn4j.build.Progress;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;
import org.attn4j.runtime.io.ArrowTensorFile;
import org.attn4j.tvm.TvmFunction;
import org.attn4j.tvm.TvmModule;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tvm.DLTensor;

/**
 * What the runtime's checked call costs over a bare {@code TVMFuncCall} of the same kernel on the same buffers
 * (issue 4's goal: at most 2 µs). A tiny artifact (h = 1, d = 8, n = m = 1) keeps the kernel itself short;
 * both paths are timed in interleaved rounds of {@code calls} calls and the medians of the per-call means are
 * compared. Usage: {@code CallOverhead [rounds] [calls]}.
 */
public final class CallOverhead {
  private CallOverhead() {}

  /** Per-call medians in nanoseconds: the runtime's checked {@code run} and the bare packed call. */
  public record Result(double checkedNs, double bareNs) {
    /** The runtime's cost over the bare call. */
    public double overheadNs() {
      return checkedNs - bareNs;
    }
  }

  /** Runs the probe. */
  public static void main(String[] args) throws Exception {
    Result r = measure(args.length > 0 ? Integer.parseInt(args[0]) : 7,
        args.length > 1 ? Integer.parseInt(args[1]) : 100_000);
    System.out.printf("call overhead (h=1 d=8 n=m=1, Arrow zero copy): checked run %.0f ns, bare TVMFuncCall %.0f ns,"
        + " overhead %.0f ns per call%n", r.checkedNs(), r.bareNs(), r.overheadNs());
  }

  /** Measures {@code rounds} interleaved rounds of {@code calls} calls per path. */
  public static Result measure(int rounds, int calls) throws Exception {
    AttentionSpec spec = AttentionSpec.builder().heads(1).headDim(8).build();
    Path dir = ArtifactBuilder.buildCached(ArtifactRequest.of(spec, BuildTarget.hostCpu()), Progress.silent());
    long[][] shapes = {{1, 1, 1, 8}, {1, 1, 1, 8}, {1, 1, 1, 8}, {1, 1, 1, 8}};
    try (BufferAllocator alloc = new RootAllocator();
        FieldVector q = vector(alloc, 0.5f);
        FieldVector k = vector(alloc, 0.25f);
        FieldVector v = vector(alloc, 1f);
        FieldVector out = vector(alloc, 0f);
        AttentionKernel kernel = AttentionKernel.load(dir);
        TvmModule module = TvmModule.load(dir.resolve("kernel.so"));
        TvmFunction fn = module.getFunction(ArtifactBuilder.FUNCTION);
        TvmFunction.Frame frame = fn.newFrame(4)) {
      FieldVector[] vs = {q, k, v, out};
      DLTensor[] tensors = new DLTensor[4];
      LongPointer[] shapePointers = new LongPointer[4]; // held here: JavaCPP frees what nothing references
      for (int i = 0; i < 4; i++) {
        shapePointers[i] = new LongPointer(shapes[i]);
        tensors[i] = bind(new DLTensor(), vs[i], shapePointers[i], shapes[i].length);
        frame.setTensor(i, tensors[i]);
      }
      Dims dims = Dims.of(1, 1, 1);
      double[] checked = new double[rounds];
      double[] bare = new double[rounds];
      for (int r = -1; r < rounds; r++) { // round -1 warms both paths up
        long t0 = System.nanoTime();
        for (int c = 0; c < calls; c++) {
          kernel.run(dims, q, k, v, out);
        }
        long t1 = System.nanoTime();
        for (int c = 0; c < calls; c++) {
          frame.invoke();
        }
        long t2 = System.nanoTime();
        if (r >= 0) {
          checked[r] = (t1 - t0) / (double) calls;
          bare[r] = (t2 - t1) / (double) calls;
        }
      }
      Arrays.sort(checked);
      Arrays.sort(bare);
      for (LongPointer p : shapePointers) {
        p.close();
      }
      java.lang.ref.Reference.reachabilityFence(tensors); // their native structs back the frame's arguments
      return new Result(checked[rounds / 2], bare[rounds / 2]);
    }
  }

  private static FieldVector vector(BufferAllocator a, float value) {
    float[] x = new float[8];
    Arrays.fill(x, value);
    return ArrowTensorFile.TensorData.ofFloats(a, new long[] {x.length}, x).vector();
  }

  /** A float32 CPU DLTensor over {@code vector}'s data buffer. */
  private static DLTensor bind(DLTensor t, FieldVector vector, LongPointer shape, int rank) {
    t.data(new Pointer() {
      {
        address = vector.getDataBufferAddress();
      }
    });
    t.ndim(rank);
    t.shape(shape);
    t.strides(null);
    t.byte_offset(0);
    t.device().device_type(1).device_id(0);
    t.dtype().code((byte) 2).bits((byte) 32).lanes((short) 1);
    return t;
  }
}
