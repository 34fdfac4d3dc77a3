package org.attn4j.runtime;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tvm.DLDataType;
import org.bytedeco.tvm.DLTensor;

/** DLPack dtype encoding of the manifest's dtype names. */
final class DTypes {
  private DTypes() {}

  static void fill(DLDataType t, String name) {
    switch (name) {
      case "float32" -> t.code((byte) 2).bits((byte) 32).lanes((short) 1);
      case "float16" -> t.code((byte) 2).bits((byte) 16).lanes((short) 1);
      case "bfloat16" -> t.code((byte) 4).bits((byte) 16).lanes((short) 1);
      case "int32" -> t.code((byte) 0).bits((byte) 32).lanes((short) 1);
      default -> throw new IllegalArgumentException("dtype: expected float32, float16, bfloat16 or int32, got " + name);
    }
  }

  static long bytes(String name) {
    return switch (name) {
      case "float32", "int32" -> 4;
      case "float16", "bfloat16" -> 2;
      default -> throw new IllegalArgumentException("dtype: unsupported " + name);
    };
  }

  /**
   * The dtype an Arrow vector carries: {@code Float4Vector} float32, {@code Float2Vector} float16,
   * {@code UInt2Vector} bfloat16 (Arrow has no bfloat16 type: the raw 16-bit patterns), {@code IntVector} int32;
   * otherwise the vector's class name (which matches no dtype).
   */
  static String ofVector(org.apache.arrow.vector.FieldVector v) {
    return v instanceof org.apache.arrow.vector.Float4Vector ? "float32"
        : v instanceof org.apache.arrow.vector.Float2Vector ? "float16"
        : v instanceof org.apache.arrow.vector.UInt2Vector ? "bfloat16"
        : v instanceof org.apache.arrow.vector.IntVector ? "int32" : v.getClass().getSimpleName();
  }

  /** A reusable pointer to raw memory, so that a call allocates no Java wrapper. Not thread-safe. */
  static final class RawPointer extends Pointer {
    /** This pointer, at {@code a}. */
    RawPointer at(long a) {
      this.address = a;
      return this;
    }


    /** Points {@code t} at {@code address}. */
    void point(DLTensor t, long a) {
      this.address = a;
      t.data(this);
    }
  }
}
