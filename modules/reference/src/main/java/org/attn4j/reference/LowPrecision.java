package org.attn4j.reference;

/**
 * IEEE fp16 and bfloat16 in plain Java (17, which has no {@code Float.floatToFloat16}): conversion to their bit
 * patterns with round-to-nearest-even, as CUDA's {@code __float2half_rn}/{@code __float2bfloat16_rn} and TVM's
 * casts do, and back (exact). Tests round their inputs with {@link #roundArray} so that an oracle sees exactly
 * what a 16-bit kernel saw ({@link Tolerances}).
 */
public final class LowPrecision {
  private LowPrecision() {}

  /** A 16-bit float format. */
  public enum Format {
    /** IEEE binary16: 5 exponent bits, 10 significand bits. */
    FP16,
    /** bfloat16: float32's 8 exponent bits, 7 significand bits. */
    BF16;

    /** The bit pattern of {@code x} rounded to nearest, ties to even (NaN stays NaN, overflow gives ±inf). */
    public short bits(float x) {
      return this == FP16 ? halfBits(x) : bfloat16Bits(x);
    }

    /** The float value of bit pattern {@code bits} (exact). */
    public float value(short bits) {
      return this == FP16 ? halfValue(bits) : bfloat16Value(bits);
    }

    /** {@code x} rounded to this format and widened back. */
    public float round(float x) {
      return value(bits(x));
    }
  }

  /** The fp16 bit pattern of {@code x}, rounded to nearest even. */
  public static short halfBits(float x) {
    int bits = Float.floatToRawIntBits(x);
    int sign = (bits >>> 16) & 0x8000;
    int abs = bits & 0x7fffffff;
    if (abs > 0x7f800000) {
      return (short) (sign | 0x7e00 | ((abs >>> 13) & 0x3ff));
    }
    if (abs >= 0x477ff000) {
      // 65520 and above round to infinity (65504 is the largest finite half)
      return (short) (sign | 0x7c00);
    }
    if (abs < 0x38800000) {
      // below 2^-14: a subnormal half, in units of 2^-24 (exact in double, so rint rounds once, ties to even)
      return (short) (sign | (int) Math.rint(Float.intBitsToFloat(abs) * 16777216.0));
    }
    int half = ((((abs >>> 23) - 127 + 15)) << 10) | ((abs >>> 13) & 0x3ff);
    int rest = abs & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
      half++;
    }
    return (short) (sign | half);
  }

  /** The value of fp16 bit pattern {@code h}. */
  public static float halfValue(short h) {
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    if (exp == 31) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  /** The bfloat16 bit pattern of {@code x}, rounded to nearest even. */
  public static short bfloat16Bits(float x) {
    int bits = Float.floatToRawIntBits(x);
    if ((bits & 0x7fffffff) > 0x7f800000) {
      return (short) ((bits >>> 16) | 0x40);
    }
    return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
  }

  /** The value of bfloat16 bit pattern {@code b}. */
  public static float bfloat16Value(short b) {
    return Float.intBitsToFloat((b & 0xffff) << 16);
  }

  /** A copy of {@code xs} with every element rounded to {@code format} and widened back. */
  public static float[] roundArray(float[] xs, Format format) {
    float[] r = new float[xs.length];
    for (int i = 0; i < xs.length; i++) {
      r[i] = format.round(xs[i]);
    }
    return r;
  }
}
