package org.attn4j.attention;

import java.util.Objects;
import org.attn4j.te.Expr;
import org.attn4j.te.Var;
import org.jspecify.annotations.Nullable;

/**
 * The template's hook points (VARIANTS.md §8) through which variants change the core. Empty slots
 * ({@link #none()}) give plain scaled dot-product attention. Wired here: the q/k prologue (1, {@link Rotation}), the
 * v prologue (2, {@link ValueMix}), the pointwise score slot (3), the mask slot (4) with optional key bounds and a
 * data-dependent skip promise ({@link Negligible}) for block skipping, the row scan (5, {@link Cope}) and the
 * normaliser slot (6); the epilogue slot comes with the variants that use it. Users fill slots through a
 * {@link Modifier}; the gallery is {@link Modifiers}.
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
 * @param rotation slot (1): rotary on q and k as they are loaded; null = none
 * @param valueMix slot (2): {@code v' = valueMix(v, b, h_kv, j, c)} as v is loaded; null = identity
 * @param negligible an optional promise for data-dependent block skipping (see {@link Negligible}); null = none
 * @param cope slot (5): the CoPE row scan, after the masks and before the normaliser; null = none
 * @param memory learned memory key/values prepended to every row's keys ({@link Memory}); null = none
 */
public record Slots(@Nullable ScoreMod scoreMod, @Nullable MaskMod maskMod, @Nullable KeyRange keyRange,
    Normalizer normalizer, @Nullable Rotation rotation, @Nullable ValueMix valueMix,
    @Nullable Negligible negligible, @Nullable Cope cope, @Nullable Memory memory) {

  /** Checks {@code normalizer} is given. */
  public Slots {
    Objects.requireNonNull(normalizer, "normalizer");
  }

  /** Every slot but the row scan and memory. */
  public Slots(@Nullable ScoreMod scoreMod, @Nullable MaskMod maskMod, @Nullable KeyRange keyRange,
      Normalizer normalizer, @Nullable Rotation rotation, @Nullable ValueMix valueMix,
      @Nullable Negligible negligible) {
    this(scoreMod, maskMod, keyRange, normalizer, rotation, valueMix, negligible, null, null);
  }

  /** Score, mask, key range and normaliser slots, no prologues, no skip promise. */
  public Slots(@Nullable ScoreMod scoreMod, @Nullable MaskMod maskMod, @Nullable KeyRange keyRange,
      Normalizer normalizer) {
    this(scoreMod, maskMod, keyRange, normalizer, null, null, null, null, null);
  }

  /** Score and mask slots with softmax and no key bounds. */
  public Slots(@Nullable ScoreMod scoreMod, @Nullable MaskMod maskMod) {
    this(scoreMod, maskMod, null, Normalizer.softmax());
  }

  /**
   * A pointwise modifier of a value element as it is loaded: {@code v' = f(v, b, h_kv, j, c)} (float32), e.g. the
   * value residual's blend {@code v1 + λ (v - v1)}. Indices are of any integer width.
   */
  @FunctionalInterface
  public interface ValueMix {
    /** The modified value element (float32). */
    Expr apply(Expr v, Expr b, Expr hKv, Expr j, Expr c);
  }

  /**
   * Learned memory key/values (x-transformers' {@code num_mem_kv}, VARIANTS.md §3): {@code M} keys and values per
   * kv head, shared by the batch, prepended to every row's keys. They are never rotated, always visible (no causal
   * mask, key length or mask slot applies), take no score term, and read values as they are (no value mix).
   *
   * @param keys {@code [h_kv, M, d]}
   * @param values {@code [h_kv, M, d]}
   * @param count {@code M}
   */
  public record Memory(org.attn4j.te.Tensor keys, org.attn4j.te.Tensor values, int count) {
    /** Checks the parts. */
    public Memory {
      Objects.requireNonNull(keys, "keys");
      Objects.requireNonNull(values, "values");
      if (count < 1) {
        throw new IllegalArgumentException("memory: expected M >= 1 key/values, got " + count);
      }
    }
  }

  /**
   * A data-dependent promise: when {@code apply(b, h, iFirst, jLast)} is true, every key {@code j <= jLast} has a
   * negligible weight for every query whose key-axis position is {@code >= iFirst} (the modifier states its ε),
   * so schedules may skip those keys; schedules that do not skip give the exact result. Must be monotone: true
   * for {@code (iFirst, jLast)} implies true for any larger {@code iFirst} and smaller {@code jLast}.
   */
  @FunctionalInterface
  public interface Negligible {
    /** A boolean expression. */
    Expr apply(Expr b, Expr h, Expr iFirst, Expr jLast);
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

  /** Only a q/k prologue. */
  public static Slots rotation(Rotation rotation) {
    return new Slots(null, null, null, Normalizer.softmax(), Objects.requireNonNull(rotation, "rotation"), null,
        null, null, null);
  }

  /** Only a v prologue. */
  public static Slots valueMix(ValueMix mix) {
    return new Slots(null, null, null, Normalizer.softmax(), null, Objects.requireNonNull(mix, "mix"), null, null,
        null);
  }

  /** Only learned memory key/values. */
  public static Slots memory(Memory memory) {
    return new Slots(null, null, null, Normalizer.softmax(), null, null, null, null,
        Objects.requireNonNull(memory, "memory"));
  }

  /** Only a row scan. */
  public static Slots cope(Cope cope) {
    return new Slots(null, null, null, Normalizer.softmax(), null, null, null, Objects.requireNonNull(cope, "cope"),
        null);
  }

  /** These slots with a skip promise added (ORed with any promise they already make). */
  public Slots withNegligible(Negligible promise) {
    Objects.requireNonNull(promise, "promise");
    Negligible before = negligible;
    return new Slots(scoreMod, maskMod, keyRange, normalizer, rotation, valueMix, before == null ? promise
        : (b, h, i, j) -> before.apply(b, h, i, j).or(promise.apply(b, h, i, j)), cope, memory);
  }

  /**
   * These slots followed by {@code next}'s: score terms apply in order ({@code next}'s to this one's result),
   * masks are ANDed, key ranges intersect.
   *
   * @throws IllegalArgumentException if both set a normaliser other than softmax, a rotation, a value mix or a row
   *     scan
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
    if (rotation != null && next.rotation != null) {
      throw new IllegalArgumentException("rotation: expected at most one modifier to set the q/k prologue, got two");
    }
    if (memory != null && next.memory != null) {
      throw new IllegalArgumentException("memory: expected at most one modifier to add memory key/values, got two");
    }
    if (valueMix != null && next.valueMix != null) {
      throw new IllegalArgumentException("valueMix: expected at most one modifier to set the v prologue, got two");
    }
    if (cope != null && next.cope != null) {
      throw new IllegalArgumentException("cope: expected at most one modifier to set the row scan, got two");
    }
    Negligible n1 = negligible;
    Negligible n2 = next.negligible;
    return new Slots(
        s1 == null ? s2 : s2 == null ? s1 : (s, b, h, i, j) -> s2.apply(s1.apply(s, b, h, i, j), b, h, i, j),
        m1 == null ? m2 : m2 == null ? m1 : (b, h, i, j) -> m1.apply(b, h, i, j).and(m2.apply(b, h, i, j)),
        keyRange == null ? next.keyRange : next.keyRange == null ? keyRange : keyRange.intersect(next.keyRange),
        default1 ? next.normalizer : normalizer,
        rotation != null ? rotation : next.rotation,
        valueMix != null ? valueMix : next.valueMix,
        n1 == null ? n2 : n2 == null ? n1 : (b, h, i, j) -> n1.apply(b, h, i, j).or(n2.apply(b, h, i, j)),
        cope != null ? cope : next.cope,
        memory != null ? memory : next.memory);
  }
}
