package org.attn4j.attention;

import java.util.Objects;

/**
 * How rotary treats the first {@code S} tokens of a self-attention sequence: CLS or memory tokens laid out as
 * x-transformers does, {@code [memory | CLS | tokens]} (VARIANTS.md §3). Key {@code j} is special iff {@code j < S};
 * query row {@code i} iff its key-axis position {@code i + (m - n) < S}. Immutable.
 */
public final class SpecialTokens {
  /** The treatment. */
  public enum Mode {
    /** Rotate every token with its position: x-transformers parity. */
    ROTATE_ALL,
    /** Special tokens are not rotated (RoPE-ViT's CLS): the same as position 0. */
    NO_ROTATE_PREFIX,
    /**
     * Logit {@code (i, j)} uses the raw {@code q_i·k_j} when query {@code i} or key {@code j} is special, the
     * rotated one otherwise (x-transformers issue 249): only the first {@code S} rows and columns differ.
     */
    PAIRWISE_EXEMPT,
    /** Every special token rotates with one given position. */
    CUSTOM_POSITION
  }

  private final Mode mode;
  private final int count;
  private final float position;

  private SpecialTokens(Mode mode, int count, float position) {
    if (count < 1) {
      throw new IllegalArgumentException("special tokens: expected a count S >= 1, got " + count);
    }
    if (!Float.isFinite(position)) {
      throw new IllegalArgumentException("special tokens: expected a finite position, got " + position);
    }
    this.mode = Objects.requireNonNull(mode, "mode");
    this.count = count;
    this.position = position;
  }

  /** {@link Mode#ROTATE_ALL} over {@code count} tokens. */
  public static SpecialTokens rotateAll(int count) {
    return new SpecialTokens(Mode.ROTATE_ALL, count, 0);
  }

  /** {@link Mode#NO_ROTATE_PREFIX} over {@code count} tokens. */
  public static SpecialTokens noRotatePrefix(int count) {
    return new SpecialTokens(Mode.NO_ROTATE_PREFIX, count, 0);
  }

  /** {@link Mode#PAIRWISE_EXEMPT} over {@code count} tokens. */
  public static SpecialTokens pairwiseExempt(int count) {
    return new SpecialTokens(Mode.PAIRWISE_EXEMPT, count, 0);
  }

  /** {@link Mode#CUSTOM_POSITION}: the {@code count} tokens all rotate with {@code position}. */
  public static SpecialTokens customPosition(int count, float position) {
    return new SpecialTokens(Mode.CUSTOM_POSITION, count, position);
  }

  /** The mode. */
  public Mode getMode() {
    return mode;
  }

  /** {@code S}. */
  public int getCount() {
    return count;
  }

  /** The shared position of {@link Mode#CUSTOM_POSITION} (0 otherwise). */
  public float getPosition() {
    return position;
  }

  /** A short name, e.g. {@code exempt4}, {@code at0p5x2}. */
  public String getName() {
    return switch (mode) {
      case ROTATE_ALL -> "rotall" + count;
      case NO_ROTATE_PREFIX -> "norot" + count;
      case PAIRWISE_EXEMPT -> "exempt" + count;
      case CUSTOM_POSITION -> "at" + Float.toString(position).replace('.', 'p').replace('-', 'm') + "x" + count;
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SpecialTokens s && s.mode == mode && s.count == count
        && Float.compare(s.position, position) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(mode, count, position);
  }

  @Override
  public String toString() {
    return "SpecialTokens[" + getName() + "]";
  }
}
