package org.attn4j.reference;

/**
 * The causal mask of an attention call with {@code n} queries ({@code i}) and {@code m} keys ({@code j}).
 *
 * <p>attn4j's causal mask is right-aligned (bottom right): the last query sees the last key, so with a KV cache of
 * {@code m - n} earlier keys, query {@code i} sees key {@code j} iff {@code j <= i + (m - n)}. When {@code n > m}
 * the first {@code n - m} queries see no key at all, and their output rows are zero (see
 * {@link CoreAttentionOracle}).
 */
public enum Causal {
  /** No causal mask: every key is visible to every query (other masks, such as key lengths, still apply). */
  NONE,
  /** Right-aligned causal mask: key {@code j} is visible to query {@code i} iff {@code j <= i + (m - n)}. */
  BOTTOM_RIGHT;

  /**
   * Whether this mask lets query {@code i} see key {@code j}. Indices outside {@code [0, n)} and {@code [0, m)}
   * are not checked: the answer is the formula's.
   *
   * @param i the query index, in {@code [0, n)}
   * @param j the key index, in {@code [0, m)}
   * @param n the number of queries
   * @param m the number of keys
   * @return {@code true} for {@link #NONE}; {@code j <= i + (m - n)} for {@link #BOTTOM_RIGHT}
   */
  public boolean isVisible(int i, int j, int n, int m) {
    if (this == NONE) {
      return true;
    }
    // long: i + (m - n) cannot overflow whatever the ints are.
    return j <= (long) i + ((long) m - n);
  }
}
