package org.attn4j.build;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.attn4j.attention.Causal;
import org.attn4j.attention.ForgetDirection;
import org.attn4j.attention.ForgetGate;
import org.attn4j.attention.Modifier;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Rotary;
import org.attn4j.attention.RotaryPositions;
import org.attn4j.attention.SpecialTokens;

/**
 * The gallery of {@link Modifiers} by name, for build spec files, the Maven plugin and the CLI. A modifier is a
 * JSON object {@code {"name": ..., parameters...}} or, on the command line, {@code name[:key=value,...]}:
 *
 * <table>
 *   <caption>names and parameters (defaults in brackets)</caption>
 *   <tr><td>{@code alibi}</td><td>(reads {@code alibi_slopes [h]})</td></tr>
 *   <tr><td>{@code soft_cap}</td><td>{@code cap}</td></tr>
 *   <tr><td>{@code sliding_window}</td><td>{@code left}, {@code right} [0]</td></tr>
 *   <tr><td>{@code documents}, {@code prefix_lm}, {@code sinks}, {@code softmax_plus_one}</td><td>none</td></tr>
 *   <tr><td>{@code sigmoid}</td><td>{@code bias} [0]</td></tr>
 *   <tr><td>{@code t5_bias}</td><td>{@code causal} [false], {@code buckets} [32], {@code max_distance} [128],
 *       {@code scale} [1]</td></tr>
 *   <tr><td>{@code rotary}</td><td>{@code dim} [d/2: "half"], {@code layout} [interleaved | rotate_half],
 *       {@code base} [10000], {@code ntk} [1], {@code interpolation} [1], {@code positions} [arange | self |
 *       cross], {@code per_batch} [false], {@code special} [none | rotate_all | no_rotate_prefix |
 *       pairwise_exempt | custom_position], {@code special_count}, {@code special_position} [0]</td></tr>
 *   <tr><td>{@code forgetting}</td><td>{@code gate} [data_dependent | bias_only | fixed | none],
 *       {@code direction} [forward | bidirectional], {@code lambda} [1], {@code epsilon} [1e-12]</td></tr>
 *   <tr><td>{@code value_residual}</td><td>{@code lambda} [0.5], or {@code per_token} [false]</td></tr>
 *   <tr><td>{@code memory_kv}</td><td>{@code count}</td></tr>
 *   <tr><td>{@code cope}</td><td>{@code max_pos} [16], {@code temperature} [none: linear interpolation]</td></tr>
 * </table>
 *
 * <p>Example spec entry: {@code "modifiers": [{"name": "rotary", "positions": "cross"}, {"name": "alibi"}]};
 * CLI: {@code --modifiers rotary:positions=cross alibi}.
 */
public final class ModifierSpecs {
  private ModifierSpecs() {}

  /** The names this class knows. */
  public static final Set<String> NAMES = Set.of("alibi", "soft_cap", "sliding_window", "documents", "prefix_lm",
      "sinks", "softmax_plus_one", "sigmoid", "t5_bias", "rotary", "forgetting", "value_residual", "memory_kv",
      "cope");

  /**
   * A modifier from its command-line form {@code name[:key=value,...]} for a kernel of head dim {@code headDim}.
   *
   * @throws IllegalArgumentException naming the modifier and the parameter that is wrong
   */
  public static Modifier parse(String text, int headDim) {
    String[] parts = text.split(":", 2);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", parts[0]);
    if (parts.length > 1 && !parts[1].isEmpty()) {
      for (String kv : parts[1].split(",")) {
        String[] p = kv.split("=", 2);
        if (p.length != 2) {
          throw new IllegalArgumentException("modifier " + text + ": expected key=value pairs, got '" + kv + "'");
        }
        m.put(p[0], p[1]);
      }
    }
    return of(m, "modifier " + text, headDim);
  }

  /**
   * A modifier from its JSON form (values may be numbers, booleans or strings) for a kernel of head dim
   * {@code headDim} (rotary's default {@code dim} is {@code headDim / 2}); {@code where} names the source in messages.
   *
   * @throws IllegalArgumentException naming the modifier and the parameter that is wrong
   */
  public static Modifier of(Map<String, Object> m, String where, int headDim) {
    Object nameObj = m.get("name");
    if (!(nameObj instanceof String name) || !NAMES.contains(name)) {
      throw new IllegalArgumentException(where + ": name: expected one of " + new java.util.TreeSet<>(NAMES)
          + ", got " + nameObj);
    }
    Params p = new Params(m, where + " (" + name + ")");
    Modifier mod = switch (name) {
      case "alibi" -> Modifiers.alibi();
      case "soft_cap" -> Modifiers.softCap(p.dbl("cap", null));
      case "sliding_window" -> Modifiers.slidingWindow(p.integer("left", null), p.integer("right", 0));
      case "documents" -> Modifiers.documents();
      case "prefix_lm" -> Modifiers.prefixLm();
      case "sinks" -> Modifiers.sinks();
      case "softmax_plus_one" -> Modifiers.softmaxPlusOne();
      case "sigmoid" -> Modifiers.sigmoid(p.dbl("bias", 0.0));
      case "t5_bias" -> Modifiers.t5Bias(p.bool("causal", false) ? Causal.BOTTOM_RIGHT : Causal.NONE,
          p.integer("buckets", 32), p.integer("max_distance", 128), p.dbl("scale", 1.0));
      case "rotary" -> rotary(p, headDim);
      case "forgetting" -> Modifiers.forgetting(p.enumValue("gate", ForgetGate.class, ForgetGate.DATA_DEPENDENT),
          p.enumValue("direction", ForgetDirection.class, ForgetDirection.FORWARD), p.dbl("lambda", 1.0),
          p.dbl("epsilon", Modifiers.FORGET_EPSILON));
      case "value_residual" -> p.bool("per_token", false) ? Modifiers.valueResidualPerToken()
          : Modifiers.valueResidual(p.dbl("lambda", Modifiers.VALUE_RESIDUAL_LAMBDA));
      case "memory_kv" -> Modifiers.memoryKv(p.integer("count", null));
      case "cope" -> p.raw("temperature") == null ? Modifiers.cope(p.integer("max_pos", Modifiers.COPE_MAX_POS))
          : Modifiers.cope(p.integer("max_pos", Modifiers.COPE_MAX_POS), p.dbl("temperature", null));
      default -> throw new IllegalStateException(name);
    };
    p.checkAllUsed();
    return mod;
  }

  /** The modifiers of a JSON list of objects (or command-line strings, as the Maven plugin passes them). */
  @SuppressWarnings("unchecked")
  public static List<Modifier> list(Object json, String where, int headDim) {
    if (!(json instanceof List<?> l)) {
      throw new IllegalArgumentException(where + ": modifiers: expected a list of objects, got " + json);
    }
    return l.stream().map(o -> {
      if (o instanceof String text) {
        return parse(text, headDim);
      }
      if (!(o instanceof Map<?, ?>)) {
        throw new IllegalArgumentException(where + ": modifiers: expected objects with a name, got " + o);
      }
      return of((Map<String, Object>) o, where + ": modifiers", headDim);
    }).toList();
  }

  private static Modifier rotary(Params p, int headDim) {
    Object dim = p.raw("dim");
    int r = dim == null || "half".equals(dim) ? headDim / 2 : p.integer("dim", null);
    Rotary rotary = Rotary.of(r).withLayout(p.enumValue("layout", Rotary.Layout.class, Rotary.Layout.INTERLEAVED))
        .withBase(p.dbl("base", Rotary.DEFAULT_BASE)).withNtkFactor(p.dbl("ntk", 1.0))
        .withInterpolation(p.dbl("interpolation", 1.0));
    boolean perBatch = p.bool("per_batch", false);
    String pos = p.str("positions", "arange");
    RotaryPositions positions = switch (pos) {
      case "arange" -> RotaryPositions.arange();
      case "self" -> RotaryPositions.self(perBatch);
      case "cross" -> RotaryPositions.cross(perBatch);
      default -> throw new IllegalArgumentException(p.where + ": positions: expected arange, self or cross, got "
          + pos);
    };
    String special = p.str("special", "none");
    if (special.equals("none")) {
      return Modifiers.rotary(rotary, positions);
    }
    SpecialTokens tokens = switch (special) {
      case "rotate_all" -> SpecialTokens.rotateAll(p.integer("special_count", null));
      case "no_rotate_prefix" -> SpecialTokens.noRotatePrefix(p.integer("special_count", null));
      case "pairwise_exempt" -> SpecialTokens.pairwiseExempt(p.integer("special_count", null));
      case "custom_position" -> SpecialTokens.customPosition(p.integer("special_count", null),
          (float) p.dbl("special_position", 0.0));
      default -> throw new IllegalArgumentException(p.where + ": special: expected none, rotate_all,"
          + " no_rotate_prefix, pairwise_exempt or custom_position, got " + special);
    };
    return Modifiers.rotary(rotary, positions, tokens);
  }

  /** Typed access to a modifier's parameters; every key must be read once. */
  private static final class Params {
    final Map<String, Object> m;
    final String where;
    final Set<String> used = new java.util.HashSet<>(Set.of("name"));

    Params(Map<String, Object> m, String where) {
      this.m = m;
      this.where = where;
    }

    Object raw(String k) {
      used.add(k);
      return m.get(k);
    }

    double dbl(String k, Double dflt) {
      Object v = raw(k);
      if (v == null) {
        if (dflt == null) {
          throw new IllegalArgumentException(where + ": " + k + ": expected a number, missing");
        }
        return dflt;
      }
      try {
        return v instanceof Number n ? n.doubleValue() : Double.parseDouble(v.toString());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(where + ": " + k + ": expected a number, got " + v);
      }
    }

    int integer(String k, Integer dflt) {
      double v = dbl(k, dflt == null ? null : dflt.doubleValue());
      if (v != Math.rint(v)) {
        throw new IllegalArgumentException(where + ": " + k + ": expected an integer, got " + v);
      }
      return (int) v;
    }

    boolean bool(String k, boolean dflt) {
      Object v = raw(k);
      if (v == null) {
        return dflt;
      }
      if (v instanceof Boolean b || "true".equals(v) || "false".equals(v)) {
        return v instanceof Boolean b2 ? b2 : Boolean.parseBoolean(v.toString());
      }
      throw new IllegalArgumentException(where + ": " + k + ": expected true or false, got " + v);
    }

    String str(String k, String dflt) {
      Object v = raw(k);
      return v == null ? dflt : v.toString().toLowerCase(Locale.ROOT);
    }

    <E extends Enum<E>> E enumValue(String k, Class<E> type, E dflt) {
      String v = str(k, dflt.name());
      try {
        return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + k + ": expected one of "
            + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT) + ", got " + v);
      }
    }

    void checkAllUsed() {
      for (String k : m.keySet()) {
        if (!used.contains(k)) {
          throw new IllegalArgumentException(where + ": unknown parameter '" + k + "'");
        }
      }
    }
  }
}
