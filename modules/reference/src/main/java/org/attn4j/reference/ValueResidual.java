package org.attn4j.reference;

import java.util.Objects;

/**
 * The value residual of ResFormer ({@code VARIANTS.md} section 6), the v prologue (slot 2): a later layer's values
 * blend with the first layer's, {@code v <- v1 + λ (v - v1)}, with {@code λ} per batch row, kv head and token. As
 * x-transformers' {@code value_residual.lerp(v, mix)} with {@code mix = sigmoid(W x + c)} ({@code
 * to_value_residual_mix}) or the constant 0.5 when not learned; attn4j takes {@code λ} per kv head (x-transformers'
 * per-query-head mix fails to broadcast when {@code h_kv < h}; the two agree when {@code h_kv = h}). Immutable;
 * copies its arrays.
 */
public final class ValueResidual {
  /** x-transformers' mix when it is not learned. */
  public static final double DEFAULT_LAMBDA = 0.5;

  private final float[] firstValues;
  private final double[] lambda;
  private final double constant;

  private ValueResidual(float[] firstValues, double[] lambda, double constant) {
    this.firstValues = firstValues.clone();
    this.lambda = lambda;
    this.constant = constant;
  }

  /**
   * A constant mix: {@code v <- v1 + λ (v - v1)} everywhere.
   *
   * @param firstValues the first layer's values {@code v1 [b, h_kv, m, d]}
   * @param lambda the mix, finite ({@code 1} keeps {@code v}, {@code 0} gives {@code v1})
   * @return the residual
   */
  public static ValueResidual constant(float[] firstValues, double lambda) {
    return new ValueResidual(Objects.requireNonNull(firstValues, "firstValues"), new double[0],
        Checks.finite("value residual λ", lambda));
  }

  /**
   * A mix per token and kv head.
   *
   * @param firstValues {@code v1 [b, h_kv, m, d]}
   * @param lambda {@code λ [b, h_kv, m]}
   * @return the residual
   */
  public static ValueResidual perToken(float[] firstValues, float[] lambda) {
    double[] mix = new double[Objects.requireNonNull(lambda, "lambda").length];
    for (int idx = 0; idx < mix.length; idx++) {
      mix[idx] = lambda[idx];
    }
    return new ValueResidual(Objects.requireNonNull(firstValues, "firstValues"), mix, Double.NaN);
  }

  /**
   * The learned mix {@code λ[b, g, t] = sigmoid(sum_c w[g, c] x[b, t, c] + bias[g])}, {@code x} being the layer's
   * normed input over the keys.
   *
   * @param firstValues {@code v1 [b, h_kv, m, d]}
   * @param x the normed input {@code [b, m, dim]}
   * @param b the batch size
   * @param dim the model dim
   * @param w {@code [h_kv, dim]}
   * @param bias {@code [h_kv]}
   * @return the residual
   */
  public static ValueResidual learned(float[] firstValues, float[] x, int b, int dim, float[] w, float[] bias) {
    Objects.requireNonNull(x, "x");
    Objects.requireNonNull(w, "w");
    Objects.requireNonNull(bias, "bias");
    int hKv = bias.length;
    Checks.length("value residual w", "h_kv*dim", (long) hKv * dim, w);
    if (b < 1 || dim < 1 || x.length % ((long) b * dim) != 0) {
      throw new IllegalArgumentException("value residual x: expected [b = " + b + ", m, dim = " + dim
          + "], got " + x.length + " floats");
    }
    int m = x.length / (b * dim);
    double[] mix = new double[b * hKv * m];
    for (int bi = 0; bi < b; bi++) {
      for (int g = 0; g < hKv; g++) {
        for (int t = 0; t < m; t++) {
          mix[(bi * hKv + g) * m + t] = Checks.sigmoid(Checks.dot(w, g * dim, x, (bi * m + t) * dim, dim) + bias[g]);
        }
      }
    }
    return new ValueResidual(Objects.requireNonNull(firstValues, "firstValues"), mix, Double.NaN);
  }

  /** {@return {@code v1 + λ (v - v1)} as a new array} */
  float[] blend(float[] v, int d) {
    float[] out = new float[v.length];
    for (int idx = 0; idx < v.length; idx++) {
      double mix = lambda.length == 0 ? constant : lambda[idx / d];
      out[idx] = (float) (firstValues[idx] + mix * ((double) v[idx] - firstValues[idx]));
    }
    return out;
  }

  void check(CoreAttentionOracle.Options o) {
    Checks.length("value residual v1", "b*h_kv*m*d", o.getKvSize(), firstValues);
    if (lambda.length != 0 && lambda.length != (long) o.getB() * o.getHKv() * o.getM()) {
      throw new IllegalArgumentException("value residual λ: expected b*h_kv*m = "
          + (long) o.getB() * o.getHKv() * o.getM() + " values, got " + lambda.length);
    }
  }
}
