package org.attn4j.reference;

/**
 * How rotary treats the first {@code S} tokens of a self-attention sequence (memory tokens, CLS tokens:
 * {@code VARIANTS.md} section 3). Key {@code j} is special iff {@code j < S}; query {@code row} is special iff its
 * key-axis position {@code row + (m - n) < S}. Immutable.
 *
 * <p>x-transformers lays out {@code [memory tokens | CLS tokens | tokens]} and rotates them all with positions
 * {@code 0 .. S+n-1} ({@link Mode#ROTATE_ALL}); the other modes are attn4j's.
 */
public final class SpecialTokens {
  /** The treatment of the special tokens. */
  public enum Mode {
    /** Rotate every token with its position: x-transformers parity (the count {@code S} changes nothing). */
    ROTATE_ALL,
    /** The special tokens are not rotated (RoPE-ViT's CLS), which is the same as giving them position 0. */
    NO_ROTATE_PREFIX,
    /**
     * Logit {@code (i, j)} uses the raw {@code q_i · k_j} when query {@code i} or key {@code j} is special and the
     * rotated one otherwise (x-transformers issue 249): only the first {@code S} rows and columns differ from
     * {@link #ROTATE_ALL}. A special query also uses its raw vector against learned memory keys (which are never
     * rotated); CoPE reads the rotated query.
     */
    PAIRWISE_EXEMPT,
    /** All special tokens rotate with one given position. */
    CUSTOM_POSITION
  }

  private final Mode mode;
  private final int count;
  private final float position;

  private SpecialTokens(Mode mode, int count, float position) {
    if (count < 0) {
      throw new IllegalArgumentException("special tokens: expected a count S >= 0, got " + count);
    }
    this.mode = mode;
    this.count = count;
    this.position = position;
  }

  /** {@return {@link Mode#ROTATE_ALL} over {@code count} special tokens} @param count {@code S >= 0} */
  public static SpecialTokens rotateAll(int count) {
    return new SpecialTokens(Mode.ROTATE_ALL, count, 0);
  }

  /** {@return {@link Mode#NO_ROTATE_PREFIX} over {@code count} special tokens} @param count {@code S >= 0} */
  public static SpecialTokens noRotatePrefix(int count) {
    return new SpecialTokens(Mode.NO_ROTATE_PREFIX, count, 0);
  }

  /** {@return {@link Mode#PAIRWISE_EXEMPT} over {@code count} special tokens} @param count {@code S >= 0} */
  public static SpecialTokens pairwiseExempt(int count) {
    return new SpecialTokens(Mode.PAIRWISE_EXEMPT, count, 0);
  }

  /**
   * {@return {@link Mode#CUSTOM_POSITION}: the {@code count} special tokens all rotate with {@code position}}
   *
   * @param count {@code S >= 0}
   * @param position the shared position
   */
  public static SpecialTokens customPosition(int count, float position) {
    return new SpecialTokens(Mode.CUSTOM_POSITION, count, position);
  }

  /** {@return the mode} */
  public Mode getMode() {
    return mode;
  }

  /** {@return the number of special tokens {@code S}} */
  public int getCount() {
    return count;
  }

  /** {@return the shared position of {@link Mode#CUSTOM_POSITION} (0 for the other modes)} */
  public float getPosition() {
    return position;
  }

  /** Whether the token at key-axis position {@code t} is special. */
  boolean isSpecial(long t) {
    return t >= 0 && t < count;
  }

  /** The position a token at key-axis position {@code t} rotates with, or NaN for "not rotated". */
  float rotatedPosition(long t, float position) {
    if (!isSpecial(t)) {
      return position;
    }
    return mode == Mode.CUSTOM_POSITION ? this.position : mode == Mode.NO_ROTATE_PREFIX ? Float.NaN : position;
  }

  void check(CoreAttentionOracle.Options o, AttentionKind kind) {
    if (kind != AttentionKind.SELF) {
      throw new IllegalArgumentException("special tokens: expected SELF attention, got " + kind);
    }
    if (count > o.getM()) {
      throw new IllegalArgumentException("special tokens: expected S <= m = " + o.getM() + ", got " + count);
    }
  }
}
