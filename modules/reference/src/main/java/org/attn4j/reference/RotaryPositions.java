package org.attn4j.reference;

import org.jspecify.annotations.Nullable;

/**
 * Which positions the rotary prologue gives the queries and the keys ({@code VARIANTS.md} sections 1 and 2).
 * Immutable; positions are floats (fractional positions are allowed), shared {@code [len]} or per batch row
 * {@code [b, len]}.
 *
 * <ul>
 *   <li>{@link #defaults()}, self-attention: key {@code j} at position {@code j}, query {@code row} at
 *       {@code row + (m - n)} (x-transformers' {@code arange} positions, the queries taking the last {@code n}).</li>
 *   <li>{@link #self(float[])}, self-attention: the keys' positions {@code [b?, m]}; query {@code row} takes key
 *       position {@code row + (m - n)}, as x-transformers' {@code freqs[:, -seq_len:]}.</li>
 *   <li>{@link #cross(float[], float[])}, cross-attention with x-transformers' {@code context_pos}: queries rotate
 *       with {@code pos [b?, n]}, keys with {@code context_pos [b?, m]}, both in one position space. Without it a
 *       cross-attention applies no rotary (set no rotary at all).</li>
 * </ul>
 */
public final class RotaryPositions {
  private static final RotaryPositions DEFAULTS = new RotaryPositions(null, null);

  private final float @Nullable [] queryPositions;
  private final float @Nullable [] keyPositions;

  private RotaryPositions(float @Nullable [] queryPositions, float @Nullable [] keyPositions) {
    this.queryPositions = queryPositions == null ? null : queryPositions.clone();
    this.keyPositions = keyPositions == null ? null : keyPositions.clone();
  }

  /** {@return self-attention positions {@code 0 .. m-1} for the keys, the queries aligned to the last {@code n}} */
  public static RotaryPositions defaults() {
    return DEFAULTS;
  }

  /**
   * Self-attention positions given per key; the queries take the last {@code n}. Copies the array.
   *
   * @param keyPositions {@code [m]} or {@code [b, m]}
   * @return the positions
   */
  public static RotaryPositions self(float[] keyPositions) {
    return new RotaryPositions(null, java.util.Objects.requireNonNull(keyPositions, "keyPositions"));
  }

  /**
   * Cross-attention positions (x-transformers' {@code pos} and {@code context_pos}). Copies the arrays.
   *
   * @param queryPositions {@code [n]} or {@code [b, n]}
   * @param contextPositions {@code [m]} or {@code [b, m]}
   * @return the positions
   */
  public static RotaryPositions cross(float[] queryPositions, float[] contextPositions) {
    return new RotaryPositions(java.util.Objects.requireNonNull(queryPositions, "queryPositions"),
        java.util.Objects.requireNonNull(contextPositions, "contextPositions"));
  }

  /** {@return whether these are cross-attention positions (queries and context given separately)} */
  public boolean isCross() {
    return queryPositions != null;
  }

  /** Checks the lengths against the call and the kind of attention. */
  void check(CoreAttentionOracle.Options o, AttentionKind kind) {
    if (isCross() != (kind == AttentionKind.CROSS)) {
      throw new IllegalArgumentException(isCross()
          ? "rotary: context positions need CROSS attention, got SELF"
          : "rotary: CROSS attention rotates only with context positions (RotaryPositions.cross), got self positions");
    }
    if (queryPositions != null) {
      Rotary.checkPositions("rotary query positions", queryPositions, o.getB(), o.getN());
    } else if (o.getN() > o.getM()) {
      throw new IllegalArgumentException("rotary: self-attention queries take the last n key positions; expected"
          + " n <= m, got n = " + o.getN() + ", m = " + o.getM());
    }
    if (keyPositions != null) {
      Rotary.checkPositions("rotary key positions", keyPositions, o.getB(), o.getM());
    }
  }

  /** The position of query {@code row} of batch row {@code bi}. */
  float query(int bi, int row, int n, int m) {
    return queryPositions != null ? Rotary.position(queryPositions, bi, row, n) : key(bi, row + (m - n), m);
  }

  /** The position of key {@code j} of batch row {@code bi}. */
  float key(int bi, int j, int m) {
    return keyPositions != null ? Rotary.position(keyPositions, bi, j, m) : j;
  }
}
