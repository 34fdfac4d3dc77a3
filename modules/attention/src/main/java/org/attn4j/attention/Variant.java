package org.attn4j.attention;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An attention variant: the core {@link AttentionSpec} plus {@link Modifier}s applied in order (score terms
 * chained, masks ANDed, at most one normaliser). What an artifact is built from; immutable.
 *
 * <pre>{@code
 * Variant v = Variant.of(AttentionSpec.builder().heads(8).headDim(64).causal(Causal.BOTTOM_RIGHT).build(),
 *     Modifiers.alibi(), Modifiers.slidingWindow(256, 0));
 * }</pre>
 */
public final class Variant {
  private final AttentionSpec spec;
  private final List<Modifier> modifiers;

  private Variant(AttentionSpec spec, List<Modifier> modifiers) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.modifiers = List.copyOf(modifiers);
  }

  /** {@code spec} with {@code modifiers}, applied in the given order. */
  public static Variant of(AttentionSpec spec, Modifier... modifiers) {
    return new Variant(spec, List.of(modifiers));
  }

  /** {@code spec} with {@code modifiers}, applied in the given order. */
  public static Variant of(AttentionSpec spec, List<Modifier> modifiers) {
    return new Variant(spec, modifiers);
  }

  /** The core spec. */
  public AttentionSpec getSpec() {
    return spec;
  }

  /** The modifiers, in order. */
  public List<Modifier> getModifiers() {
    return modifiers;
  }

  /** A name for files and manifests: the spec's name, then each modifier's, e.g. {@code sdpa_f32_h8kv8_d64+alibi}. */
  public String getName() {
    StringBuilder sb = new StringBuilder(spec.getName());
    modifiers.forEach(mod -> sb.append('+').append(mod.getName()));
    return sb.toString();
  }

  /** Each modifier's name and parameters, in order, as recorded in the manifest. */
  public List<Map<String, Object>> describe() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Modifier mod : modifiers) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", mod.getName());
      e.put("parameters", mod.getParameters());
      out.add(e);
    }
    return out;
  }

  /** Runs every modifier against {@code ctx} and combines their slots ({@link Slots#then}). */
  Slots define(Modifier.Context ctx) {
    Slots s = Slots.none();
    for (Modifier mod : modifiers) {
      s = s.then(Objects.requireNonNull(mod.define(ctx), () -> mod.getName() + ": define returned null"));
    }
    if (s.memory() != null && s.cope() != null) {
      throw new IllegalArgumentException("memory kv with CoPE: not supported yet (the row scan would have to run"
          + " over the memory keys after the keys proper), got " + getName());
    }
    if (s.memory() != null && modifiers.stream().anyMatch(mod -> mod.getName().startsWith("softcap"))) {
      throw new IllegalArgumentException("memory kv with a soft-cap: not supported (x-transformers caps memory"
          + " logits too, and the score slot cannot apply a cap without the biases), got " + getName());
    }
    return s;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Variant v && v.spec.equals(spec) && v.modifiers.equals(modifiers);
  }

  @Override
  public int hashCode() {
    return Objects.hash(spec, modifiers);
  }

  @Override
  public String toString() {
    return "Variant[" + getName() + "]";
  }
}
