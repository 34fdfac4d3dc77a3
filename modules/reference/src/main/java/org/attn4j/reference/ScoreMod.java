package org.attn4j.reference;

/**
 * A pointwise score term (slot 3 of {@code VARIANTS.md} section 8), FlexAttention's {@code score_mod}: maps the
 * scaled logit of query {@code i} and key {@code j} to a new logit, before the soft-cap and the masks.
 *
 * <p>Indices: {@code i} is the query's position on the key axis, {@code i = row + (m - n)} (right-aligned like the
 * causal mask, so {@code i == j} is the diagonal, {@code j <= i} is causal, and a KV-cache step sees the same
 * {@code i} as the full recompute); FlexAttention passes the raw row, and the two agree when {@code n == m}.
 * {@code j} is in {@code [0, m)}; learned memory keys are not passed (their bias is 0, as in x-transformers).
 * {@code h} is the query head, {@code b} the batch row.
 *
 * <p>Example, ALiBi by hand: {@code (s, b, h, i, j) -> s - slopes[h] * Math.abs(i - j)}.
 */
@FunctionalInterface
public interface ScoreMod {
  /**
   * The new logit.
   *
   * @param score the logit so far ({@code τ q_i · k_j} plus earlier terms)
   * @param b the batch row
   * @param h the query head
   * @param i the query position on the key axis, {@code row + (m - n)}
   * @param j the key index, in {@code [0, m)}
   * @return the new logit
   */
  double apply(double score, int b, int h, int i, int j);
}
