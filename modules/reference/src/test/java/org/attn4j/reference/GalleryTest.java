package org.attn4j.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.attn4j.reference.CoreAttentionOracle.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The FlexAttention gallery and the normalisers against their definitions. */
class GalleryTest {
  private final Inputs in = Inputs.of(2, 2, 2, 6, 6, 4, Causal.BOTTOM_RIGHT, 60);
  private final Inputs bidirectional = Inputs.of(2, 2, 1, 6, 6, 4, Causal.NONE, 61);

  @Test
  void alibiSlopesAreXTransformers() {
    assertThat(Gallery.alibiSlopes(8)).containsExactly(new double[] {0.5, 0.25, 0.125, 0.0625, 1.0 / 32, 1.0 / 64,
        1.0 / 128, 1.0 / 256}, within(0.0));
    // 6 heads: the 4 slopes of 4 heads (2^-2 ...), then every other slope of 8 heads (2^-1, 2^-3).
    assertThat(Gallery.alibiSlopes(6)).containsExactly(new double[] {0.25, 1.0 / 16, 1.0 / 64, 1.0 / 256, 0.5,
        0.125}, within(1e-15));
  }

  /** The ALiBi term of (i, j) is -slope_h |i - j|, checked on the logits. */
  @Test
  void alibiSubtractsSlopeTimesDistance() {
    double[] plain = bidirectional.scores(bidirectional.spec());
    double[] biased = bidirectional.scores(bidirectional.spec().scoreMod(Gallery.alibi(2)));
    for (int idx = 0; idx < plain.length; idx++) {
      int i = idx / 6 % 6;
      int j = idx % 6;
      double slope = idx / 36 % 2 == 0 ? 0.0625 : 1.0 / 256;
      assertThat(biased[idx] - plain[idx]).isCloseTo(-slope * Math.abs(i - j), within(1e-12));
    }
  }

  @Test
  void softCapAppliesCTanhAfterTheScoreTerms() {
    double cap = 0.3;
    double[] plain = in.scores(in.spec().scoreMod((s, b, h, i, j) -> 2 * s));
    double[] capped = in.scores(in.spec().scoreMod((s, b, h, i, j) -> 2 * s).softCap(cap));
    for (int idx = 0; idx < plain.length; idx++) {
      double expected = Double.isInfinite(plain[idx]) ? plain[idx] : cap * Math.tanh(plain[idx] / cap);
      assertThat(capped[idx]).isEqualTo(expected);
    }
    Inputs.assertClose(in.run(in.spec().softCap(1e7)), in.run(in.spec()), 1e-7);
    assertThat(in.run(in.spec().softCap(cap))).isNotEqualTo(in.run(in.spec()));
  }

  @Test
  void slidingWindowCoveringAllKeysIsNoWindow() {
    assertThat(in.run(in.spec().maskMod(Gallery.slidingWindow(6, 6)))).containsExactly(in.run(in.spec()));
    assertThat(in.run(in.spec().maskMod(Gallery.slidingWindow(2, 0)))).isNotEqualTo(in.run(in.spec()));
  }

  /** Window (1, 2) without causal: row i sees exactly keys i-1 .. i+2 within [0, m). */
  @Test
  void slidingWindowMasksOutsideTheBand() {
    double[] s = bidirectional.scores(bidirectional.spec().maskMod(Gallery.slidingWindow(1, 2)));
    for (int idx = 0; idx < s.length; idx++) {
      int i = idx / 6 % 6;
      int j = idx % 6;
      assertThat(Double.isFinite(s[idx])).as("i=%d j=%d", i, j).isEqualTo(j >= i - 1 && j <= i + 2);
    }
  }

  @Test
  void oneDocumentIsNoMask() {
    assertThat(in.run(in.spec().maskMod(Gallery.documents(new int[12], 6)))).containsExactly(in.run(in.spec()));
  }

  /** Two packed documents [0 0 0 1 1 1] in batch row 0 equal running each document on its own. */
  @Test
  void packedDocumentsEqualSeparateRuns() {
    Inputs one = Inputs.of(1, 1, 1, 6, 6, 4, Causal.BOTTOM_RIGHT, 62);
    float[] packed = one.run(one.spec().maskMod(Gallery.documents(new int[] {0, 0, 0, 1, 1, 1}, 6)));
    Options half = Options.builder().shape(1, 1, 1, 3, 3, 4).causal(Causal.BOTTOM_RIGHT).build();
    for (int doc = 0; doc < 2; doc++) {
      float[] alone = CoreAttentionOracle.run(half, Slices.rows(one.q, 1, 1, 6, 4, 3 * doc, 3 * doc + 3),
          Slices.rows(one.k, 1, 1, 6, 4, 3 * doc, 3 * doc + 3), Slices.rows(one.v, 1, 1, 6, 4, 3 * doc, 3 * doc + 3));
      assertThat(Slices.rows(packed, 1, 1, 6, 4, 3 * doc, 3 * doc + 3)).containsExactly(alone);
    }
  }

  @Test
  void prefixLmWithEmptyPrefixIsCausal() {
    float[] prefix0 = bidirectional.run(bidirectional.spec().maskMod(Gallery.prefixLm(0)));
    Options causal = bidirectional.o.toBuilder().causal(Causal.BOTTOM_RIGHT).build();

    assertThat(prefix0).containsExactly(AttentionOracle.run(AttentionOracle.Spec.builder(causal).build(),
        bidirectional.q, bidirectional.k, bidirectional.v));
    assertThat(bidirectional.run(bidirectional.spec().maskMod(Gallery.prefixLm(3)))).isNotEqualTo(prefix0);
  }

  /**
   * T5 buckets for x-transformers' defaults (32 buckets, max distance 128), from the formula by hand: bidirectional
   * halves to 16 with 8 exact, so a distance n >= 8 back goes to 8 + floor(8 log(n/8) / log 16) = 8 + floor(2
   * log2(n/8)), capped at 15, and keys ahead add 16; causal keeps 32 with 16 exact: 16 + floor(16 log(n/16) /
   * log 8), capped at 31, and keys ahead go to bucket 0.
   */
  @ParameterizedTest(name = "rel {0} {1} -> {2}")
  @CsvSource({"0, NONE, 0", "-7, NONE, 7", "-8, NONE, 8", "-11, NONE, 8", "-12, NONE, 9", "-16, NONE, 10",
      "-23, NONE, 11", "-32, NONE, 12", "-64, NONE, 14", "-90, NONE, 14", "-91, NONE, 15", "-1000, NONE, 15",
      "1, NONE, 17", "16, NONE, 26", "1000, NONE, 31",
      "0, BOTTOM_RIGHT, 0", "5, BOTTOM_RIGHT, 0", "-15, BOTTOM_RIGHT, 15", "-16, BOTTOM_RIGHT, 16",
      "-23, BOTTOM_RIGHT, 18", "-32, BOTTOM_RIGHT, 21", "-64, BOTTOM_RIGHT, 26", "-127, BOTTOM_RIGHT, 31",
      "-5000, BOTTOM_RIGHT, 31"})
  void t5BucketsByHand(int relative, Causal causal, int bucket) {
    assertThat(Gallery.t5Bucket(relative, causal, 32, 128)).isEqualTo(bucket);
  }

  @Test
  void t5BiasAddsScaledTableEntryOfTheBucket() {
    float[] table = TestData.uniform(63, 32 * 2, -1, 1);
    double[] plain = bidirectional.scores(bidirectional.spec());
    double[] biased = bidirectional.scores(bidirectional.spec()
        .scoreMod(Gallery.t5Bias(table, Causal.NONE, 32, 128, 2)));
    for (int idx = 0; idx < plain.length; idx++) {
      int i = idx / 6 % 6;
      int j = idx % 6;
      int bucket = j >= i ? (j == i ? 0 : 16 + (j - i)) : i - j;
      assertThat(biased[idx] - plain[idx]).isCloseTo(2.0 * table[bucket * 2 + idx / 36 % 2], within(1e-12));
    }
  }

  @Test
  void sinkOfMinusInfinityIsSoftmax() {
    float[] lse = new float[in.o.getLseSize()];
    float[] plainLse = new float[in.o.getLseSize()];
    float[] out = new float[in.o.getQSize()];
    float[] plain = new float[in.o.getQSize()];
    AttentionOracle.run(in.spec().normalizer(Normalizer.sinks(new float[] {Float.NEGATIVE_INFINITY,
        Float.NEGATIVE_INFINITY})).build(), in.q, in.k, in.v, out, lse);
    AttentionOracle.run(in.spec().build(), in.q, in.k, in.v, plain, plainLse);

    assertThat(out).containsExactly(plain);
    assertThat(lse).containsExactly(plainLse);
  }

  /**
   * 1x1 by hand: one key with logit 0 and value 6, a sink σ: P = 1 / (e^σ + 1); σ = 0 gives out = 3 and
   * lse = log 2; σ = log 2 gives P = 1/3, out = 2, lse = log 3.
   */
  @Test
  void sinkByHand() {
    Options o = Options.builder().shape(1, 1, 1, 1, 1, 1).build();
    float[] out = new float[1];
    float[] lse = new float[1];
    AttentionOracle.run(AttentionOracle.Spec.builder(o).normalizer(Normalizer.softmaxPlusOne()).build(),
        new float[] {5}, new float[] {0}, new float[] {6}, out, lse);
    assertThat(out[0]).isEqualTo(3f);
    assertThat((double) lse[0]).isCloseTo(Math.log(2), within(1e-7));

    AttentionOracle.run(AttentionOracle.Spec.builder(o).normalizer(Normalizer.sinks(new float[] {(float) Math.log(2)}))
        .build(), new float[] {5}, new float[] {0}, new float[] {6}, out, lse);
    assertThat(out[0]).isCloseTo(2f, within(1e-6f));
    assertThat((double) lse[0]).isCloseTo(Math.log(3), within(1e-6));
  }

  /** softmax+1 equals appending a zero key and value that every row sees (x-transformers' add_zero_kv). */
  @Test
  void softmaxPlusOneIsAZeroKeyValue() {
    float[] zeros = new float[2 * 4];

    assertThat(in.run(in.spec().normalizer(Normalizer.softmaxPlusOne())))
        .containsExactly(in.run(in.spec().memoryKv(MemoryKv.of(zeros, zeros, 1))));
  }

  /** Sigmoid attention, elementwise from its definition: out_i = sum_{j <= i} sigmoid(τ q_i · k_j + β) v_j. */
  @Test
  void sigmoidAttentionByDefinition() {
    Inputs one = Inputs.of(1, 1, 1, 3, 3, 2, Causal.BOTTOM_RIGHT, 64);
    double beta = -Math.log(3);
    float[] out = one.run(one.spec().normalizer(Normalizer.sigmoid(beta)));
    double tau = 1 / Math.sqrt(2);
    for (int i = 0; i < 3; i++) {
      for (int c = 0; c < 2; c++) {
        double expected = 0;
        for (int j = 0; j <= i; j++) {
          double s = tau * ((double) one.q[2 * i] * one.k[2 * j] + (double) one.q[2 * i + 1] * one.k[2 * j + 1]);
          expected += one.v[2 * j + c] / (1 + Math.exp(-(s + beta)));
        }
        assertThat((double) out[2 * i + c]).isCloseTo(expected, within(1e-7));
      }
    }
    assertThatThrownBy(() -> AttentionOracle.run(one.spec().normalizer(Normalizer.sigmoid(0)).build(), one.q, one.k,
        one.v, new float[one.o.getQSize()], new float[one.o.getLseSize()]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected null");
  }
}
