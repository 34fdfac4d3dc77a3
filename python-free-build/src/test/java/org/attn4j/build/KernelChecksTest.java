package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Device;
import org.attn4j.runtime.Dims;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every check the runtime does before a native call, each with a negative test; zero copy proven. */
class KernelChecksTest extends HostKernelFixture {
  static final int B = 1, N = 4, M = 6;

  private Float4Vector q() {
    return Vectors.floats(allocator, "q", TestData.uniform(1, B * H * N * D, -1, 1));
  }

  private Float4Vector kv(long seed) {
    return Vectors.floats(allocator, "kv", TestData.uniform(seed, B * H * M * D, -1, 1));
  }

  @Test
  void zeroCopyInputsAndOutputs() throws IOException {
    try (AttentionKernel kernel = AttentionKernel.load(artifact);
        Float4Vector q = q(); Float4Vector k = kv(2); Float4Vector v = kv(3);
        Float4Vector out = Vectors.output(allocator, "out", B * H * N * D)) {
      long outAddr = out.getDataBuffer().memoryAddress();
      kernel.run(Dims.of(B, N, M), q, k, v, out);
      float before = out.get(0);
      // mutate the Arrow input in place: the next call must see it (the kernel reads Arrow memory itself)
      for (int i = 0; i < B * H * M * D; i++) {
        v.set(i, v.get(i) * 2);
      }
      kernel.run(Dims.of(B, N, M), q, k, v, out);
      assertThat(out.getDataBuffer().memoryAddress()).isEqualTo(outAddr);
      assertThat(out.get(0)).isCloseTo(2 * before, org.assertj.core.data.Offset.offset(1e-5f));
      float[] ref = CoreAttentionOracle.run(CoreAttentionOracle.Options.builder().shape(B, H, H, N, M, D).build(),
          Vectors.toArray(q), Vectors.toArray(k), Vectors.toArray(v));
      assertThat(Tolerances.compare(Vectors.toArray(out), ref).isWithin(Tolerances.FP32)).isTrue();
    }
  }

  @Test
  void javaArraysAreCopiedAndMatch() throws IOException {
    float[] q = TestData.uniform(1, B * H * N * D, -1, 1);
    float[] k = TestData.uniform(2, B * H * M * D, -1, 1);
    float[] v = TestData.uniform(3, B * H * M * D, -1, 1);
    float[] out = new float[B * H * N * D];
    try (AttentionKernel kernel = AttentionKernel.load(artifact)) {
      kernel.run(Dims.of(B, N, M), allocator, q, k, v, out);
    }
    float[] ref = CoreAttentionOracle.run(CoreAttentionOracle.Options.builder().shape(B, H, H, N, M, D).build(), q, k, v);
    assertThat(Tolerances.compare(out, ref).isWithin(Tolerances.FP32)).isTrue();
  }

  @Test
  void badInputsAreRefusedBeforeAnyNativeCall() throws IOException {
    try (AttentionKernel kernel = AttentionKernel.load(artifact);
        Float4Vector q = q(); Float4Vector k = kv(2); Float4Vector v = kv(3);
        Float4Vector out = Vectors.output(allocator, "out", B * H * N * D);
        IntVector ints = Vectors.ints(allocator, "q", new int[B * H * N * D])) {
      Dims dims = Dims.of(B, N, M);
      assertThatThrownBy(() -> kernel.run(dims, q, k, v))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 4 tensors");
      assertThatThrownBy(() -> kernel.run(dims, ints, k, v, out))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("q: expected dtype float32, got int32");
      assertThatThrownBy(() -> kernel.run(Dims.of(B, N + 1, M), q, k, v, out))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("q: expected [b, 2, n, 8]");
      assertThatThrownBy(() -> kernel.run(Dims.of(0, N, M), q, k, v, out))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 1 <= b <= 1024");
      assertThatThrownBy(() -> kernel.run(Dims.of(Java.map("b", B, "n", N)), q, k, v, out))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dim m: expected a value");
      assertThatThrownBy(() -> kernel.run(dims, q, k, v, k))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out: output overlaps k");
      try (Float4Vector small = Vectors.output(allocator, "out", 3)) {
        assertThatThrownBy(() -> kernel.run(dims, q, k, v, small))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out: expected capacity");
      }
      Float4Vector big = Vectors.output(allocator, "big", B * H * M * D);
      try (big) {
        for (int i = 0; i < B * H * M * D; i++) {
          big.set(i, k.get(i));
        }
        big.setValueCount(B * H * M * D);
        // v and out are the same memory
        assertThatThrownBy(() -> kernel.run(dims, q, k, big, big))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out: output overlaps v");
      }
      // misaligned: an Arrow vector over a buffer slice at +4 bytes
      try (ArrowBuf raw = allocator.buffer(4L * (B * H * N * D + 16));
          Float4Vector shifted = new Float4Vector("q", allocator)) {
        ArrowBuf validity = allocator.buffer(64);
        validity.setOne(0, 64);
        ArrowBuf data = raw.slice(4, 4L * B * H * N * D);
        shifted.loadFieldBuffers(new ArrowFieldNode(B * H * N * D, 0), java.util.List.of(validity, data));
        validity.close();
        assertThatThrownBy(() -> kernel.run(dims, shifted, k, v, out))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("q: expected data aligned to 16 bytes");
      }
    }
  }

  @Test
  void closedKernelAndReleasedBuffersAreRefused() throws IOException {
    AttentionKernel kernel = AttentionKernel.load(artifact);
    try (Float4Vector q = q(); Float4Vector k = kv(2); Float4Vector v = kv(3);
        Float4Vector out = Vectors.output(allocator, "out", B * H * N * D)) {
      Float4Vector gone = kv(4);
      gone.close();
      assertThatThrownBy(() -> kernel.run(Dims.of(B, N, M), q, k, gone, out))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("v: expected [b, 2, m, 8]");
      kernel.close();
      kernel.close(); // idempotent
      assertThatThrownBy(() -> kernel.run(Dims.of(B, N, M), q, k, v, out))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("used after close");
    }
  }

  @Test
  void tamperedArtifactsAreRefusedWithBothSides(@TempDir Path tmp) throws IOException {
    Path copy = tmp.resolve("a");
    Files.createDirectories(copy);
    for (String f : new String[] {"kernel.so", "manifest.json"}) {
      Files.copy(artifact.resolve(f), copy.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    String manifest = Files.readString(copy.resolve("manifest.json"));
    // wrong device
    assertThatThrownBy(() -> AttentionKernel.load(copy, Device.cuda(0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("built for target cpu")
        .hasMessageContaining("run on cuda");
    // wrong TVM version
    Files.writeString(copy.resolve("manifest.json"), manifest.replace("\"0.18.0\"", "\"0.19.0\""));
    assertThatThrownBy(() -> AttentionKernel.load(copy))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("built with TVM 0.19.0")
        .hasMessageContaining("links TVM 0.18.0");
    // changed bytes
    Files.writeString(copy.resolve("manifest.json"), manifest);
    byte[] so = Files.readAllBytes(copy.resolve("kernel.so"));
    so[so.length / 2] ^= 1;
    Files.write(copy.resolve("kernel.so"), so);
    assertThatThrownBy(() -> AttentionKernel.load(copy))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not match the manifest");
    // missing manifest
    Files.delete(copy.resolve("manifest.json"));
    assertThatThrownBy(() -> AttentionKernel.load(copy))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected a manifest.json");
  }

  /** Tiny helper for maps of dims. */
  static final class Java {
    static java.util.Map<String, Long> map(String k1, long v1, String k2, long v2) {
      return java.util.Map.of(k1, v1, k2, v2);
    }
  }
}
