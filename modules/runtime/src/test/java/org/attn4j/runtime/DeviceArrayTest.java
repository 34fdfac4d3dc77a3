package org.attn4j.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.attn4j.tvm.TvmNatives;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Host-side DeviceArray: allocation, alignment, copies from and to Java arrays and Arrow, lifecycle, leaks. */
class DeviceArrayTest {
  private static final Device CPU = Device.cpu();
  private BufferAllocator allocator;
  private long liveBefore;

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
    liveBefore = DeviceArray.liveCount();
  }

  @AfterEach
  void tearDown() {
    allocator.close(); // fails on any leaked Arrow buffer
    assertThat(DeviceArray.liveCount()).as("device arrays still open").isEqualTo(liveBefore);
  }

  @Test
  void floatsRoundTripAndDataIsAligned() {
    float[] data = {1, -2, 3.5f, 4, 5, 6};
    try (DeviceArray a = DeviceArray.copyOf(CPU, new long[] {2, 3}, data)) {
      assertThat(a.getShape()).containsExactly(2, 3);
      assertThat(a.getCount()).isEqualTo(6);
      assertThat(a.getByteSize()).isEqualTo(24);
      assertThat(a.getTensor().data().address() % 64).isZero();
      assertThat(a.getTensor().device().device_type()).isEqualTo(1);
      assertThat(a.toFloatArray()).containsExactly(data);
      DeviceArray.synchronize(CPU);
    }
    assertThat(DeviceArray.exists(CPU)).isTrue();
    assertThat(TvmNatives.loadedFlavor()).isEqualTo(TvmNatives.Flavor.RUNTIME);
  }

  @Test
  void arrowRoundTripSetsCountAndValidity() {
    try (Float4Vector in = new Float4Vector("q", allocator); Float4Vector out = new Float4Vector("out", allocator);
        DeviceArray a = DeviceArray.allocate(CPU, "float32", 2, 2)) {
      in.allocateNew(4);
      for (int i = 0; i < 4; i++) {
        in.set(i, i * 1.5f);
      }
      in.setValueCount(4);
      out.allocateNew(4);
      a.copyFrom(in);
      a.copyTo(out);
      assertThat(out.getValueCount()).isEqualTo(4);
      assertThat(out.getNullCount()).isZero();
      assertThat(out.get(3)).isEqualTo(4.5f);
    }
    try (IntVector lengths = new IntVector("key_lengths", allocator);
        DeviceArray a = DeviceArray.allocate(CPU, "int32", 3)) {
      lengths.allocateNew(3);
      lengths.set(0, 7);
      lengths.set(1, 8);
      lengths.set(2, 9);
      lengths.setValueCount(3);
      a.copyFrom(lengths);
      a.copyFrom(new int[] {1, 2, 3});
    }
  }

  @Test
  void mismatchesAreRefused() {
    try (DeviceArray a = DeviceArray.allocate(CPU, "float32", 4); Float4Vector three = new Float4Vector("x", allocator);
        IntVector ints = new IntVector("y", allocator)) {
      assertThatThrownBy(() -> a.copyFrom(new float[3]))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 4 values of float32");
      assertThatThrownBy(() -> a.copyFrom(new int[4]))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got an array of 4 int32");
      assertThatThrownBy(() -> a.copyTo(new float[5]))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 4 values");
      three.allocateNew(3);
      three.setValueCount(3);
      assertThatThrownBy(() -> a.copyFrom(three))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x: expected 4 values without nulls");
      try (Float4Vector empty = new Float4Vector("e", allocator)) {
        assertThatThrownBy(() -> a.copyTo(empty))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("e: expected capacity for 4");
      }
      ints.allocateNew(4);
      assertThatThrownBy(() -> a.copyTo(ints))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("y: expected a vector of float32");
    }
    assertThatThrownBy(() -> DeviceArray.allocate(CPU, "float64", 4))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dtype");
    assertThatThrownBy(() -> DeviceArray.allocate(CPU, "float32", 2, -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected dims >= 0");
  }

  @Test
  void useAfterCloseIsRefusedAndCloseIsIdempotent() {
    DeviceArray a = DeviceArray.allocate(CPU, "float32", 8);
    a.close();
    a.close();
    assertThat(a.isClosed()).isTrue();
    assertThatThrownBy(a::getTensor).isInstanceOf(IllegalStateException.class).hasMessageContaining("after close");
    assertThatThrownBy(() -> a.copyFrom(new float[8])).isInstanceOf(IllegalStateException.class);
  }
}
