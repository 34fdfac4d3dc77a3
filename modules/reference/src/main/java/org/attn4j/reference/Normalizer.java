package org.attn4j.reference;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The normaliser (slot 6 of {@code VARIANTS.md} section 8): how the final logits {@code s_ij} of a row become the
 * weights {@code P_ij} of {@code out_i = sum_j P_ij v_j}. Immutable. Over the visible keys {@code V(i)}:
 * <pre>
 *   SOFTMAX:  P_ij = exp(s_ij - lse_i),  lse_i = log sum_{j in V(i)} exp(s_ij)
 *   SINK:     P_ij = exp(s_ij - lse_i),  lse_i = log(exp(σ_h) + sum_{j in V(i)} exp(s_ij))
 *             (a learned sink logit σ_h per query head, as gpt-oss; σ_h = 0 is softmax+1, i.e. x-transformers'
 *             add_zero_kv, a zero key and value that every row sees; σ_h = -Infinity is plain softmax)
 *   SIGMOID:  P_ij = sigmoid(s_ij + β)   (sigmoid attention with a bias β, e.g. -log m; x-transformers'
 *             sigmoid = True is β = 0); no lse is defined
 * </pre>
 * A row with no visible key outputs zeros and {@code lse = -Infinity} whatever the normaliser (the epilogue's rule).
 */
public final class Normalizer {
  /** The kind of normaliser. */
  public enum Kind {
    /** Softmax over the visible keys. */
    SOFTMAX,
    /** Softmax with a sink logit per query head in the denominator. */
    SINK,
    /** Elementwise sigmoid of the logit plus a bias. */
    SIGMOID
  }

  private static final Normalizer SOFTMAX = new Normalizer(Kind.SOFTMAX, null, 0);

  private final Kind kind;
  private final float @Nullable [] sinks;
  private final double constant;

  private Normalizer(Kind kind, float @Nullable [] sinks, double constant) {
    this.kind = kind;
    this.sinks = sinks;
    this.constant = constant;
  }

  /** {@return plain softmax, the default} */
  public static Normalizer softmax() {
    return SOFTMAX;
  }

  /**
   * {@return softmax with a learned sink logit per query head} Copies the array.
   *
   * @param sinks {@code σ [h]}, each finite or {@code -Infinity}
   */
  public static Normalizer sinks(float[] sinks) {
    for (float sink : Objects.requireNonNull(sinks, "sinks")) {
      if (Float.isNaN(sink) || sink == Float.POSITIVE_INFINITY) {
        throw new IllegalArgumentException("sinks: expected finite values or -Infinity, got " + sink);
      }
    }
    return new Normalizer(Kind.SINK, sinks.clone(), 0);
  }

  /** {@return softmax+1: a sink of 0 for every head} */
  public static Normalizer softmaxPlusOne() {
    return new Normalizer(Kind.SINK, null, 0);
  }

  /** {@return sigmoid attention {@code P_ij = sigmoid(s_ij + bias)}} @param bias {@code β}, finite */
  public static Normalizer sigmoid(double bias) {
    return new Normalizer(Kind.SIGMOID, null, Checks.finite("sigmoid bias", bias));
  }

  /** {@return the kind} */
  public Kind getKind() {
    return kind;
  }

  /** {@return whether a log-sum-exp is defined (not for {@link Kind#SIGMOID})} */
  public boolean hasLse() {
    return kind != Kind.SIGMOID;
  }

  /**
   * Writes the weights of the visible entries of {@code s} into {@code p} and returns the row's lse (NaN for
   * sigmoid). At least one entry is visible.
   */
  double weights(double[] s, boolean[] visible, int count, int head, double[] p) {
    if (kind == Kind.SIGMOID) {
      for (int j = 0; j < count; j++) {
        p[j] = visible[j] ? Checks.sigmoid(s[j] + constant) : 0;
      }
      return Double.NaN;
    }
    double sink = kind == Kind.SINK ? (sinks == null ? constant : sinks[head]) : Double.NEGATIVE_INFINITY;
    double max = sink;
    for (int j = 0; j < count; j++) {
      if (visible[j]) {
        max = Math.max(max, s[j]);
      }
    }
    double sum = Math.exp(sink - max);
    for (int j = 0; j < count; j++) {
      if (visible[j]) {
        sum += Math.exp(s[j] - max);
      }
    }
    for (int j = 0; j < count; j++) {
      p[j] = visible[j] ? Math.exp(s[j] - max) / sum : 0;
    }
    return max + Math.log(sum);
  }

  void check(CoreAttentionOracle.Options o) {
    if (sinks != null) {
      Checks.equal("sinks", "h", o.getH(), sinks.length);
    }
  }
}
