package org.attn4j.reference;

import java.util.Objects;

/**
 * Learned memory key/values ({@code VARIANTS.md} section 3, x-transformers' {@code num_mem_kv}): {@code M} keys and
 * values per key/value head, shared by the batch, prepended to every row's keys after rotary. Memory keys are never
 * rotated, always visible (no causal mask, key length or mask mod applies to them), and get no score term (bias 0);
 * the scale, the soft-cap, CoPE's gates and the normaliser treat them as ordinary keys, exactly as x-transformers'
 * {@code Attention} does ({@code k = cat((mem_k, k))}, masks padded with {@code True}, biases with 0, the causal mask
 * right-aligned over {@code M + m} keys). Immutable; copies its arrays.
 *
 * <p>Example: {@code MemoryKv.of(memK, memV, 4)} with {@code memK, memV} of {@code [h_kv, 4, d]}.
 */
public final class MemoryKv {
  private final float[] keys;
  private final float[] values;
  private final int count;

  private MemoryKv(float[] keys, float[] values, int count) {
    this.keys = keys.clone();
    this.values = values.clone();
    this.count = count;
  }

  /**
   * Memory key/values.
   *
   * @param keys {@code [h_kv, M, d]}
   * @param values {@code [h_kv, M, d]}
   * @param count {@code M >= 1}
   * @return the memory
   * @throws IllegalArgumentException if {@code M < 1} or the two arrays differ in length
   */
  public static MemoryKv of(float[] keys, float[] values, int count) {
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(values, "values");
    if (count < 1) {
      throw new IllegalArgumentException("memory kv: expected a count M >= 1, got " + count);
    }
    Checks.length("memory values", "length of memory keys", keys.length, values);
    return new MemoryKv(keys, values, count);
  }

  /** {@return the number of memory keys {@code M}} */
  public int getCount() {
    return count;
  }

  float key(int hk, int slot, int c, int d) {
    return keys[(hk * count + slot) * d + c];
  }

  float[] keys() {
    return keys;
  }

  float[] values() {
    return values;
  }

  void check(CoreAttentionOracle.Options o) {
    Checks.length("memory keys", "h_kv*M*d", (long) o.getHKv() * count * o.getD(), keys);
  }
}
