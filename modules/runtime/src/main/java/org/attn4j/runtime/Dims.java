package org.attn4j.runtime;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Values of the symbolic dims of one call: for attention {@code b} (batch), {@code n} (queries), {@code m}
 * (keys); for an attention layer {@code b} and {@code n}. Immutable.
 */
public final class Dims {
  private final Map<String, Long> values;

  private Dims(Map<String, Long> values) {
    this.values = Map.copyOf(values);
  }

  /** {@code b}, {@code n} and {@code m} of an attention call. */
  public static Dims of(long b, long n, long m) {
    Map<String, Long> v = new LinkedHashMap<>();
    v.put("b", b);
    v.put("n", n);
    v.put("m", m);
    return new Dims(v);
  }

  /** {@code b} and {@code n} of an attention-layer call (self-attention: no separate {@code m}). */
  public static Dims of(long b, long n) {
    Map<String, Long> v = new LinkedHashMap<>();
    v.put("b", b);
    v.put("n", n);
    return new Dims(v);
  }

  /** Any named dims. */
  public static Dims of(Map<String, Long> values) {
    return new Dims(values);
  }

  /**
   * The value of {@code name}.
   *
   * @throws IllegalArgumentException if the dim was not given
   */
  public long get(String name) {
    Long v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException("dim " + name + ": expected a value, none given (given: " + values + ")");
    }
    return v;
  }

  /** The values. */
  public Map<String, Long> asMap() {
    return values;
  }

  @Override
  public String toString() {
    return values.toString();
  }
}
