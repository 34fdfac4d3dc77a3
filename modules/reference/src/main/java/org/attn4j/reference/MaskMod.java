package org.attn4j.reference;

/**
 * A mask (slot 4 of {@code VARIANTS.md} section 8), FlexAttention's {@code mask_mod}: whether query {@code i} may
 * see key {@code j}. Every mask of a call must allow a key (they are ANDed with the causal mask and the key
 * lengths); learned memory keys are always visible and never passed. Indices as in {@link ScoreMod}: {@code i} is
 * the query's position on the key axis, {@code row + (m - n)}.
 *
 * <p>Example, a causal window of 128 keys: {@code (b, h, i, j) -> j <= i && i - j < 128}.
 */
@FunctionalInterface
public interface MaskMod {
  /**
   * Whether the key is visible.
   *
   * @param b the batch row
   * @param h the query head
   * @param i the query position on the key axis, {@code row + (m - n)}
   * @param j the key index, in {@code [0, m)}
   * @return {@code true} if query {@code i} may see key {@code j}
   */
  boolean isVisible(int b, int h, int i, int j);
}
