package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.arrow.vector.Float4Vector;
import org.attn4j.reference.TestData;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Device;
import org.attn4j.runtime.DeviceArray;
import org.attn4j.runtime.Dims;
import org.attn4j.tvm.TvmNatives;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tvm.DLTensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DLTensor / DeviceArray entry point on the CPU: same results as the Arrow path, and every check of the Arrow
 * path (count, rank, dims and bounds, dtype, device, strides, byte_offset alignment, overlap, closed kernel and
 * arrays) refused before any native call.
 */
class NdArrayKernelTest extends HostKernelFixture {
  static final int B = 2, N = 5, M = 7;
  static final Device CPU = Device.cpu();
  long liveBefore;

  @BeforeEach
  void countLiveArrays() {
    liveBefore = DeviceArray.liveCount();
  }

  @AfterEach
  void checkArraysClosed() {
    assertThat(DeviceArray.liveCount()).as("device arrays still open").isEqualTo(liveBefore);
  }

  private static DeviceArray q() {
    return DeviceArray.copyOf(CPU, new long[] {B, H, N, D}, TestData.uniform(1, B * H * N * D, -1, 1));
  }

  private static DeviceArray kv(long seed) {
    return DeviceArray.copyOf(CPU, new long[] {B, H, M, D}, TestData.uniform(seed, B * H * M * D, -1, 1));
  }

  private static DeviceArray out() {
    DeviceArray o = DeviceArray.allocate(CPU, "float32", B, H, N, D);
    float[] nan = new float[B * H * N * D];
    java.util.Arrays.fill(nan, Float.NaN); // poison: every element must be written
    o.copyFrom(nan);
    return o;
  }

  @Test
  void deviceArraysGiveTheArrowPathsResult() throws IOException {
    try (AttentionKernel kernel = AttentionKernel.load(artifact);
        DeviceArray q = q(); DeviceArray k = kv(2); DeviceArray v = kv(3); DeviceArray out = out();
        Float4Vector qa = Vectors.floats(allocator, "q", q.toFloatArray());
        Float4Vector ka = Vectors.floats(allocator, "k", k.toFloatArray());
        Float4Vector va = Vectors.floats(allocator, "v", v.toFloatArray());
        Float4Vector outA = Vectors.output(allocator, "out", B * H * N * D);
        Float4Vector outB = Vectors.output(allocator, "out", B * H * N * D)) {
      kernel.run(Dims.of(B, N, M), q, k, v, out);
      kernel.run(Dims.of(B, N, M), qa, ka, va, outA);
      assertThat(out.toFloatArray()).containsExactly(Vectors.toArray(outA));
      // Arrow -> DeviceArray -> kernel -> Arrow, the route a CUDA kernel's data takes
      q.copyFrom(qa);
      kernel.run(Dims.of(B, N, M), q.getTensor(), k.getTensor(), v.getTensor(), out.getTensor());
      out.copyTo(outB);
      assertThat(Vectors.toArray(outB)).containsExactly(Vectors.toArray(outA));
    }
  }

  /** A hand-made DLTensor over {@code base}'s memory; every field can be set wrong. */
  private static final class View implements AutoCloseable {
    final DLTensor t = new DLTensor();
    final LongPointer shape;
    LongPointer strides;

    View(DeviceArray base, long... dims) {
      shape = new LongPointer(dims);
      t.ndim(dims.length).shape(shape).strides(null).byte_offset(0).data(base.getTensor().data());
      t.dtype().code((byte) 2).bits((byte) 32).lanes((short) 1);
      t.device().device_type(1).device_id(0);
    }

    View strides(long... s) {
      strides = new LongPointer(s);
      t.strides(strides);
      return this;
    }

    @Override
    public void close() {
      t.close();
      shape.close();
      if (strides != null) {
        strides.close();
      }
    }
  }

  @Test
  void everyCheckOfTheArrowPathRefusesBadTensors() throws IOException {
    try (AttentionKernel kernel = AttentionKernel.load(artifact);
        DeviceArray q = q(); DeviceArray k = kv(2); DeviceArray v = kv(3); DeviceArray out = out();
        DeviceArray ints = DeviceArray.allocate(CPU, "int32", B, H, N, D);
        DeviceArray flat = DeviceArray.allocate(CPU, "float32", B * H, N, D);
        View onGpu = new View(q, B, H, N, D); View strided = new View(q, B, H, N, D);
        View shifted = new View(q, B, H, N, D); View compact = new View(q, B, H, N, D);
        View nulled = new View(q, B, H, N, D)) {
      Dims dims = Dims.of(B, N, M);
      DLTensor qt = q.getTensor(), kt = k.getTensor(), vt = v.getTensor(), ot = out.getTensor();
      assertThatThrownBy(() -> kernel.run(dims, q, k, v))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 4 tensors [q, k, v, out], got 3");
      assertThatThrownBy(() -> kernel.run(dims, flat, k, v, out))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("q: expected [b, 2, n, 8] = [2, 2, 5, 8], got [4, 5, 8]");
      assertThatThrownBy(() -> kernel.run(Dims.of(B, N + 1, M), q, k, v, out))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got [2, 2, 5, 8]");
      assertThatThrownBy(() -> kernel.run(Dims.of(0, N, M), q, k, v, out))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 1 <= b <= 1024");
      assertThatThrownBy(() -> kernel.run(Dims.of(java.util.Map.of("b", (long) B, "n", (long) N)), q, k, v, out))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dim m: expected a value");
      assertThatThrownBy(() -> kernel.run(dims, ints, k, v, out))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("q: expected dtype float32, got DLPack (code 0");
      onGpu.t.device().device_type(2);
      assertThatThrownBy(() -> kernel.run(dims, onGpu.t, kt, vt, ot))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("q: expected memory on cpu:0 (the kernel's device), got DLPack device (type 2, id 0)");
      strided.strides(N * D, B * N * D, D, 1); // [b h n d] memory viewed as [h b n d]
      assertThatThrownBy(() -> kernel.run(dims, strided.t, kt, vt, ot))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("q: expected compact row-major strides");
      compact.strides(H * N * D, N * D, D, 1);
      kernel.run(dims, compact.t, kt, vt, ot); // explicit compact strides are fine
      shifted.t.byte_offset(4);
      assertThatThrownBy(() -> kernel.run(dims, shifted.t, kt, vt, ot))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("q: expected data aligned to 16 bytes");
      nulled.t.data(new Pointer());
      assertThatThrownBy(() -> kernel.run(dims, nulled.t, kt, vt, ot))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("q: its data pointer is null");
      assertThatThrownBy(() -> kernel.run(dims, qt, kt, vt, null))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out: expected a DLTensor, got null");
      try (View vAsOut = new View(v, B, H, N, D)) { // out written over v's memory
        assertThatThrownBy(() -> kernel.run(dims, qt, kt, vt, vAsOut.t))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out: output overlaps v");
      }
      DeviceArray gone = kv(4);
      gone.close();
      assertThatThrownBy(() -> kernel.run(dims, q, k, gone, out))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("used after close");
      kernel.close();
      assertThatThrownBy(() -> kernel.run(dims, q, k, v, out))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("used after close");
    }
  }

  @Test
  void cudaKernelRefusesArrowHostMemory(@TempDir Path tmp) throws IOException {
    // Loading a module into the CUDA runtime touches no GPU; the refusal comes before any native call. A copy of
    // the CPU artifact relabelled as CUDA stands in for a CUDA artifact (its library hash is unchanged).
    assumeTrue(Toolchain.hasNvcc(), "nvcc not found: TVM's GPU build is not loaded in this process");
    TvmNatives.ensureCompiler(true);
    Path copy = Files.createDirectories(tmp.resolve("a"));
    Files.copy(artifact.resolve("kernel.so"), copy.resolve("kernel.so"));
    Files.writeString(copy.resolve("manifest.json"),
        Files.readString(artifact.resolve("manifest.json")).replaceFirst("\"kind\": \"cpu\"", "\"kind\": \"cuda\""));
    try (AttentionKernel kernel = AttentionKernel.load(copy, Device.cuda(0));
        Float4Vector q = Vectors.floats(allocator, "q", new float[B * H * N * D])) {
      assertThatThrownBy(() -> kernel.run(Dims.of(B, N, M), q, q, q, q))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("q: Arrow vectors are host memory and this kernel runs on cuda:0")
          .hasMessageContaining("run(Dims, DeviceArray...)");
    }
  }
}
