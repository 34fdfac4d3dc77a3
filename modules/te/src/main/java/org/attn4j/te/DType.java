package org.attn4j.te;

/** Element types of tensors and expressions, with TVM's names. */
public enum DType {
  /** 32-bit IEEE float. */
  FLOAT32("float32", 4),
  /** 16-bit IEEE float (CUDA; accumulate in fp32). */
  FLOAT16("float16", 2),
  /** bfloat16 (CUDA; accumulate in fp32). */
  BFLOAT16("bfloat16", 2),
  /** 32-bit signed integer (indices, lengths). */
  INT32("int32", 4),
  /** 64-bit signed integer. */
  INT64("int64", 8),
  /** 16-bit unsigned integer (the bits of a bfloat16 held in registers). */
  UINT16("uint16", 2),
  /** 32-bit unsigned integer (GPU lane masks). */
  UINT32("uint32", 4),
  /** Boolean (predicates). */
  BOOL("bool", 1);

  private final String tvmName;
  private final int bytes;

  DType(String tvmName, int bytes) {
    this.tvmName = tvmName;
    this.bytes = bytes;
  }

  /** TVM's name of the type, e.g. {@code "float32"}. */
  public String getTvmName() {
    return tvmName;
  }

  /** Bytes per element. */
  public int getBytes() {
    return bytes;
  }

  /** Whether this is a floating-point type. */
  public boolean isFloat() {
    return this == FLOAT32 || this == FLOAT16 || this == BFLOAT16;
  }

  /**
   * The type named {@code name} by TVM.
   *
   * @throws IllegalArgumentException for a name attn4j does not support
   */
  public static DType fromTvmName(String name) {
    for (DType t : values()) {
      if (t.tvmName.equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException("dtype: expected one of float32, float16, bfloat16, int32, int64, uint16, uint32, bool; got "
        + name);
  }
}
