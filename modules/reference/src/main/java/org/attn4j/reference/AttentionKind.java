package org.attn4j.reference;

/**
 * Whether keys and values come from the queries' own sequence or from a context. It decides which variants are
 * allowed: rotary with separate context positions and cross-attention go together; special tokens and forgetting
 * gates need self-attention.
 */
public enum AttentionKind {
  /**
   * Self-attention: key {@code j} and query {@code row} live on one axis, query {@code row} sitting at key position
   * {@code row + (m - n)} ({@code m - n} earlier keys come from a KV cache).
   */
  SELF,
  /**
   * Cross-attention: keys come from a context of {@code m} tokens. Without context positions it applies no rotary
   * (x-transformers' legacy behaviour, the default); see {@link RotaryPositions#cross(float[], float[])}.
   */
  CROSS
}
