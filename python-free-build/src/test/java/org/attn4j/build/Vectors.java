package org.attn4j.build;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.attn4j.runtime.io.ArrowTensorFile;

/** Test helpers: Arrow vectors from and to arrays. */
final class Vectors {
  private Vectors() {}

  static Float4Vector floats(BufferAllocator a, String name, float[] data) {
    return (Float4Vector) ArrowTensorFile.TensorData.ofFloats(a, new long[] {data.length}, data).vector();
  }

  static IntVector ints(BufferAllocator a, String name, int[] data) {
    return (IntVector) ArrowTensorFile.TensorData.ofInts(a, new long[] {data.length}, data).vector();
  }

  static Float4Vector output(BufferAllocator a, String name, int count) {
    Float4Vector v = new Float4Vector(name, a);
    v.allocateNew(count);
    for (int i = 0; i < count; i++) {
      v.set(i, Float.NaN); // poison: every element must be written
    }
    return v;
  }

  static float[] toArray(Float4Vector v) {
    float[] out = new float[v.getValueCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = v.get(i);
    }
    return out;
  }
}
