package org.attn4j.build;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float2Vector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.UInt2Vector;
import org.attn4j.reference.LowPrecision;
import org.attn4j.runtime.io.ArrowTensorFile;
import org.jspecify.annotations.Nullable;

/** Test helpers: Arrow vectors from and to arrays. */
final class Vectors {
  private Vectors() {}

  static Float4Vector floats(BufferAllocator a, String name, float[] data) {
    return (Float4Vector) ArrowTensorFile.TensorData.ofFloats(a, new long[] {data.length}, data).vector();
  }

  /**
   * {@code data} as float32 ({@code format} null), fp16 ({@link Float2Vector}) or bfloat16 bits
   * ({@link UInt2Vector}), rounded to nearest even.
   */
  static FieldVector of(BufferAllocator a, String name, float[] data, LowPrecision.@Nullable Format format) {
    if (format == null) {
      return floats(a, name, data);
    }
    FieldVector v = format == LowPrecision.Format.FP16 ? new Float2Vector(name, a) : new UInt2Vector(name, a);
    v.setInitialCapacity(data.length);
    v.allocateNew();
    for (int i = 0; i < data.length; i++) {
      set(v, i, format.bits(data[i]));
    }
    v.setValueCount(data.length);
    return v;
  }

  static IntVector ints(BufferAllocator a, String name, int[] data) {
    return (IntVector) ArrowTensorFile.TensorData.ofInts(a, new long[] {data.length}, data).vector();
  }

  static Float4Vector output(BufferAllocator a, String name, int count) {
    return (Float4Vector) output(a, name, count, null);
  }

  /** An output vector of {@code count} values of the format, poisoned with NaN: every element must be written. */
  static FieldVector output(BufferAllocator a, String name, int count, LowPrecision.@Nullable Format format) {
    FieldVector v = format == null ? new Float4Vector(name, a)
        : format == LowPrecision.Format.FP16 ? new Float2Vector(name, a) : new UInt2Vector(name, a);
    v.setInitialCapacity(count);
    v.allocateNew();
    for (int i = 0; i < count; i++) {
      if (v instanceof Float4Vector f) {
        f.set(i, Float.NaN);
      } else {
        set(v, i, format.bits(Float.NaN));
      }
    }
    return v;
  }

  private static void set(FieldVector v, int i, short bits) {
    if (v instanceof Float2Vector h) {
      h.set(i, bits);
    } else {
      ((UInt2Vector) v).set(i, bits);
    }
  }

  static float[] toArray(Float4Vector v) {
    return toArray(v, null);
  }

  /** The values of a vector made by {@link #of} or {@link #output}, widened to float. */
  static float[] toArray(FieldVector v, LowPrecision.@Nullable Format format) {
    float[] out = new float[v.getValueCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = format == null ? ((Float4Vector) v).get(i)
          : format.value(v.getDataBuffer().getShort(2L * i));
    }
    return out;
  }
}
