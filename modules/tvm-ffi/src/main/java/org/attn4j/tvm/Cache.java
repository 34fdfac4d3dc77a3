package org.attn4j.tvm;

import java.nio.file.Path;

/**
 * The attn4j cache directory: {@code -Dattn4j.cache.dir}, else {@code $ATTN4J_CACHE}, else
 * {@code ~/.cache/attn4j}. Build outputs (content-hashed artifacts) and generated helper libraries live there.
 */
public final class Cache {
  private Cache() {}

  /** The cache directory (not created by this call). */
  public static Path directory() {
    String p = System.getProperty("attn4j.cache.dir");
    if (p == null || p.isBlank()) {
      p = System.getenv("ATTN4J_CACHE");
    }
    if (p == null || p.isBlank()) {
      return Path.of(System.getProperty("user.home"), ".cache", "attn4j");
    }
    return Path.of(p);
  }
}
