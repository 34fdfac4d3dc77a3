package org.attn4j.attention;

/** How query heads {@code h} map to key/value heads {@code h_kv} in grouped-query attention. */
public enum HeadMapping {
  /** x-transformers: query head {@code hh} reads kv head {@code hh mod h_kv}. */
  TILED,
  /** FlashAttention / PyTorch: query head {@code hh} reads kv head {@code floor(hh / (h / h_kv))}. */
  BLOCKED;

  /** The kv head read by query head {@code hh} of {@code h}, with {@code hKv} kv heads. */
  public int kvHead(int hh, int h, int hKv) {
    return this == TILED ? hh % hKv : hh / (h / hKv);
  }
}
