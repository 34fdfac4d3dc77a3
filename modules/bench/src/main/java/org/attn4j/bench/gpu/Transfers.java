package org.attn4j.bench.gpu;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.Float2Vector;
import org.apache.arrow.vector.UInt2Vector;
import org.attn4j.reference.LowPrecision;
import org.attn4j.runtime.DeviceArray;

/**
 * Host {@code float[]} to and from a {@link DeviceArray} of any float dtype. float32 goes straight through
 * {@link DeviceArray#copyFrom(float[])}; fp16 and bf16 go through the Arrow vectors the runtime takes for them
 * ({@link Float2Vector}, and {@link UInt2Vector} holding bf16 bits), rounded to nearest even on the way in and
 * widened exactly on the way out.
 */
final class Transfers {
  private Transfers() {}

  /** Copies {@code src} into {@code dst}, rounded to {@code dst}'s dtype. Borrows both. */
  static void upload(DeviceArray dst, float[] src, BufferAllocator allocator) {
    LowPrecision.Format f = Precision.of(dst.getDtype()).format();
    if (f == null) {
      dst.copyFrom(src);
      return;
    }
    try (BaseFixedWidthVector v = vector(f, "host", src.length, allocator)) {
      ArrowBuf data = v.getDataBuffer();
      for (int i = 0; i < src.length; i++) {
        data.setShort(2L * i, f.bits(src[i]));
      }
      v.getValidityBuffer().setOne(0, (src.length + 7) / 8);
      v.setValueCount(src.length);
      dst.copyFrom(v);
    }
  }

  /** {@code src}'s values widened to float; waits for the device. Borrows {@code src}. */
  static float[] download(DeviceArray src, BufferAllocator allocator) {
    LowPrecision.Format f = Precision.of(src.getDtype()).format();
    if (f == null) {
      return src.toFloatArray();
    }
    int count = Math.toIntExact(src.getCount());
    try (BaseFixedWidthVector v = vector(f, "host", count, allocator)) {
      src.copyTo(v);
      ArrowBuf data = v.getDataBuffer();
      float[] out = new float[count];
      for (int i = 0; i < count; i++) {
        out[i] = f.value(data.getShort(2L * i));
      }
      return out;
    }
  }

  private static BaseFixedWidthVector vector(LowPrecision.Format f, String name, int count,
      BufferAllocator allocator) {
    BaseFixedWidthVector v = f == LowPrecision.Format.FP16 ? new Float2Vector(name, allocator)
        : new UInt2Vector(name, allocator);
    v.allocateNew(count);
    return v;
  }
}
