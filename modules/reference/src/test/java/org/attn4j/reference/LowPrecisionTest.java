package org.attn4j.reference;

import static org.assertj.core.api.Assertions.assertThat;

import org.attn4j.reference.LowPrecision.Format;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The 16-bit conversions: every pattern round-trips, and every midpoint rounds to the even neighbour. */
class LowPrecisionTest {
  @ParameterizedTest
  @EnumSource(Format.class)
  void everyFinitePatternRoundTrips(Format f) {
    for (int p = 0; p < 0x10000; p++) {
      short bits = (short) p;
      float x = f.value(bits);
      if (Float.isNaN(x)) {
        assertThat(Float.isNaN(f.value(f.bits(x)))).as("NaN %04x", p).isTrue();
        continue;
      }
      assertThat(f.bits(x)).as("pattern %04x = %s", p, x).isEqualTo(bits);
    }
  }

  /**
   * Between two neighbours a < b of the same sign (both finite), the midpoint goes to the one whose last bit is 0,
   * and anything strictly between goes to the nearer one.
   */
  @ParameterizedTest
  @EnumSource(Format.class)
  void midpointsRoundToEven(Format f) {
    int limit = f == Format.FP16 ? 0x7bff : 0x7f7f;
    for (int p = 0; p < limit; p++) {
      for (int sign : new int[] {0, 0x8000}) {
        short lo = (short) (p | sign);
        short hi = (short) ((p + 1) | sign);
        float a = f.value(lo);
        float b = f.value(hi);
        float mid = (float) (((double) a + b) / 2);
        assertThat((double) mid).as("midpoint exact").isEqualTo(((double) a + b) / 2);
        short even = (p & 1) == 0 ? lo : hi;
        assertThat(f.bits(mid)).as("mid of %04x", p).isEqualTo(even);
        assertThat(f.bits(Math.nextAfter(mid, (double) a))).isEqualTo(lo);
        assertThat(f.bits(Math.nextAfter(mid, (double) b))).isEqualTo(hi);
      }
    }
  }

  @Test
  void formatLimits() {
    // IEEE binary16: 1 = 0x3c00, largest finite 65504 = 0x7bff, smallest subnormal 2^-24 = 0x0001
    assertThat(LowPrecision.halfBits(1f)).isEqualTo((short) 0x3c00);
    assertThat(LowPrecision.halfBits(65504f)).isEqualTo((short) 0x7bff);
    assertThat(LowPrecision.halfBits(65519.99f)).isEqualTo((short) 0x7bff);
    assertThat(LowPrecision.halfBits(65520f)).isEqualTo((short) 0x7c00);
    assertThat(LowPrecision.halfBits(-1e9f)).isEqualTo((short) 0xfc00);
    assertThat(LowPrecision.halfBits(0x1p-24f)).isEqualTo((short) 0x0001);
    assertThat(LowPrecision.halfBits(0x1p-26f)).isEqualTo((short) 0);
    // bfloat16 keeps float32's range: the top half of the float's bits when nothing is lost
    assertThat(LowPrecision.bfloat16Bits(1f)).isEqualTo((short) 0x3f80);
    assertThat(LowPrecision.bfloat16Bits(Float.MAX_VALUE)).isEqualTo((short) 0x7f80);
    assertThat(LowPrecision.bfloat16Value((short) 0x7f7f)).isEqualTo(Float.intBitsToFloat(0x7f7f0000));
  }
}
