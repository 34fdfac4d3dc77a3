package org.attn4j.attention;

import java.util.Objects;
import java.util.function.Function;
import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.Te;
import org.attn4j.te.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * Slot (5), a row scan: contextual position encoding, CoPE (Golovneva et al. 2024; VARIANTS.md §4). Causal only.
 * Filled by {@link Modifiers#cope(int)}. For query {@code i}, with {@code ŝ_ij} the logit after scale, score terms
 * (soft-cap included) and masks, {@code P} positions and the table {@code E [p, d]} shared by the heads:
 * <pre>
 *   g_ij = sigmoid(ŝ_ij) for a visible key, 0 for a masked one
 *   p_ij = min(Σ_{t >= j} g_it, P - 1)                 (a reverse cumulative sum along the keys of the row)
 *   z_ip = q'_i · E_p                                   (q' after rotary, NOT scaled by τ)   [b h n p]
 *   c_ij = (1 - w) z_{i, floor p} + w z_{i, ceil p},  w = p - floor p       (linear), or
 *   c_ij = Σ_p softmax_p(-|p_ij - p| / T) z_ip                             (soft one-hot, temperature T)
 *   ŝ_ij += c_ij      (visible keys), then the normaliser
 * </pre>
 * The gates are those of the logits before the CoPE term. Schedules scan each row's keys from its last visible
 * key backwards, carrying {@code Σ g}; the generic compute materialises {@code z} ({@link AttentionStages#COPE_Z})
 * and {@code p} ({@link AttentionStages#COPE_POS}).
 *
 * @param table {@code cope_table [p, d]} (float32), the captured kernel input
 * @param maxPos {@code P >= 1}
 * @param softOneHotTemperature {@code T > 0} for the soft one-hot interpolation; null for linear interpolation
 */
public record Cope(Tensor table, int maxPos, @Nullable Double softOneHotTemperature) {
  /** Checks the parts. */
  public Cope {
    Objects.requireNonNull(table, "table");
    if (maxPos < 1) {
      throw new IllegalArgumentException("cope: expected P >= 1 positions, got " + maxPos);
    }
    if (softOneHotTemperature != null
        && (!(softOneHotTemperature > 0) || Double.isInfinite(softOneHotTemperature))) {
      throw new IllegalArgumentException("cope temperature: expected a finite T > 0, got " + softOneHotTemperature);
    }
  }

  /** The gate {@code g = sigmoid(ŝ)} of a visible logit, 0 for a masked one (float32). */
  public Expr gate(Te te, Expr logit, Expr visible) {
    return te.select(visible, te.sigmoid(logit), te.f32(0));
  }

  /** The clamped position {@code min(Σ g, P - 1)} of a gate sum (float32). */
  public Expr position(Te te, Expr gateSum) {
    return te.minimum(gateSum, te.f32(maxPos - 1));
  }

  /**
   * The CoPE term {@code c} at clamped position {@code p} (float32, in {@code [0, P - 1]}), reading the row's
   * position logits through {@code z} (position index of type {@code indexType} to {@code z_ip}).
   */
  public Expr term(Te te, Expr p, DType indexType, Function<Expr, Expr> z) {
    if (softOneHotTemperature == null) {
      if (maxPos == 1) {
        return z.apply(te.constant(0, indexType));
      }
      Expr fl = te.floor(p);
      Expr lo = te.minimum(fl.cast(indexType), te.constant(maxPos - 1, indexType));
      Expr hi = te.minimum(lo.plus(te.constant(1, indexType)), te.constant(maxPos - 1, indexType));
      Expr w = p.minus(fl);
      // (1 - w) z_floor + w z_ceil; at an integer p, w = 0 and ceil = floor
      return te.f32(1).minus(w).times(z.apply(lo)).plus(w.times(z.apply(hi)));
    }
    // soft one-hot: softmax over the P positions of -|p - k| / T, shifted by its maximum (at the nearest k)
    double inv = 1 / softOneHotTemperature;
    Expr nearest = te.floor(p.plus(0.5));
    Expr top = te.abs(p.minus(nearest));
    Expr num = te.f32(0);
    Expr den = te.f32(0);
    for (int k = 0; k < maxPos; k++) {
      Expr e = te.exp(top.minus(te.abs(p.minus((double) k))).times(inv));
      num = num.plus(e.times(z.apply(te.constant(k, indexType))));
      den = den.plus(e);
    }
    return num.div(den);
  }
}
