package org.attn4j.maven;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One variant in the plugin's configuration (the fields of a build spec's variant, in Maven's camel case):
 *
 * <pre>{@code
 * <variant><heads>8</heads><kvHeads>2</kvHeads><headDim>64</headDim><causal>BOTTOM_RIGHT</causal></variant>
 * <variant><heads>8</heads><headDim>64</headDim><cross>true</cross>
 *   <modifiers><modifier>rotary:positions=cross</modifier></modifiers></variant>
 * }</pre>
 *
 * A variant without {@code dtype} is built for each of the goal's {@code dtypes}.
 */
public class Variant {
  /** Query heads {@code h}. */
  public int heads;
  /** Key/value heads {@code h_kv} (0: same as {@code heads}). */
  public int kvHeads;
  /** Head dimension {@code d}. */
  public int headDim;
  /** {@code NONE} or {@code BOTTOM_RIGHT}. */
  public String causal = "NONE";
  /** {@code TILED} or {@code BLOCKED} (how query heads share key/value heads). */
  public String headMapping = "TILED";
  /** Whether the kernel takes per-row key lengths. */
  public boolean keyLengths;
  /** Whether the kernel also writes the log-sum-exp. */
  public boolean lse;
  /** The score scale, or {@code null} for {@code 1/sqrt(d)}. */
  public @Nullable Double scale;
  /** The dtype, or {@code null} for the goal's {@code dtypes}. */
  public @Nullable String dtype;
  /** Whether this is cross-attention. */
  public boolean cross;
  /** Modifiers in order, each {@code name[:key=value,...]} (see {@code org.attn4j.build.ModifierSpecs}). */
  public List<String> modifiers = new ArrayList<>();

  /** This variant as a build spec's variant object. */
  Map<String, Object> toSpec() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("heads", heads);
    m.put("kv_heads", kvHeads);
    m.put("head_dim", headDim);
    m.put("causal", causal);
    m.put("head_mapping", headMapping);
    m.put("key_lengths", keyLengths);
    m.put("lse", lse);
    if (scale != null) {
      m.put("scale", scale);
    }
    m.put("cross", cross);
    m.put("modifiers", List.copyOf(modifiers));
    return m;
  }
}
