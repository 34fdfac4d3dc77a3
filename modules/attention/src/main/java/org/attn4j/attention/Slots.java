package org.attn4j.attention;

import java.util.Objects;
import org.attn4j.te.Expr;
import org.attn4j.te.Var;
import org.jspecify.annotations.Nullable;

/**
 * The template's hook points (VARIANTS.md §8) through which variants change the core. Empty slots
 * ({@link #none()}) give plain scaled dot-product attention. Wired here: the pointwise score slot (3), the mask
 * slot (4) with optional key bounds for block skipping, and the normaliser slot (6); the prologue, row-scan and
 * epilogue slots come with the variants that use them. Users fill slots through a {@link Modifier}; the gallery
 * is {@link Modifiers}.
 *
 * <p>Indices seen by the slots: {@code b} the batch row, {@code h} the query head, {@code j} the key, and
 * {@code i} the query's position on the key axis, {@code i = row + (m - n)} (right-aligned like the causal mask:
 * {@code i == j} is the diagonal and a KV-cache step sees the same {@code i} as the full recompute, as in
 * x-transformers' ALiBi). FlexAttention passes the raw row; the two agree when {@code n == m}. Index variables
 * are int32 in the tensor-expression compute and int64 in loop-nest schedules: write slots so that they work
 * for either (integer constants and mixed widths are promoted by TVM; cast to float explicitly).
 *
 * @param scoreMod slot (3): {@code s'_ij = scoreMod(s_ij, b, h, i, j)}, applied after scaling; null = identity
 * @param maskMod slot (4): key {@code j} stays visible to query {@code i} only if {@code maskMod(b, h, i, j)};
 *     null = no extra mask
 * @param keyRange an optional promise about {@code maskMod}: it hides every key outside
 *     {@code [first(i), last(i)]}; schedules may skip whole key blocks outside it (the mask still decides)
 * @param normalizer slot (6): how logits become weights
 */
public record Slots(@Nullable ScoreMod scoreMod, @Nullable MaskMod maskMod, @Nullable KeyRange keyRange,
    Normalizer normalizer) {

  /** Checks {@code normalizer} is given. */
  public Slots {
    Objects.requireNonNull(normalizer, "normalizer");
  }

  /** Score and mask slots with softmax and no key bounds. */
  public Slots(@Nullable ScoreMod scoreMod, @Nullable MaskMod maskMod) {
    this(scoreMod, maskMod, null, Normalizer.softmax());
  }

  /** A pointwise modifier of the scaled logit {@code s} at {@code (b, h, i, j)}. */
  @FunctionalInterface
  public interface ScoreMod {
    /** The modified logit (float32). */
    Expr apply(Expr s, Var b, Var h, Var i, Var j);
  }

  /** A predicate: whether key {@code j} is visible to query {@code i} of head {@code h}, batch row {@code b}. */
  @FunctionalInterface
  public interface MaskMod {
    /** A boolean expression. */
    Expr apply(Var b, Var h, Var i, Var j);
  }

  /** A key index as a function of {@code (b, h, i)}, e.g. {@code i - left}. */
  @FunctionalInterface
  public interface KeyBound {
    /** An integer expression. */
    Expr apply(Var b, Var h, Var i);
  }

  /**
   * The keys a mask can show to query {@code i}: {@code first(i) <= j <= last(i)}, both inclusive and both
   * non-decreasing in {@code i} (schedules take a query block's range from its first and last rows). Bounds
   * outside {@code [0, m)} are fine.
   *
   * @param first the first key that may be visible
   * @param last the last key that may be visible
   */
  public record KeyRange(KeyBound first, KeyBound last) {
    /** Checks both bounds are given. */
    public KeyRange {
      Objects.requireNonNull(first, "first");
      Objects.requireNonNull(last, "last");
    }

    /** The keys both ranges allow (for the AND of their masks). */
    public KeyRange intersect(KeyRange o) {
      return new KeyRange((b, h, i) -> {
        Expr x = first.apply(b, h, i);
        return x.getTe().maximum(x, o.first.apply(b, h, i));
      }, (b, h, i) -> {
        Expr x = last.apply(b, h, i);
        return x.getTe().minimum(x, o.last.apply(b, h, i));
      });
    }
  }

  /** No modification: the core alone. */
  public static Slots none() {
    return new Slots(null, null);
  }

  /** Only a score term. */
  public static Slots score(ScoreMod mod) {
    return new Slots(mod, null);
  }

  /** Only a mask. */
  public static Slots mask(MaskMod mask) {
    return new Slots(null, mask);
  }

  /** A mask that hides every key outside {@code range} (see {@link KeyRange}). */
  public static Slots mask(MaskMod mask, KeyRange range) {
    return new Slots(null, mask, range, Normalizer.softmax());
  }

  /** Only a normaliser. */
  public static Slots normalizer(Normalizer normalizer) {
    return new Slots(null, null, null, normalizer);
  }

  /**
   * These slots followed by {@code next}'s: score terms apply in order ({@code next}'s to this one's result),
   * masks are ANDed, key ranges intersect.
   *
   * @throws IllegalArgumentException if both set a normaliser other than softmax
   */
  public Slots then(Slots next) {
    ScoreMod s1 = scoreMod;
    ScoreMod s2 = next.scoreMod;
    MaskMod m1 = maskMod;
    MaskMod m2 = next.maskMod;
    boolean default1 = normalizer instanceof Normalizer.Softmax;
    if (!default1 && !(next.normalizer instanceof Normalizer.Softmax)) {
      throw new IllegalArgumentException("normalizer: expected at most one modifier to set it, got "
          + normalizer + " and " + next.normalizer);
    }
    return new Slots(
        s1 == null ? s2 : s2 == null ? s1 : (s, b, h, i, j) -> s2.apply(s1.apply(s, b, h, i, j), b, h, i, j),
        m1 == null ? m2 : m2 == null ? m1 : (b, h, i, j) -> m1.apply(b, h, i, j).and(m2.apply(b, h, i, j)),
        keyRange == null ? next.keyRange : next.keyRange == null ? keyRange : keyRange.intersect(next.keyRange),
        default1 ? next.normalizer : normalizer);
  }
}
