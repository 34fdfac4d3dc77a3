package org.attn4j.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.attn4j.reference.CoreAttentionOracle.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** The core oracle against hand-derived values and invariants (never against itself on the same inputs). */
class CoreAttentionOracleTest {
  private static final float LN3 = (float) Math.log(3);

  // ---- (1) a tiny case derived by hand ----

  /**
   * b = h = 1, n = m = 2, d = 1, so the default scale is 1/sqrt(1) = 1 and s_ij = q_i * k_j.
   * q = [1, 2], k = [0, ln 3], v = [2, 6].
   * Row 0: s = [0, ln 3], exp(s) = [1, 3], sum 4: P = [1/4, 3/4], out = 2/4 + 18/4 = 5, lse = ln 4.
   * Row 1: s = [0, 2 ln 3], exp(s) = [1, 9], sum 10: P = [1/10, 9/10], out = 0.2 + 5.4 = 5.6, lse = ln 10.
   * (k_1 = ln 3 rounded to float, about 6e-8 off, hence the 1e-6 tolerance.)
   */
  @Test
  void twoLogitsByHand() {
    Options o = Options.builder().shape(1, 1, 1, 2, 2, 1).build();
    float[] out = new float[2];
    float[] lse = new float[2];

    CoreAttentionOracle.run(o, new float[] {1, 2}, new float[] {0, LN3}, new float[] {2, 6}, out, lse);

    assertThat(o.getScale()).isEqualTo(1.0);
    assertThat(out[0]).isCloseTo(5f, within(1e-6f));
    assertThat(out[1]).isCloseTo(5.6f, within(1e-6f));
    assertThat((double) lse[0]).isCloseTo(Math.log(4), within(1e-6));
    assertThat((double) lse[1]).isCloseTo(Math.log(10), within(1e-6));
  }

  /**
   * Same inputs, causal bottom right with m - n = 0: row 0 sees key 0 only, so P = [1], out = v_0 = 2 and
   * lse = s_00 = 1 * 0 = 0, exactly; row 1 sees both keys and is unchanged (5.6, ln 10).
   */
  @Test
  void twoLogitsByHandCausal() {
    Options o = Options.builder().shape(1, 1, 1, 2, 2, 1).causal(Causal.BOTTOM_RIGHT).build();
    float[] out = new float[2];
    float[] lse = new float[2];

    CoreAttentionOracle.run(o, new float[] {1, 2}, new float[] {0, LN3}, new float[] {2, 6}, out, lse);

    assertThat(out[0]).isEqualTo(2f);
    assertThat(lse[0]).isEqualTo(0f);
    assertThat(out[1]).isCloseTo(5.6f, within(1e-6f));
    assertThat((double) lse[1]).isCloseTo(Math.log(10), within(1e-6));
  }

  /** Key length 1: both rows see key 0 only, so out = v_0 = 2 and lse = q_i * 0 = 0, exactly. */
  @Test
  void twoLogitsByHandKeyLength() {
    Options o = Options.builder().shape(1, 1, 1, 2, 2, 1).keyLengths(new int[] {1}).build();
    float[] out = new float[2];
    float[] lse = new float[2];

    CoreAttentionOracle.run(o, new float[] {1, 2}, new float[] {0, LN3}, new float[] {2, 6}, out, lse);

    assertThat(out).containsExactly(2f, 2f);
    assertThat(lse).containsExactly(0f, 0f);
  }

  /**
   * An explicit scale 0.5 with q = [2] halves the logits of row 1 above back to row 0's: s = [0, ln 3], out = 5.
   * With n = 1, m = 2 and causal, the single query is the last one and sees both keys (j <= 0 + 1).
   */
  @Test
  void explicitScaleAndDecodingStep() {
    Options o = Options.builder().shape(1, 1, 1, 1, 2, 1).scale(0.5).causal(Causal.BOTTOM_RIGHT).build();

    float[] out = CoreAttentionOracle.run(o, new float[] {2}, new float[] {0, LN3}, new float[] {2, 6});

    assertThat(out[0]).isCloseTo(5f, within(1e-6f));
  }

  @Test
  void defaultScaleIsInverseSquareRootOfHeadDim() {
    assertThat(Options.builder().shape(1, 1, 1, 1, 1, 64).build().getScale()).isEqualTo(0.125);
    assertThat(Options.builder().shape(1, 1, 1, 1, 1, 64).scale(1).build().getScale()).isEqualTo(1.0);
  }

  /**
   * With scale 0 every visible logit is 0, so P is uniform over the visible keys: out_i is the mean of the visible
   * value rows and lse_i = ln |V(i)|. This checks the masks independently of the exponentials. Here b = 2,
   * m - n = 2, key lengths [4, 2]: |V(i)| = min(i + 3, len).
   */
  @Test
  void zeroScaleAveragesTheVisibleValues() {
    int b = 2;
    int h = 2;
    int n = 3;
    int m = 5;
    int d = 3;
    int[] lengths = {4, 2};
    Options o = Options.builder().shape(b, h, h, n, m, d).scale(0).causal(Causal.BOTTOM_RIGHT)
        .keyLengths(lengths).build();
    float[] q = TestData.uniform(1, o.getQSize(), -1, 1);
    float[] k = TestData.uniform(2, o.getKvSize(), -1, 1);
    float[] v = TestData.uniform(3, o.getKvSize(), -1, 1);
    float[] out = new float[o.getQSize()];
    float[] lse = new float[o.getLseSize()];

    CoreAttentionOracle.run(o, q, k, v, out, lse);

    for (int bi = 0; bi < b; bi++) {
      for (int hh = 0; hh < h; hh++) {
        for (int i = 0; i < n; i++) {
          int visible = Math.min(i + (m - n) + 1, lengths[bi]);
          for (int c = 0; c < d; c++) {
            double mean = 0;
            for (int j = 0; j < visible; j++) {
              mean += v[Slices.offset(bi, hh, j, h, m, d) + c];
            }
            mean /= visible;
            assertThat((double) out[Slices.offset(bi, hh, i, h, n, d) + c]).isCloseTo(mean, within(1e-6));
          }
          assertThat((double) lse[(bi * h + hh) * n + i]).isCloseTo(Math.log(visible), within(1e-6));
        }
      }
    }
  }

  /** With every value row all ones, each non-empty output row is exactly the sum of its probabilities: 1. */
  @Test
  void probabilitiesSumToOne() {
    Options o = Options.builder().shape(2, 4, 2, 3, 7, 5).causal(Causal.BOTTOM_RIGHT)
        .keyLengths(new int[] {7, 3}).build();
    float[] ones = new float[o.getKvSize()];
    Arrays.fill(ones, 1f);

    float[] out = CoreAttentionOracle.run(o, TestData.uniform(4, o.getQSize(), -3, 3),
        TestData.uniform(5, o.getKvSize(), -3, 3), ones);

    for (float x : out) {
      assertThat(x).isCloseTo(1f, within(1e-6f));
    }
  }

  /**
   * Logits of +-1000 and +-500 would overflow a naive exp: the max-shifted softmax gives P = [1, e^-500 = 0],
   * so out is the value of the larger logit and lse = that logit (log(1 + e^-500) = 0 in double).
   */
  @Test
  void largeLogitsDoNotOverflow() {
    Options o = Options.builder().shape(1, 1, 1, 2, 2, 1).build();
    float[] out = new float[2];
    float[] lse = new float[2];

    CoreAttentionOracle.run(o, new float[] {1000, -1000}, new float[] {1, 0.5f}, new float[] {3, 7}, out, lse);

    assertThat(out).containsExactly(3f, 7f);
    assertThat(lse).containsExactly(1000f, -500f);
  }

  // ---- (2) causality: a query never depends on keys after its diagonal ----

  /** Row i (of every batch row and head) is bit-identical whatever keys/values j > i + (m - n) hold. */
  @ParameterizedTest
  @EnumSource(HeadMapping.class)
  void causalRowIgnoresFutureKeys(HeadMapping mapping) {
    int b = 2;
    int h = 4;
    int hKv = 2;
    int n = 3;
    int m = 6;
    int d = 4;
    int offset = m - n;
    Options o = Options.builder().shape(b, h, hKv, n, m, d).causal(Causal.BOTTOM_RIGHT).headMapping(mapping)
        .build();
    float[] q = TestData.uniform(11, o.getQSize(), -2, 2);
    float[] k = TestData.uniform(12, o.getKvSize(), -2, 2);
    float[] v = TestData.uniform(13, o.getKvSize(), -2, 2);
    float[] reference = CoreAttentionOracle.run(o, q, k, v);

    for (int i = 0; i < n; i++) {
      float[] k2 = k.clone();
      float[] v2 = v.clone();
      for (int bi = 0; bi < b; bi++) {
        for (int hk = 0; hk < hKv; hk++) {
          for (int j = i + offset + 1; j < m; j++) {
            for (int c = 0; c < d; c++) {
              k2[Slices.offset(bi, hk, j, hKv, m, d) + c] = 100f + c;
              v2[Slices.offset(bi, hk, j, hKv, m, d) + c] = -50f - c;
            }
          }
        }
      }

      float[] changed = CoreAttentionOracle.run(o, q, k2, v2);

      assertThat(Slices.rows(changed, b, h, n, d, 0, i + 1))
          .as("rows 0..%d after changing keys > %d", i, i + offset)
          .isEqualTo(Slices.rows(reference, b, h, n, d, 0, i + 1));
    }
  }

  /** The converse, so the test above cannot pass vacuously: changing key i + (m - n) does change row i. */
  @Test
  void causalRowSeesItsDiagonalKey() {
    int n = 3;
    int m = 5;
    int d = 2;
    Options o = Options.builder().shape(1, 1, 1, n, m, d).causal(Causal.BOTTOM_RIGHT).build();
    float[] q = TestData.uniform(21, o.getQSize(), -1, 1);
    float[] k = TestData.uniform(22, o.getKvSize(), -1, 1);
    float[] v = TestData.uniform(23, o.getKvSize(), -1, 1);
    float[] reference = CoreAttentionOracle.run(o, q, k, v);
    int i = 0;
    float[] v2 = v.clone();
    v2[(i + m - n) * d] += 1f;

    float[] changed = CoreAttentionOracle.run(o, q, k, v2);

    assertThat(changed[i * d]).isNotEqualTo(reference[i * d]);
  }

  /**
   * KV cache: the last n' queries of a causal self-attention (n = m), run alone against all m keys, give exactly
   * the last n' rows of the full run (right alignment is what makes this hold).
   */
  @Test
  void kvCacheSuffixEqualsFullRecompute() {
    int b = 2;
    int h = 2;
    int m = 6;
    int d = 4;
    int suffix = 2;
    Options full = Options.builder().shape(b, h, 1, m, m, d).causal(Causal.BOTTOM_RIGHT).build();
    float[] q = TestData.uniform(31, full.getQSize(), -1, 1);
    float[] k = TestData.uniform(32, full.getKvSize(), -1, 1);
    float[] v = TestData.uniform(33, full.getKvSize(), -1, 1);
    float[] fullOut = CoreAttentionOracle.run(full, q, k, v);
    Options step = full.toBuilder().n(suffix).build();

    float[] stepOut = CoreAttentionOracle.run(step, Slices.rows(q, b, h, m, d, m - suffix, m), k, v);

    assertThat(stepOut).isEqualTo(Slices.rows(fullOut, b, h, m, d, m - suffix, m));
  }

  // ---- (3) grouped-query attention ----

  @Test
  void headMappingsPairHeadsAsDocumented() {
    int[] tiled = new int[6];
    int[] blocked = new int[6];
    Options t = Options.builder().shape(1, 6, 3, 1, 1, 1).build();
    Options k = t.toBuilder().headMapping(HeadMapping.BLOCKED).build();
    for (int hh = 0; hh < 6; hh++) {
      tiled[hh] = t.kvHead(hh);
      blocked[hh] = k.kvHead(hh);
    }

    assertThat(t.getHeadMapping()).isEqualTo(HeadMapping.TILED);
    assertThat(tiled).containsExactly(0, 1, 2, 0, 1, 2);
    assertThat(blocked).containsExactly(0, 0, 1, 1, 2, 2);
  }

  /**
   * GQA (h = 6, h_kv = 2) equals plain multi-head attention (h_kv = h) on key/value heads expanded the way the
   * mapping says: TILED repeats '(g h_kv)', BLOCKED '(h_kv g)'.
   */
  @ParameterizedTest
  @EnumSource(HeadMapping.class)
  void groupedQueryEqualsMultiHeadOnExpandedKv(HeadMapping mapping) {
    int b = 2;
    int h = 6;
    int hKv = 2;
    int g = h / hKv;
    int n = 3;
    int m = 4;
    int d = 5;
    Options gqa = Options.builder().shape(b, h, hKv, n, m, d).causal(Causal.BOTTOM_RIGHT)
        .keyLengths(new int[] {4, 3}).headMapping(mapping).build();
    float[] q = TestData.uniform(41, gqa.getQSize(), -1, 1);
    float[] k = TestData.uniform(42, gqa.getKvSize(), -1, 1);
    float[] v = TestData.uniform(43, gqa.getKvSize(), -1, 1);
    int[] kvHeadOf = new int[h];
    for (int hh = 0; hh < h; hh++) {
      kvHeadOf[hh] = mapping == HeadMapping.TILED ? hh % hKv : hh / g;  // the formulas of VARIANTS.md
    }
    Options mha = gqa.toBuilder().hKv(h).build();

    float[] expected = CoreAttentionOracle.run(mha, q, Slices.expandHeads(k, b, hKv, m, d, kvHeadOf),
        Slices.expandHeads(v, b, hKv, m, d, kvHeadOf));
    float[] actual = CoreAttentionOracle.run(gqa, q, k, v);

    assertThat(actual).isEqualTo(expected);
  }

  /**
   * Both mappings are the identity when h_kv == h, and send every head to kv head 0 when h_kv == 1 (multi-query,
   * here causal too), so they agree exactly with each other.
   */
  @ParameterizedTest(name = "h={0} h_kv={1} causal={2}")
  @CsvSource({"3, 3, false, 51", "4, 1, true, 61"})
  void mappingsAgreeWhenTheyCoincide(int h, int hKv, boolean causal, int seed) {
    Options tiled = Options.builder().shape(2, h, hKv, 2, 3, 4).causal(causal ? Causal.BOTTOM_RIGHT : Causal.NONE)
        .build();
    Options blocked = tiled.toBuilder().headMapping(HeadMapping.BLOCKED).build();
    float[] q = TestData.uniform(seed, tiled.getQSize(), -1, 1);
    float[] k = TestData.uniform(seed + 1, tiled.getKvSize(), -1, 1);
    float[] v = TestData.uniform(seed + 2, tiled.getKvSize(), -1, 1);

    assertThat(CoreAttentionOracle.run(blocked, q, k, v)).isEqualTo(CoreAttentionOracle.run(tiled, q, k, v));
  }

  /**
   * TILED and BLOCKED are the same computation up to a permutation of the query heads: BLOCKED head hh reads kv
   * head hh / g; TILED head pi(hh) = hh / g + h_kv * (hh % g) reads pi(hh) % h_kv = hh / g too. So TILED on q with
   * heads moved by pi gives BLOCKED's output with heads moved by pi. Without the permutation they differ.
   */
  @Test
  void tiledEqualsBlockedUpToAQueryHeadPermutation() {
    int b = 2;
    int h = 6;
    int hKv = 2;
    int g = h / hKv;
    int n = 3;
    int m = 4;
    int d = 3;
    Options blocked = Options.builder().shape(b, h, hKv, n, m, d).headMapping(HeadMapping.BLOCKED).build();
    Options tiled = blocked.toBuilder().headMapping(HeadMapping.TILED).build();
    float[] q = TestData.uniform(71, blocked.getQSize(), -1, 1);
    float[] k = TestData.uniform(72, blocked.getKvSize(), -1, 1);
    float[] v = TestData.uniform(73, blocked.getKvSize(), -1, 1);
    int[] pi = new int[h];
    for (int hh = 0; hh < h; hh++) {
      pi[hh] = hh / g + hKv * (hh % g);
    }
    assertThat(pi).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);

    float[] blockedOut = CoreAttentionOracle.run(blocked, q, k, v);
    float[] tiledOut = CoreAttentionOracle.run(tiled, Slices.permuteHeads(q, b, n, d, pi), k, v);

    assertThat(tiledOut).isEqualTo(Slices.permuteHeads(blockedOut, b, n, d, pi));
    assertThat(CoreAttentionOracle.run(tiled, q, k, v)).isNotEqualTo(blockedOut);
  }

  // ---- (4) rows with no visible key ----

  /** Key length 0 empties every row of that batch row: exact zeros (written over NaN) and lse = -Infinity. */
  @Test
  void zeroKeyLengthGivesZeroRows() {
    int b = 2;
    int h = 2;
    int n = 2;
    int m = 3;
    int d = 3;
    Options o = Options.builder().shape(b, h, 1, n, m, d).keyLengths(new int[] {0, 3}).build();
    float[] out = new float[o.getQSize()];
    float[] lse = new float[o.getLseSize()];
    Arrays.fill(out, Float.NaN);
    Arrays.fill(lse, Float.NaN);

    CoreAttentionOracle.run(o, TestData.uniform(81, o.getQSize(), -1, 1),
        TestData.uniform(82, o.getKvSize(), -1, 1), TestData.uniform(83, o.getKvSize(), -1, 1), out, lse);

    int perBatch = h * n * d;
    assertThat(Arrays.copyOfRange(out, 0, perBatch)).containsOnly(0f);
    assertThat(Arrays.copyOfRange(lse, 0, h * n)).containsOnly(Float.NEGATIVE_INFINITY);
    assertThat(Tolerances.compare(Arrays.copyOfRange(out, perBatch, 2 * perBatch),
        new float[perBatch]).getMaxAbsError()).isGreaterThan(0);
    for (int idx = h * n; idx < 2 * h * n; idx++) {
      assertThat(lse[idx]).isFinite();
    }
  }

  /**
   * Causal with n = 5 > m = 3 (offset -2): rows 0 and 1 see no key (j <= -2, j <= -1) and are zero with
   * lse = -Infinity; row 2 sees key 0 alone, so out_2 = v_0 exactly and lse_2 = s_20; rows 3, 4 are finite.
   */
  @Test
  void causalWithMoreQueriesThanKeysEmptiesTheFirstRows() {
    int n = 5;
    int m = 3;
    int d = 4;
    Options o = Options.builder().shape(1, 1, 1, n, m, d).causal(Causal.BOTTOM_RIGHT).build();
    float[] q = TestData.uniform(91, o.getQSize(), -1, 1);
    float[] k = TestData.uniform(92, o.getKvSize(), -1, 1);
    float[] v = TestData.uniform(93, o.getKvSize(), -1, 1);
    float[] out = new float[o.getQSize()];
    float[] lse = new float[o.getLseSize()];
    Arrays.fill(out, Float.NaN);

    CoreAttentionOracle.run(o, q, k, v, out, lse);

    assertThat(Arrays.copyOfRange(out, 0, 2 * d)).containsOnly(0f);
    assertThat(Arrays.copyOfRange(lse, 0, 2)).containsOnly(Float.NEGATIVE_INFINITY);
    assertThat(Arrays.copyOfRange(out, 2 * d, 3 * d)).isEqualTo(Arrays.copyOfRange(v, 0, d));
    double s20 = 0;
    for (int c = 0; c < d; c++) {
      s20 += (double) q[2 * d + c] * k[c];
    }
    assertThat((double) lse[2]).isCloseTo(s20 * o.getScale(), within(1e-6));
    for (int idx = 2 * d; idx < n * d; idx++) {
      assertThat(out[idx]).isFinite();
    }
    assertThat(lse[3]).isFinite();
    assertThat(lse[4]).isFinite();
  }

  // ---- (5) batch rows are independent ----

  /** Each batch row, run alone (with its own key length), gives exactly its slice of the batched run. */
  @Test
  void batchRowsAreIndependent() {
    int b = 3;
    int h = 2;
    int hKv = 1;
    int n = 3;
    int m = 4;
    int d = 3;
    int[] lengths = {4, 1, 3};
    Options o = Options.builder().shape(b, h, hKv, n, m, d).causal(Causal.BOTTOM_RIGHT).keyLengths(lengths)
        .build();
    float[] q = TestData.uniform(101, o.getQSize(), -1, 1);
    float[] k = TestData.uniform(102, o.getKvSize(), -1, 1);
    float[] v = TestData.uniform(103, o.getKvSize(), -1, 1);
    float[] out = new float[o.getQSize()];
    float[] lse = new float[o.getLseSize()];
    CoreAttentionOracle.run(o, q, k, v, out, lse);
    int qStride = h * n * d;
    int kvStride = hKv * m * d;

    for (int bi = 0; bi < b; bi++) {
      Options alone = o.toBuilder().b(1).keyLengths(new int[] {lengths[bi]}).build();
      float[] outAlone = new float[alone.getQSize()];
      float[] lseAlone = new float[alone.getLseSize()];

      CoreAttentionOracle.run(alone, Slices.batch(q, bi, qStride), Slices.batch(k, bi, kvStride),
          Slices.batch(v, bi, kvStride), outAlone, lseAlone);

      assertThat(outAlone).as("batch row %d", bi).isEqualTo(Slices.batch(out, bi, qStride));
      assertThat(lseAlone).as("batch row %d", bi).isEqualTo(Slices.batch(lse, bi, h * n));
    }
  }

  /** Changing every input of batch row 1 changes its output and leaves rows 0 and 2 bit-identical. */
  @Test
  void changingOneBatchRowLeavesTheOthers() {
    Options o = Options.builder().shape(3, 2, 2, 2, 3, 2).build();
    float[] q = TestData.uniform(111, o.getQSize(), -1, 1);
    float[] k = TestData.uniform(112, o.getKvSize(), -1, 1);
    float[] v = TestData.uniform(113, o.getKvSize(), -1, 1);
    float[] reference = CoreAttentionOracle.run(o, q, k, v);
    int qStride = o.getQSize() / 3;
    int kvStride = o.getKvSize() / 3;
    float[] q2 = q.clone();
    float[] k2 = k.clone();
    float[] v2 = v.clone();
    for (int idx = 0; idx < qStride; idx++) {
      q2[qStride + idx] *= -3f;
    }
    for (int idx = 0; idx < kvStride; idx++) {
      k2[kvStride + idx] += 0.5f;
      v2[kvStride + idx] -= 2f;
    }

    float[] changed = CoreAttentionOracle.run(o, q2, k2, v2);

    assertThat(Slices.batch(changed, 0, qStride)).isEqualTo(Slices.batch(reference, 0, qStride));
    assertThat(Slices.batch(changed, 2, qStride)).isEqualTo(Slices.batch(reference, 2, qStride));
    assertThat(Slices.batch(changed, 1, qStride)).isNotEqualTo(Slices.batch(reference, 1, qStride));
  }

  // ---- the two run forms and the options value ----

  @Test
  void shortRunEqualsFullRunWithoutLse() {
    Options o = Options.builder().shape(1, 2, 1, 3, 4, 2).causal(Causal.BOTTOM_RIGHT).build();
    float[] q = TestData.uniform(121, o.getQSize(), -1, 1);
    float[] k = TestData.uniform(122, o.getKvSize(), -1, 1);
    float[] v = TestData.uniform(123, o.getKvSize(), -1, 1);
    float[] out = new float[o.getQSize()];

    CoreAttentionOracle.run(o, q, k, v, out, null);

    assertThat(CoreAttentionOracle.run(o, q, k, v)).isEqualTo(out);
  }

  @Test
  void optionsAreImmutableValues() {
    int[] lengths = {2, 3};
    Options.Builder builder = Options.builder().shape(2, 4, 2, 3, 3, 8).keyLengths(lengths);
    Options o = builder.build();
    lengths[0] = 0;
    builder.keyLengths(null);
    int[] got = o.getKeyLengths();
    assertThat(got).containsExactly(2, 3);
    got[1] = 0;

    assertThat(o.getKeyLengths()).containsExactly(2, 3);
    assertThat(o.getKeyLength(1)).isEqualTo(3);
    assertThat(builder.build().getKeyLengths()).isNull();
    assertThat(builder.build().getKeyLength(1)).isEqualTo(3);  // m
    assertThat(o.toBuilder().build()).isEqualTo(o).hasSameHashCodeAs(o);
    assertThat(o.toBuilder().d(4).build().getScale()).isEqualTo(0.5);  // a default scale follows d
    assertThat(o.toBuilder().scale(0.25).d(4).build().getScale()).isEqualTo(0.25);
    assertThat(o).hasToString("Options[b=2, h=4, h_kv=2, n=3, m=3, d=8, scale=" + (1 / Math.sqrt(8))
        + ", causal=NONE, keyLengths=[2, 3], headMapping=TILED]");
  }

  @Test
  void kvHeadsAndKeysDefaultToQueryHeadsAndQueries() {
    Options o = Options.builder().b(2).h(4).n(3).d(8).build();

    assertThat(o.getHKv()).isEqualTo(4);
    assertThat(o.getM()).isEqualTo(3);
    assertThat(o.getCausal()).isEqualTo(Causal.NONE);
    assertThat(o.getQSize()).isEqualTo(2 * 4 * 3 * 8);
    assertThat(o.getKvSize()).isEqualTo(2 * 4 * 3 * 8);
    assertThat(o.getLseSize()).isEqualTo(2 * 4 * 3);
  }

  @Test
  void causalVisibilityIsRightAligned() {
    assertThat(Causal.BOTTOM_RIGHT.isVisible(0, 2, 2, 4)).isTrue();   // j <= 0 + 2
    assertThat(Causal.BOTTOM_RIGHT.isVisible(0, 3, 2, 4)).isFalse();
    assertThat(Causal.BOTTOM_RIGHT.isVisible(1, 0, 4, 2)).isFalse();  // j <= 1 - 2
    assertThat(Causal.NONE.isVisible(0, 3, 2, 4)).isTrue();
  }
}
