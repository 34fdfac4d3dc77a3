package org.attn4j.attention;

import java.util.Objects;
import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.Te;
import org.jspecify.annotations.Nullable;

/**
 * Slot (1), the q/k prologue: rotary embedding applied as q and k are loaded (VARIANTS.md §1-3). Filled by
 * {@link Modifiers#rotary}; schedules either call {@link #rotate} per element or, for speed, rotate whole pairs
 * with {@link #getRotary()}'s frequencies. Positions are float32 expressions of (batch row, row index, the row's
 * position on the key axis).
 *
 * @param rotary the rotary parameters
 * @param queries the position of query row {@code t} ({@code 0 <= t < n}, at {@code t + m - n} on the key axis) of
 *     batch row {@code b}, before the special tokens' rule
 * @param keys the position of key {@code t} ({@code 0 <= t < m}) of batch row {@code b}, before the special
 *     tokens' rule
 * @param special the special tokens, or null
 */
public record Rotation(Rotary rotary, PositionOf queries, PositionOf keys, @Nullable SpecialTokens special) {
  /** Checks the parts are given. */
  public Rotation {
    Objects.requireNonNull(rotary, "rotary");
    Objects.requireNonNull(queries, "queries");
    Objects.requireNonNull(keys, "keys");
  }

  /** A float32 position as a function of the batch row, the row index and its key-axis position (any width). */
  @FunctionalInterface
  public interface PositionOf {
    /** The position expression. */
    Expr apply(Expr b, Expr t, Expr onKeyAxis);
  }

  /** Element {@code c} of one row of q or k (any integer width), as it is loaded. */
  @FunctionalInterface
  public interface Row {
    /** The raw element. */
    Expr get(Expr c);
  }

  /** The rotary parameters. */
  public Rotary getRotary() {
    return rotary;
  }

  /** The special tokens, or null. */
  public @Nullable SpecialTokens getSpecial() {
    return special;
  }

  /**
   * The position query row {@code row} rotates with, the special tokens' rule applied ({@code p = row + m - n}
   * on the key axis decides whether it is special).
   */
  public Expr queryPosition(Te te, Expr b, Expr row, Expr n, Expr m) {
    Expr p = row.plus(m.minus(n));
    return special(te, p, queries.apply(b, row, p));
  }

  /** The position key {@code j} rotates with, the special tokens' rule applied. */
  public Expr keyPosition(Te te, Expr b, Expr j) {
    return special(te, j, keys.apply(b, j, j));
  }

  private Expr special(Te te, Expr t, Expr position) {
    if (special == null) {
      return position;
    }
    return switch (special.getMode()) {
      case ROTATE_ALL, PAIRWISE_EXEMPT -> position;
      case NO_ROTATE_PREFIX -> te.select(t.lt(te.constant(special.getCount(), t.getDtype())), te.f32(0), position);
      case CUSTOM_POSITION -> te.select(t.lt(te.constant(special.getCount(), t.getDtype())),
          te.f32(special.getPosition()), position);
    };
  }

  /**
   * For {@link SpecialTokens.Mode#PAIRWISE_EXEMPT}: whether logit {@code (i, j)} ({@code i} on the key axis) uses
   * the raw {@code q·k}; null for the other modes.
   */
  public @Nullable Expr exempt(Te te, Expr i, Expr j) {
    if (special == null || special.getMode() != SpecialTokens.Mode.PAIRWISE_EXEMPT) {
      return null;
    }
    return i.lt(te.constant(special.getCount(), i.getDtype())).or(j.lt(te.constant(special.getCount(), j.getDtype())));
  }

  /** Whether some logits use the raw product ({@link SpecialTokens.Mode#PAIRWISE_EXEMPT}). */
  public boolean hasExemptPairs() {
    return special != null && special.getMode() == SpecialTokens.Mode.PAIRWISE_EXEMPT;
  }

  /** The fp32 angle {@code (t·ω)/ι} of a position and a frequency, in x-transformers' order. */
  public Expr angle(Te te, Expr position, Expr omega) {
    Expr phi = position.times(omega);
    return rotary.getInterpolation() == 1 ? phi : phi.div(te.f32(rotary.getInterpolation()));
  }

  /** The fp32 frequency {@code ω_k} of pair {@code k} (an integer expression), as a chain of constants. */
  public Expr omega(Te te, Expr k) {
    float[] w = rotary.inverseFrequencies();
    Expr omega = te.f32(0);
    for (int kk = w.length - 1; kk >= 0; kk--) {
      omega = te.select(k.eq(te.constant(kk, k.getDtype())), te.f32(w[kk]), omega);
    }
    return omega;
  }

  /** The pair index of dim {@code c} (meaningful for {@code c < r}). */
  public Expr pairOf(Te te, Expr c) {
    DType it = c.getDtype();
    if (rotary.getLayout() == Rotary.Layout.INTERLEAVED) {
      return c.div(te.constant(2, it));
    }
    Expr h = te.constant(rotary.getDim() / 2, it);
    return te.select(c.lt(h), c, c.minus(h));
  }

  /** The angle of dim {@code c}'s pair at {@code position} (0 for the dims past {@code r}, which pass through). */
  public Expr elementAngle(Te te, Expr position, Expr c) {
    return te.select(c.lt(te.constant(rotary.getDim(), c.getDtype())), angle(te, position, omega(te, pairOf(te, c))),
        te.f32(0));
  }

  /**
   * Element {@code c} of {@code x} rotated, given the sine and cosine of its pair's angle
   * ({@link #elementAngle}): {@code x_c cos φ ∓ x_partner sin φ}; the dims past {@code r} pass through.
   */
  public Expr rotate(Te te, Row x, Expr c, Expr sin, Expr cos) {
    int r = rotary.getDim();
    DType it = c.getDtype();
    Expr inRotary = c.lt(te.constant(r, it));
    Expr partner;
    Expr first;
    if (rotary.getLayout() == Rotary.Layout.INTERLEAVED) {
      Expr odd = c.rem(2);
      partner = c.plus(te.constant(1, it)).minus(odd.plus(odd));
      first = odd.eq(te.constant(0, it));
    } else {
      Expr h = te.constant(r / 2, it);
      first = c.lt(h);
      partner = te.select(first, c.plus(h), c.minus(h));
    }
    partner = te.select(inRotary, partner, c);
    Expr self = x.get(c).cast(DType.FLOAT32);
    Expr other = x.get(partner).cast(DType.FLOAT32).times(sin).times(te.select(first, te.f32(-1), te.f32(1)));
    return te.select(inRotary, self.times(cos).plus(other), self);
  }
}
