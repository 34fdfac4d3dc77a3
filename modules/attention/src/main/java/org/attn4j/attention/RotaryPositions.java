package org.attn4j.attention;

import java.util.Objects;

/**
 * Where the rotary prologue takes its positions from (VARIANTS.md §1-2). Positions are float32 (fractional ones
 * allowed), shared by the batch ({@code [len]}) or per batch row ({@code [b, len]}), and are kernel inputs.
 * <ul>
 *   <li>{@link #arange()}: self-attention, key {@code j} at position {@code j}, query row {@code i} at
 *       {@code i + (m - n)} (x-transformers' default; no input);</li>
 *   <li>{@link #self(boolean)}: self-attention with given key positions {@code rotary_pos [b?, m]}; query row
 *       {@code i} takes key position {@code i + (m - n)} (x-transformers' {@code freqs[:, -seq_len:]});</li>
 *   <li>{@link #cross(boolean)}: cross-attention with x-transformers' {@code pos} and {@code context_pos}:
 *       queries rotate with {@code rotary_pos_q [b?, n]}, keys with {@code rotary_pos_k [b?, m]}, one position
 *       space, {@code n != m} allowed. Needs a spec with {@link AttentionSpec#isCross()}.</li>
 * </ul>
 * A cross-attention spec without cross positions takes no rotary at all (x-transformers' behaviour).
 */
public final class RotaryPositions {
  /** The source of positions. */
  public enum Kind {
    /** Indices on the key axis; no input. */
    ARANGE,
    /** Given key positions, queries aligned to the last {@code n}. */
    SELF,
    /** Separate query and context positions. */
    CROSS
  }

  private final Kind kind;
  private final boolean perBatch;

  private RotaryPositions(Kind kind, boolean perBatch) {
    this.kind = Objects.requireNonNull(kind, "kind");
    this.perBatch = perBatch;
  }

  /** Positions {@code 0 .. m-1}, computed in the kernel. */
  public static RotaryPositions arange() {
    return new RotaryPositions(Kind.ARANGE, false);
  }

  /** Self-attention positions read from {@code rotary_pos}: {@code [b, m]} if {@code perBatch}, else {@code [m]}. */
  public static RotaryPositions self(boolean perBatch) {
    return new RotaryPositions(Kind.SELF, perBatch);
  }

  /**
   * Cross-attention positions read from {@code rotary_pos_q [b?, n]} and {@code rotary_pos_k [b?, m]} ({@code b}
   * present if {@code perBatch}).
   */
  public static RotaryPositions cross(boolean perBatch) {
    return new RotaryPositions(Kind.CROSS, perBatch);
  }

  /** The source. */
  public Kind getKind() {
    return kind;
  }

  /** Whether the position inputs have a batch dim. */
  public boolean isPerBatch() {
    return perBatch;
  }

  /** A short name: {@code arange}, {@code pos}, {@code bpos}, {@code xpos}, {@code bxpos}. */
  public String getName() {
    return switch (kind) {
      case ARANGE -> "arange";
      case SELF -> perBatch ? "bpos" : "pos";
      case CROSS -> perBatch ? "bxpos" : "xpos";
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RotaryPositions p && p.kind == kind && p.perBatch == perBatch;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, perBatch);
  }

  @Override
  public String toString() {
    return "RotaryPositions[" + getName() + "]";
  }
}
