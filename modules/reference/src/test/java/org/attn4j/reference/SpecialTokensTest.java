package org.attn4j.reference;

import static org.assertj.core.api.Assertions.assertThat;

import org.attn4j.reference.CoreAttentionOracle.Options;
import org.junit.jupiter.api.Test;

/** Special tokens and learned memory key/values against their definitions. */
class SpecialTokensTest {
  private static final int S = 2;
  private final Inputs in = Inputs.of(2, 2, 1, 5, 5, 8, Causal.BOTTOM_RIGHT, 30);

  @Test
  void noRotatePrefixEqualsCustomPositionZero() {
    float[] none = in.run(in.spec().rotary(Rotary.of(8)).specialTokens(SpecialTokens.noRotatePrefix(S)));
    float[] zero = in.run(in.spec().rotary(Rotary.of(8)).specialTokens(SpecialTokens.customPosition(S, 0)));
    float[] seven = in.run(in.spec().rotary(Rotary.of(8)).specialTokens(SpecialTokens.customPosition(S, 7)));

    assertThat(none).containsExactly(zero);
    assertThat(seven).isNotEqualTo(zero);
  }

  @Test
  void rotateAllIsPlainRotary() {
    assertThat(in.run(in.spec().rotary(Rotary.of(8)).specialTokens(SpecialTokens.rotateAll(S))))
        .containsExactly(in.run(in.spec().rotary(Rotary.of(8))));
  }

  /**
   * PAIRWISE_EXEMPT logits equal ROTATE_ALL's outside the first S rows and columns, and the unrotated logits inside
   * them; the two differ somewhere, so the test cannot pass with the mode ignored.
   */
  @Test
  void pairwiseExemptChangesOnlyTheSpecialRowsAndColumns() {
    int n = in.o.getN();
    double[] exempt = in.scores(in.spec().rotary(Rotary.of(8)).specialTokens(SpecialTokens.pairwiseExempt(S)));
    double[] rotated = in.scores(in.spec().rotary(Rotary.of(8)));
    double[] raw = in.scores(in.spec());
    int differences = 0;
    for (int idx = 0; idx < exempt.length; idx++) {
      int i = idx / n % n;
      int j = idx % n;
      double expected = i < S || j < S ? raw[idx] : rotated[idx];
      assertThat(exempt[idx]).as("[%d] i=%d j=%d", idx, i, j).isEqualTo(expected);
      differences += exempt[idx] != rotated[idx] ? 1 : 0;
    }
    assertThat(differences).isPositive();
  }

  /**
   * Memory K/V [h_kv, M, d] equal concatenating them in front of each row's keys and values after rotary: with the
   * right-aligned causal mask over M + m keys, query i sees all memory keys and keys j <= i, as x-transformers.
   */
  @Test
  void memoryKvEqualsConcatenatingUnrotatedKeys() {
    int memory = 3;
    Options o = in.o;
    int d = o.getD();
    float[] memK = TestData.uniform(31, memory * d, -1, 1);
    float[] memV = TestData.uniform(32, memory * d, -1, 1);
    Rotary rotary = Rotary.of(8);
    float[] positions = {0, 1, 2, 3, 4};
    float[] qr = rotary.rotate(in.q, o.getB(), o.getH(), o.getN(), d, positions);
    float[] kr = rotary.rotate(in.k, o.getB(), 1, o.getM(), d, positions);
    Options wide = o.toBuilder().m(memory + o.getM()).build();

    float[] expected = CoreAttentionOracle.run(wide, qr, prepend(memK, kr, o), prepend(memV, in.v, o));
    float[] actual = in.run(in.spec().rotary(rotary).memoryKv(MemoryKv.of(memK, memV, memory)));

    assertThat(actual).containsExactly(expected);
  }

  /** {@code [M, d]} memory then {@code [m, d]} keys for each batch row (one kv head). */
  private static float[] prepend(float[] memory, float[] keys, Options o) {
    int row = o.getM() * o.getD();
    float[] out = new float[o.getB() * (memory.length + row)];
    for (int bi = 0; bi < o.getB(); bi++) {
      System.arraycopy(memory, 0, out, bi * (memory.length + row), memory.length);
      System.arraycopy(keys, bi * row, out, bi * (memory.length + row) + memory.length, row);
    }
    return out;
  }

  /** Memory keys stay visible when every real key is masked, so no row is empty. */
  @Test
  void memoryKeysIgnoreMasks() {
    Options o = in.o.toBuilder().keyLengths(new int[] {0, 0}).build();
    float[] memK = {0, 0, 0, 0, 0, 0, 0, 0};
    float[] memV = {1, 2, 3, 4, 5, 6, 7, 8};

    float[] out = AttentionOracle.run(AttentionOracle.Spec.builder(o).memoryKv(MemoryKv.of(memK, memV, 1))
        .maskMod((b, h, i, j) -> false).build(), in.q, in.k, in.v);

    for (int row = 0; row < out.length / 8; row++) {
      assertThat(java.util.Arrays.copyOfRange(out, row * 8, row * 8 + 8)).containsExactly(memV);
    }
  }
}
