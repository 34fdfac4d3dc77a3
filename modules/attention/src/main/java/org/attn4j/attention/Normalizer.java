package org.attn4j.attention;

import org.attn4j.te.Expr;
import org.attn4j.te.Te;
import org.attn4j.te.Var;

/**
 * Slot (6), the normaliser: how the final logits {@code s_ij} of a row over its visible keys {@code V(i)} become
 * the weights of {@code out_i = Σ_j P_ij v_j}. The TE compute and the loop-nest schedules share
 * {@link #output} and {@link #lse}, written in terms of the row's running max {@code μ}, sum
 * {@code ℓ = Σ_{j∈V(i)} exp(s_ij - μ)} and unnormalised {@code a = Σ_{j∈V(i)} exp(s_ij - μ) v_j}.
 * <pre>
 *   softmax:  P_ij = exp(s_ij - lse_i),  lse_i = log Σ_{j∈V(i)} exp(s_ij)
 *   sink σ_h: P_ij = exp(s_ij - lse_i),  lse_i = log(exp(σ_h) + Σ_{j∈V(i)} exp(s_ij))
 *             (σ_h = 0: softmax+1 / x-transformers' add_zero_kv; σ_h = -inf: softmax)
 *   sigmoid:  P_ij = sigmoid(s_ij + β), no lse
 * </pre>
 * A row with no visible key outputs 0 (and lse -inf) whatever the normaliser. The sink is folded in once per
 * row after the keys: {@code μ' = max(μ, σ)}, {@code ℓ' = ℓ·e^(μ-μ') + e^(σ-μ')}, {@code out = a·e^(μ-μ')/ℓ'},
 * so the key loop is the softmax one.
 */
public sealed interface Normalizer {
  /** {@return plain softmax, the default} */
  static Normalizer softmax() {
    return new Softmax();
  }

  /** {@return softmax with a sink logit per query head, {@code σ_h = logit(h)} (e.g. read from a capture)} */
  static Normalizer sink(HeadTerm logit) {
    return new Sink(logit);
  }

  /** {@return sigmoid attention, {@code P_ij = sigmoid(s_ij + bias)}} */
  static Normalizer sigmoid(double bias) {
    return new Sigmoid(bias);
  }

  /** A per-head scalar, e.g. {@code h -> sinks.get(h)}. */
  @FunctionalInterface
  interface HeadTerm {
    /** A float32 expression of the query head {@code h}. */
    Expr apply(Var h);
  }

  /**
   * The output element from the unnormalised {@code acc}, row max {@code max} and row sum {@code sum} of head
   * {@code h}, zero for a row with no visible key ({@code sum == 0}).
   */
  Expr output(Expr acc, Expr max, Expr sum, Var h);

  /**
   * The row log-sum-exp, {@code -inf} for an empty row.
   *
   * @throws IllegalStateException for sigmoid (no lse is defined)
   */
  Expr lse(Expr max, Expr sum, Var h);

  /** Softmax. */
  record Softmax() implements Normalizer {
    @Override
    public Expr output(Expr acc, Expr max, Expr sum, Var h) {
      return nonEmpty(sum, acc.div(sum), 0);
    }

    @Override
    public Expr lse(Expr max, Expr sum, Var h) {
      return nonEmpty(sum, max.plus(max.getTe().log(sum)), Double.NEGATIVE_INFINITY);
    }
  }

  /** Softmax with a sink logit per head in the denominator. @param logit {@code σ_h} */
  record Sink(HeadTerm logit) implements Normalizer {
    @Override
    public Expr output(Expr acc, Expr max, Expr sum, Var h) {
      Expr[] f = fold(max, sum, h);
      return nonEmpty(sum, acc.times(f[1]).div(f[2]), 0);
    }

    @Override
    public Expr lse(Expr max, Expr sum, Var h) {
      Expr[] f = fold(max, sum, h);
      return nonEmpty(sum, f[0].plus(max.getTe().log(f[2])), Double.NEGATIVE_INFINITY);
    }

    /** {μ' = max(μ, σ), r = e^(μ - μ'), ℓ' = ℓ r + e^(σ - μ')}. */
    private Expr[] fold(Expr max, Expr sum, Var h) {
      Te te = max.getTe();
      Expr sigma = logit.apply(h).cast(max.getDtype());
      Expr mu = te.maximum(max, sigma);
      Expr r = te.exp(max.minus(mu));
      return new Expr[] {mu, r, sum.times(r).plus(te.exp(sigma.minus(mu)))};
    }
  }

  /** Sigmoid attention. @param bias {@code β} */
  record Sigmoid(double bias) implements Normalizer {
    /** Checks the bias is finite. */
    public Sigmoid {
      if (!Double.isFinite(bias)) {
        throw new IllegalArgumentException("sigmoid bias: expected a finite β, got " + bias);
      }
    }

    /** {@code P = sigmoid(s + β)}. */
    public Expr weight(Expr logit) {
      return logit.getTe().sigmoid(logit.plus(bias));
    }

    @Override
    public Expr output(Expr acc, Expr max, Expr sum, Var h) {
      return acc;
    }

    @Override
    public Expr lse(Expr max, Expr sum, Var h) {
      throw new IllegalStateException("lse: not defined for sigmoid attention");
    }
  }

  private static Expr nonEmpty(Expr sum, Expr value, double empty) {
    return sum.getTe().select(sum.gt(0.0), value, sum.getTe().f32(empty));
  }
}
