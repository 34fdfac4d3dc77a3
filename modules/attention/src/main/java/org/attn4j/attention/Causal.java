package org.attn4j.attention;

/** Causal masking modes. */
public enum Causal {
  /** Every key visible (up to padding). */
  NONE,
  /**
   * Right-aligned (bottom-right) causal mask: key {@code j} is visible to query {@code i} iff
   * {@code j <= i + (m - n)}, the KV-cache convention of x-transformers and FlashAttention.
   */
  BOTTOM_RIGHT
}
