package org.attn4j.reference;

/**
 * Which key/value head a query head reads under grouped-query attention ({@code h} query heads, {@code h_kv}
 * key/value heads, {@code h % h_kv == 0}, group size {@code g = h / h_kv}).
 *
 * <p>The two conventions agree when {@code h_kv == h} (plain multi-head attention) and when {@code h_kv == 1}
 * (multi-query attention); otherwise they pair heads differently, so weights trained under one convention give
 * different numbers under the other. x-transformers uses {@link #TILED}, which is attn4j's default.
 */
public enum HeadMapping {
  /**
   * x-transformers' convention: query head {@code hh} reads key/value head {@code hh % h_kv} (the kv heads are
   * tiled {@code g} times: {@code repeat(kv, 'b h_kv j d -> b (g h_kv) j d')}).
   */
  TILED,
  /**
   * FlashAttention's and PyTorch's convention: query head {@code hh} reads key/value head {@code hh / g}, with
   * {@code g = h / h_kv} (each kv head is repeated in a block: {@code repeat(kv, 'b h_kv j d -> b (h_kv g) j d')}).
   */
  BLOCKED;

  /**
   * The key/value head that a query head reads.
   *
   * @param queryHead the query head {@code hh}, in {@code [0, h)}
   * @param h the number of query heads, {@code >= 1}
   * @param hKv the number of key/value heads {@code h_kv}, {@code >= 1} and dividing {@code h}
   * @return a key/value head in {@code [0, h_kv)}
   * @throws IllegalArgumentException if {@code h} or {@code h_kv} is below 1, {@code h % h_kv != 0}, or
   *     {@code queryHead} is outside {@code [0, h)}
   */
  public int kvHead(int queryHead, int h, int hKv) {
    if (h < 1 || hKv < 1) {
      throw new IllegalArgumentException("h = " + h + " and h_kv = " + hKv + " must both be >= 1");
    }
    if (h % hKv != 0) {
      throw new IllegalArgumentException("h = " + h + " is not a multiple of h_kv = " + hKv);
    }
    if (queryHead < 0 || queryHead >= h) {
      throw new IllegalArgumentException("query head " + queryHead + " is outside [0, h = " + h + ")");
    }
    return this == TILED ? queryHead % hKv : queryHead / (h / hKv);
  }
}
