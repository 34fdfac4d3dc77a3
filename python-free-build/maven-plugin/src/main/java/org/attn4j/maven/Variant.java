package org.attn4j.maven;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One variant in the plugin's configuration (the fields of a build spec's variant, in Maven's camel case): the
 * fields of a layer's {@link Core} plus dtype, key lengths, log-sum-exp and cross-attention.
 *
 * <pre>{@code
 * <variant><heads>8</heads><kvHeads>2</kvHeads><headDim>64</headDim><causal>BOTTOM_RIGHT</causal></variant>
 * <variant><heads>8</heads><headDim>64</headDim><cross>true</cross>
 *   <modifiers><modifier>rotary:positions=cross</modifier></modifiers></variant>
 * }</pre>
 *
 * A variant without {@code dtype} is built for each of the goal's {@code dtypes}.
 */
public class Variant extends Core {
  /** Whether the kernel takes per-row key lengths. */
  public boolean keyLengths;
  /** Whether the kernel also writes the log-sum-exp. */
  public boolean lse;
  /** The dtype, or {@code null} for the goal's {@code dtypes}. */
  public @Nullable String dtype;
  /** Whether this is cross-attention. */
  public boolean cross;

  /** This variant as a build spec's variant object. */
  @Override
  Map<String, Object> toSpec() {
    Map<String, Object> m = super.toSpec();
    m.put("key_lengths", keyLengths);
    m.put("lse", lse);
    m.put("cross", cross);
    return m;
  }
}
