package org.attn4j.attention;

import org.attn4j.te.Expr;
import org.attn4j.te.Var;
import org.jspecify.annotations.Nullable;

/**
 * The template's hook points (VARIANTS.md §8) through which variants change the core. Empty slots
 * ({@link #none()}) give plain scaled dot-product attention. This release wires the pointwise score slot (3)
 * and the mask slot (4); the prologue, row-scan, normaliser and epilogue slots come with the variants that use
 * them.
 *
 * <p>Indices seen by the slots: {@code b} the batch row, {@code h} the query head, {@code j} the key, and
 * {@code i} the query's position on the key axis, {@code i = row + (m - n)} (right-aligned like the causal mask:
 * {@code i == j} is the diagonal and a KV-cache step sees the same {@code i} as the full recompute, as in
 * x-transformers' ALiBi). FlexAttention passes the raw row; the two agree when {@code n == m}.
 *
 * @param scoreMod slot (3): {@code s'_ij = scoreMod(s_ij, b, h, i, j)}, applied after scaling; null = identity
 * @param maskMod slot (4): key {@code j} stays visible to query {@code i} only if {@code maskMod(b, h, i, j)};
 *     null = no extra mask
 */
public record Slots(@Nullable ScoreMod scoreMod, @Nullable MaskMod maskMod) {
  /** A pointwise modifier of the scaled logit {@code s} at {@code (b, h, i, j)}. */
  @FunctionalInterface
  public interface ScoreMod {
    /** The modified logit. */
    Expr apply(Expr s, Var b, Var h, Var i, Var j);
  }

  /** A predicate: whether key {@code j} is visible to query {@code i} of head {@code h}, batch row {@code b}. */
  @FunctionalInterface
  public interface MaskMod {
    /** A boolean expression. */
    Expr apply(Var b, Var h, Var i, Var j);
  }

  /** No modification: the core alone. */
  public static Slots none() {
    return new Slots(null, null);
  }
}
