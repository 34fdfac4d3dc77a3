package org.attn4j.bench.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.SplittableRandom;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.Tolerances;
import org.junit.jupiter.api.Test;

/**
 * Manifest modifiers to captures and oracle counterparts, and the row slices GpuCheck checks large calls on.
 * Pure Java (no kernel runs): the kernels themselves are checked against the same oracle by ci/gpu-check.sh.
 */
class VariantOracleTest {
  @Test
  void matchesTheGalleryModifiersAndDrawsTheirCaptures() {
    VariantOracle v = VariantOracle.of(Manifests.combined("float16"));
    assertThat(v.unmatched()).isNull();
    Map<String, float[]> c = v.draw(new Shape(2, 5, 9), new SplittableRandom(1));
    assertThat(c).containsOnlyKeys("alibi_slopes", "forget_cumsum");
    assertThat(c.get("alibi_slopes")).hasSize(4).containsExactly(0.25f, 0.0625f, 0.015625f, 0.00390625f);
    float[] f = c.get("forget_cumsum");
    assertThat(f).hasSize(2 * 4 * 9);
    for (int i = 0; i < f.length; i++) {
      float a = i % 9 == 0 ? f[i] : f[i] - f[i - 1];
      assertThat(a).as("log gate %d", i).isBetween(-0.13f, 0f);
      assertThat(a * 256).as("log gate %d in units of 2^-8", i).isEqualTo(Math.round(a * 256));
    }
    assertThat(v.fits(new Shape(1, 9, 5))).as("rotary and FoX: n <= m only").isFalse();
    assertThat(v.fits(new Shape(1, 5, 9))).isTrue();
  }

  @Test
  void unknownModifiersAndUndrawnCapturesAreUnmatchedWithTheReason() {
    assertThat(VariantOracle.of(Manifests.of("float32", "{\"name\": \"sinks\", \"parameters\": {}}",
        "{\"name\": \"sinks\", \"role\": \"input\", \"dtype\": \"float32\", \"shape\": [4]}")).unmatched())
        .startsWith("modifier sinks: no oracle counterpart in GpuCheck");
    assertThat(VariantOracle.of(Manifests.of("float32", "",
        "{\"name\": \"document_ids\", \"role\": \"input\", \"dtype\": \"int32\", \"shape\": [\"b\", \"m\"]}"))
        .unmatched()).isEqualTo("capture document_ids [b, m] is not drawn by GpuCheck");
    assertThat(VariantOracle.of(Manifests.of("float32", """
        {"name": "rope16_arange_special", "parameters": {"dim": 16, "layout": "INTERLEAVED", "base": 10000.0,
          "ntkFactor": 1.0, "interpolation": 1.0, "positions": "arange", "special": "PAIRWISE_EXEMPT",
          "specialCount": 2, "specialPosition": 0.0}}""", "")).unmatched())
        .contains("special tokens (PAIRWISE_EXEMPT) are not matched here");
  }

  @Test
  void aCallsLastRowsGiveTheOraclesRowsOfTheWholeCall() {
    for (String dtype : new String[] {"float32", "bfloat16"}) {
      VariantOracle v = VariantOracle.of(Manifests.combined(dtype));
      CallInputs in = CallInputs.draw(Manifests.combined(dtype), v, new Shape(3, 40, 70), 5);
      CallInputs.Expected whole = in.expected();
      CallInputs slice = in.lastRows(v, 8);
      assertThat(slice).isNotNull();
      assertThat(slice.shape).isEqualTo(new Shape(1, 8, 70));
      CallInputs.Expected part = slice.expected();
      Comparison c = Tolerances.compare(part.out(), in.lastRowsOf(whole.out(), 4, 40, 32, 8));
      assertThat(c.getMaxAbsError()).as(dtype + " " + c).isZero();
      assertThat(Tolerances.compare(part.lse(), in.lastRowsOf(whole.lse(), 4, 40, 1, 8)).getMaxAbsError()).isZero();
    }
  }

  @Test
  void sixteenBitInputsAreRoundedBeforeTheOracleSeesThem() {
    CallInputs in = CallInputs.draw(Manifests.combined("bfloat16"), VariantOracle.of(Manifests.combined("bfloat16")),
        new Shape(1, 3, 4), 9);
    for (float x : in.q) {
      assertThat(Precision.BF16.format().round(x)).isEqualTo(x);
    }
    assertThat(in.precision.tolerance()).isEqualTo(Tolerances.BF16);
  }
}
