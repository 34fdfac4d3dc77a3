package org.attn4j.build;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;

/** Test helpers: Arrow vectors from and to arrays. */
final class Vectors {
  private Vectors() {}

  static Float4Vector floats(BufferAllocator a, String name, float[] data) {
    Float4Vector v = new Float4Vector(name, a);
    v.allocateNew(data.length);
    for (int i = 0; i < data.length; i++) {
      v.set(i, data[i]);
    }
    v.setValueCount(data.length);
    return v;
  }

  static IntVector ints(BufferAllocator a, String name, int[] data) {
    IntVector v = new IntVector(name, a);
    v.allocateNew(data.length);
    for (int i = 0; i < data.length; i++) {
      v.set(i, data[i]);
    }
    v.setValueCount(data.length);
    return v;
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
