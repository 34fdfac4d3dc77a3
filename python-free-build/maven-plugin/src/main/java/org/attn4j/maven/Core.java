package org.attn4j.maven;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The core attention of a {@link Layer} in the plugin's configuration: the fields of a build spec's layer
 * {@code core}, in Maven's camel case. A layer attends over its own {@code n} tokens in float32, so a core has no
 * dtype, key lengths, log-sum-exp or cross-attention ({@link Variant} adds those); Maven refuses them here by name.
 *
 * <pre>{@code
 * <core><heads>8</heads><kvHeads>2</kvHeads><headDim>64</headDim><causal>BOTTOM_RIGHT</causal>
 *   <modifiers><modifier>alibi</modifier></modifiers></core>
 * }</pre>
 */
public class Core {
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
  /** The score scale, or {@code null} for {@code 1/sqrt(d)}. */
  public @Nullable Double scale;
  /** Modifiers in order, each {@code name[:key=value,...]} (see {@code org.attn4j.build.ModifierSpecs}). */
  public List<String> modifiers = new ArrayList<>();

  /** These fields as a build spec's variant object (snake case). */
  Map<String, Object> toSpec() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("heads", heads);
    m.put("kv_heads", kvHeads);
    m.put("head_dim", headDim);
    m.put("causal", causal);
    m.put("head_mapping", headMapping);
    if (scale != null) {
      m.put("scale", scale);
    }
    m.put("modifiers", List.copyOf(modifiers));
    return m;
  }
}
