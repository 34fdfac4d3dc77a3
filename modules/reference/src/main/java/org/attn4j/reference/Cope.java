package org.attn4j.reference;

import java.util.Objects;

/**
 * Contextual position encoding, CoPE (Golovneva et al. 2024; {@code VARIANTS.md} section 4): the row scan (slot 5)
 * that adds a learned, context-dependent position term to every logit. Causal attention only. Immutable.
 *
 * <p>For query {@code i} with logits {@code ŝ_ij} after scale, score terms, soft-cap and masks, over the keys of the
 * row in order (learned memory keys first) and with {@code P} positions and a table {@code E [P, d]} shared by the
 * heads:
 * <pre>
 *   g_ij = sigmoid(ŝ_ij) for a visible key, 0 for a masked one
 *   p_ij = min(sum_{t >= j} g_it, P - 1)                 (a reverse cumulative sum along the keys)
 *   z_ip = q_i · E_p                                      (q after rotary, not scaled by τ)
 *   c_ij = (1 - w) z_{i, floor p} + w z_{i, ceil p},  w = p - floor p         (linear interpolation), or
 *   c_ij = sum_p softmax_p(-|p_ij - p| / T) z_ip                              (soft one-hot, temperature T)
 *   ŝ_ij += c_ij
 * </pre>
 * Checked against x-transformers' {@code CoPE} ({@code gates = attn_logits.sigmoid()}, {@code pos =
 * gates.flip(-1).cumsum(-1).flip(-1).clamp(max = max_pos - 1)}, {@code logits_int = einsum('b h n d, p d -> b h n p',
 * query, pos_emb)}, {@code logits_ceil * w + logits_floor * (1 - w)}, and the soft one-hot {@code softmax(-|pos -
 * positions| / soft_onehot_temp)} with {@code soft_onehot_temp = 5e-2}) and {@code Attend}, which masks with
 * {@code -finfo.max} (so a masked gate is exactly 0) before {@code sim = sim + cope(q, sim)}, and passes the
 * rotated, unscaled {@code q}. Talking-heads gates are not modelled.
 */
public final class Cope {
  /** x-transformers' {@code cope_max_pos}. */
  public static final int DEFAULT_MAX_POS = 16;
  /** x-transformers' {@code soft_onehot_temp}. */
  public static final double DEFAULT_SOFT_ONE_HOT_TEMPERATURE = 0.05;

  private final float[] table;
  private final int maxPos;
  private final double temperature;

  private Cope(float[] table, int maxPos, double temperature) {
    this.table = table;
    this.maxPos = maxPos;
    this.temperature = temperature;
  }

  /**
   * CoPE with linear interpolation. Copies the table.
   *
   * @param table {@code E [P, d]} (zero-initialised in x-transformers)
   * @param maxPos {@code P >= 1}, dividing {@code table.length}
   * @return the CoPE term
   */
  public static Cope of(float[] table, int maxPos) {
    Objects.requireNonNull(table, "table");
    if (maxPos < 1 || table.length % maxPos != 0 || table.length == 0) {
      throw new IllegalArgumentException("cope table: expected [P = " + maxPos + ", d] with P >= 1, got "
          + table.length + " floats");
    }
    return new Cope(table.clone(), maxPos, Double.NaN);
  }

  /**
   * {@return a copy using the soft one-hot interpolation} @param temperature {@code T > 0} (x-transformers: 0.05)
   */
  public Cope withSoftOneHot(double temperature) {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("cope temperature = " + temperature + ": expected a finite value > 0");
    }
    return new Cope(table, maxPos, temperature);
  }

  /** {@return {@code P}} */
  public int getMaxPos() {
    return maxPos;
  }

  /** {@return whether the soft one-hot interpolation is used} */
  public boolean isSoftOneHot() {
    return !Double.isNaN(temperature);
  }

  /**
   * The row scan: adds {@code c_ij} to the visible entries of {@code s[0 .. count)}, the logits of one query whose
   * (rotated) vector starts at {@code q[qOffset]}.
   */
  void addTerms(double[] s, boolean[] visible, int count, float[] q, int qOffset) {
    int d = table.length / maxPos;
    double[] z = new double[maxPos];
    for (int p = 0; p < maxPos; p++) {
      z[p] = Checks.dot(q, qOffset, table, p * d, d);
    }
    double gates = 0;
    for (int j = count - 1; j >= 0; j--) {
      if (!visible[j]) {
        continue;
      }
      gates += Checks.sigmoid(s[j]);
      s[j] += interpolate(z, Math.min(gates, maxPos - 1));
    }
  }

  private double interpolate(double[] z, double p) {
    if (isSoftOneHot()) {
      double[] weights = new double[maxPos];
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < maxPos; k++) {
        weights[k] = -Math.abs(p - k) / temperature;
        max = Math.max(max, weights[k]);
      }
      double sum = 0;
      double term = 0;
      for (int k = 0; k < maxPos; k++) {
        double e = Math.exp(weights[k] - max);
        sum += e;
        term += e * z[k];
      }
      return term / sum;
    }
    int floor = (int) Math.floor(p);
    int ceil = (int) Math.ceil(p);
    double w = p - floor;
    return (1 - w) * z[floor] + w * z[ceil];
  }

  void check(CoreAttentionOracle.Options o) {
    if (o.getCausal() != Causal.BOTTOM_RIGHT) {
      throw new IllegalArgumentException("cope: expected causal = BOTTOM_RIGHT (CoPE is causal only), got "
          + o.getCausal());
    }
    Checks.equal("cope table", "P*d", maxPos * o.getD(), table.length);
  }
}
