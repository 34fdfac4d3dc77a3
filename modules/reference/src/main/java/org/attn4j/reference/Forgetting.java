package org.attn4j.reference;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Forgetting attention, FoX (Lin et al. 2025; {@code VARIANTS.md} section 6): a score term (slot 3) built from
 * per-head, per-token log forget gates {@code a_t <= 0}. Self-attention only. Immutable.
 * <pre>
 *   F_t  = sum_{u <= t} a_u                       (cumulative, in double)
 *   B_ij = F_i - F_j          for j <= i          (the difference form: |F| grows with t, the difference does not)
 *   B_ij = F'_j - F'_i        for j >= i          (bidirectional only, with a second gate set a'; else 0)
 *   s_ij += B_ij                                  (after τ-scaling, with the other score terms)
 * </pre>
 * {@code i} and {@code j} are key-axis positions (see {@link ScoreMod}), so a KV-cache step sees the same bias as
 * the full recompute. The gate types of the official FoX code:
 * <ul>
 *   <li>{@link Type#DATA_DEPENDENT}: {@code a_t = λ log sigmoid(w_h · x_t + β_h)}, {@code x} the attention layer's
 *       normed input ({@link #dataDependent});</li>
 *   <li>{@link Type#BIAS_ONLY}: {@code a = λ log sigmoid(β_h)}, a learned constant per head ({@link #biasOnly});</li>
 *   <li>{@link Type#FIXED}: {@code a = -m_h}, exactly causal ALiBi with slope {@code m_h} ({@link #fixed});</li>
 *   <li>{@link Type#NONE}: {@code a = 0}, plain attention ({@link #none()}).</li>
 * </ul>
 * Checked against x-transformers' {@code DataDependentAlibi} ({@code Linear(dim, heads * (1 if causal else 2))},
 * bias initialised to 5, {@code LogSigmoid}, times {@code post_log_scale}, {@code cumsum}, {@code F_i - F_j};
 * bidirectional: the second half of the heads gives {@code F'_j - F'_i}, combined as {@code tril + triu}).
 */
public final class Forgetting implements ScoreMod, ShapeCheck {
  /** The gate type. */
  public enum Type {
    /** Gates computed from the layer input. */
    DATA_DEPENDENT,
    /** A learned constant gate per head. */
    BIAS_ONLY,
    /** A fixed constant gate per head: causal ALiBi. */
    FIXED,
    /** No gate. */
    NONE
  }

  /** FoX's initial gate bias {@code β}. */
  public static final double DEFAULT_BIAS = 5;

  private final Type type;
  /** Per-head constant gates {@code [h]}, or null for per-token gates. */
  private final double @Nullable [] constant;
  /** Cumulative gates {@code F [b, h, m]}, or null for per-head constant gates. */
  private final double @Nullable [] cumulative;
  private final int b;
  private final int h;
  private final int m;
  private final @Nullable Forgetting reverse;

  private Forgetting(Type type, double @Nullable [] constant, double @Nullable [] cumulative, int b, int h, int m,
      @Nullable Forgetting reverse) {
    this.type = type;
    this.constant = constant;
    this.cumulative = cumulative;
    this.b = b;
    this.h = h;
    this.m = m;
    this.reverse = reverse;
  }

  /**
   * Data-dependent gates {@code a[b, h, t] = λ log sigmoid(sum_c w[h, c] x[b, t, c] + β[h])}.
   *
   * @param x the attention layer's normed input {@code [b, m, dim]}
   * @param b the batch size
   * @param dim the model dim
   * @param w {@code [h, dim]}
   * @param beta {@code β [h]}
   * @param lambda {@code λ}, x-transformers' {@code post_log_scale} (default 1)
   * @return the gates
   */
  public static Forgetting dataDependent(float[] x, int b, int dim, float[] w, float[] beta, double lambda) {
    Objects.requireNonNull(x, "x");
    Objects.requireNonNull(w, "w");
    int h = Objects.requireNonNull(beta, "beta").length;
    Checks.length("forget gate w", "h*dim", (long) h * dim, w);
    if (b < 1 || dim < 1 || x.length % ((long) b * dim) != 0) {
      throw new IllegalArgumentException("forget gate x: expected [b = " + b + ", m, dim = " + dim + "], got "
          + x.length + " floats");
    }
    int m = x.length / (b * dim);
    double[] gates = new double[b * h * m];
    for (int bi = 0; bi < b; bi++) {
      for (int hh = 0; hh < h; hh++) {
        for (int t = 0; t < m; t++) {
          gates[(bi * h + hh) * m + t] =
              lambda * Checks.logSigmoid(Checks.dot(w, hh * dim, x, (bi * m + t) * dim, dim) + beta[hh]);
        }
      }
    }
    return fromGates(Type.DATA_DEPENDENT, gates, b, h, m);
  }

  /**
   * Given log gates (any values; FoX's are {@code <= 0}).
   *
   * @param logGates {@code a [b, h, m]}
   * @param b the batch size
   * @param h the query heads
   * @return the gates, of type {@link Type#DATA_DEPENDENT}
   */
  public static Forgetting fromLogGates(float[] logGates, int b, int h) {
    Objects.requireNonNull(logGates, "logGates");
    if (b < 1 || h < 1 || logGates.length % ((long) b * h) != 0 || logGates.length == 0) {
      throw new IllegalArgumentException("logGates: expected [b = " + b + ", h = " + h + ", m], got "
          + logGates.length + " floats");
    }
    double[] gates = new double[logGates.length];
    for (int idx = 0; idx < gates.length; idx++) {
      gates[idx] = logGates[idx];
    }
    return fromGates(Type.DATA_DEPENDENT, gates, b, h, logGates.length / (b * h));
  }

  private static Forgetting fromGates(Type type, double[] gates, int b, int h, int m) {
    double[] cumulative = new double[gates.length];
    for (int row = 0; row < b * h; row++) {
      double sum = 0;
      for (int t = 0; t < m; t++) {
        sum += gates[row * m + t];
        cumulative[row * m + t] = sum;
      }
    }
    return new Forgetting(type, null, cumulative, b, h, m, null);
  }

  /**
   * A learned constant gate per head, {@code a_h = λ log sigmoid(β_h)}.
   *
   * @param beta {@code β [h]}
   * @param lambda {@code λ}
   * @return the gates
   */
  public static Forgetting biasOnly(float[] beta, double lambda) {
    double[] gates = new double[Objects.requireNonNull(beta, "beta").length];
    for (int hh = 0; hh < gates.length; hh++) {
      gates[hh] = lambda * Checks.logSigmoid(beta[hh]);
    }
    return new Forgetting(Type.BIAS_ONLY, gates, null, 0, gates.length, 0, null);
  }

  /**
   * A fixed gate per head, {@code a_h = -slope_h}: causal ALiBi.
   *
   * @param slopes {@code [h]}, e.g. {@link Gallery#alibiSlopes(int)}
   * @return the gates
   */
  public static Forgetting fixed(double[] slopes) {
    double[] gates = new double[Objects.requireNonNull(slopes, "slopes").length];
    for (int hh = 0; hh < gates.length; hh++) {
      gates[hh] = -slopes[hh];
    }
    return new Forgetting(Type.FIXED, gates, null, 0, gates.length, 0, null);
  }

  /** {@return no gate: a bias of 0 everywhere} */
  public static Forgetting none() {
    return new Forgetting(Type.NONE, null, null, 0, 0, 0, null);
  }

  /**
   * {@return a bidirectional copy: these gates for {@code j <= i}, {@code reverse}'s as {@code F'_j - F'_i} for
   * {@code j >= i}} @param reverse the second gate set, not itself bidirectional
   */
  public Forgetting withReverse(Forgetting reverse) {
    if (Objects.requireNonNull(reverse, "reverse").reverse != null || this.reverse != null) {
      throw new IllegalArgumentException("forgetting: expected one forward and one reverse gate set, got a nested"
          + " bidirectional one");
    }
    return new Forgetting(type, constant, cumulative, b, h, m, reverse);
  }

  /** {@return the gate type} */
  public Type getType() {
    return type;
  }

  /** {@return whether a reverse gate set is attached} */
  public boolean isBidirectional() {
    return reverse != null;
  }

  /** {@return {@code F_t} of batch row {@code bi}, head {@code hh}} */
  private double cumulative(int bi, int hh, int t) {
    if (cumulative != null) {
      return cumulative[(bi * h + hh) * m + t];
    }
    return constant == null ? 0 : (t + 1) * constant[hh];
  }

  /** {@return {@code s + B_ij}} */
  @Override
  public double apply(double score, int bi, int hh, int i, int j) {
    if (j <= i) {
      return score + cumulative(bi, hh, i) - cumulative(bi, hh, j);
    }
    return reverse == null ? score : score + reverse.cumulative(bi, hh, j) - reverse.cumulative(bi, hh, i);
  }

  @Override
  public void check(CoreAttentionOracle.Options o, AttentionKind kind) {
    if (kind != AttentionKind.SELF) {
      throw new IllegalArgumentException("forgetting gates: expected SELF attention, got " + kind);
    }
    if (o.getN() > o.getM()) {
      throw new IllegalArgumentException("forgetting gates: expected n <= m (queries are the last n tokens), got n = "
          + o.getN() + ", m = " + o.getM());
    }
    if (cumulative != null) {
      Checks.equal("forgetting gates", "b", o.getB(), b);
      Checks.equal("forgetting gates", "m", o.getM(), m);
    }
    if (cumulative != null || constant != null) {
      Checks.equal("forgetting gates", "h", o.getH(), h);
    }
    if (reverse != null) {
      reverse.check(o, kind);
    }
  }
}
