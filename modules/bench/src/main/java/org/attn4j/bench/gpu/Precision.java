package org.attn4j.bench.gpu;

import org.attn4j.reference.LowPrecision;
import org.attn4j.reference.Tolerances;
import org.jspecify.annotations.Nullable;

/**
 * A manifest dtype as the check sees it: the 16-bit format that inputs are rounded to before both the kernel and
 * the oracle see them, and the row of {@link Tolerances} the outputs are held to.
 */
enum Precision {
  /** float32: inputs as drawn, {@link Tolerances#FP32}. */
  FP32("float32", null, Tolerances.FP32),
  /** IEEE fp16: inputs rounded to fp16, {@link Tolerances#FP16}. */
  FP16("float16", LowPrecision.Format.FP16, Tolerances.FP16),
  /** bfloat16: inputs rounded to bf16, {@link Tolerances#BF16}. */
  BF16("bfloat16", LowPrecision.Format.BF16, Tolerances.BF16);

  private final String dtype;
  private final LowPrecision.@Nullable Format format;
  private final Tolerances tolerance;

  Precision(String dtype, LowPrecision.@Nullable Format format, Tolerances tolerance) {
    this.dtype = dtype;
    this.format = format;
    this.tolerance = tolerance;
  }

  /**
   * The precision of a manifest dtype name.
   *
   * @throws IllegalArgumentException for a dtype that is not a float type this check handles
   */
  static Precision of(String dtype) {
    for (Precision p : values()) {
      if (p.dtype.equals(dtype)) {
        return p;
      }
    }
    throw new IllegalArgumentException("dtype: expected float32, float16 or bfloat16, got " + dtype);
  }

  /** The manifest's dtype name, e.g. {@code bfloat16}. */
  String dtype() {
    return dtype;
  }

  /** The 16-bit format, or null for float32. */
  LowPrecision.@Nullable Format format() {
    return format;
  }

  /** The tolerance row of this dtype. */
  Tolerances tolerance() {
    return tolerance;
  }

  /** {@code xs} rounded to this dtype in place (nothing to do for float32); returns {@code xs}. */
  float[] roundInPlace(float[] xs) {
    if (format != null) {
      for (int i = 0; i < xs.length; i++) {
        xs[i] = format.round(xs[i]);
      }
    }
    return xs;
  }
}
