package org.attn4j.reference;

import java.util.Objects;
import org.attn4j.reference.CoreAttentionOracle.Options;
import org.jspecify.annotations.Nullable;

/**
 * The oracle of a pre-norm self-attention layer with in-attention conditioning ({@code VARIANTS.md} section 5), so
 * that the add of the condition, the norm and the projections can be fused into a kernel's prologue and tested.
 * For {@code x [b, n, dim]}, an optional condition {@code z [b, dim]} (broadcast over {@code n}) or
 * {@code [b, n, dim]}, and weights in PyTorch's {@code Linear} layout {@code [out, in]}:
 * <pre>
 *   z'  = z * sigmoid(w_g · x0_t)          (the optional learned gate, per token; x0 = the stack's input)
 *   u   = norm(x + z')                      (z is added BEFORE the pre-norm, as x-transformers' code does)
 *   q   = u Wq^T  -> [b, h, n, d],   k = u Wk^T, v = u Wv^T -> [b, h_kv, n, d]      ('b n (h d) -> b h n d')
 *   o   = AttentionOracle(core spec)(q, k, v), with FoX gates and the value residual computed from u
 *   out = x + o Wo^T                        ('b h n d -> b n (h d)'; the residual carries x without z)
 * </pre>
 * Norms (no bias): LayerNorm {@code (u - mean) / sqrt(var + 1e-5) * γ} (PyTorch's {@code nn.LayerNorm}, biased
 * variance), RMSNorm {@code u / max(||u||, 1e-12) * sqrt(dim) * γ} (x-transformers' {@code RMSNorm} via
 * {@code F.normalize}). x-transformers stores {@code γ - 1} when {@code norm_add_unit_offset} is on (its default):
 * pass the effective {@code γ}. Checked against x-transformers' {@code AttentionLayers.forward} ({@code x, inner_residual
 * = residual_fn.prepare(x)}; {@code x = x + inp_inject}; {@code x = pre_norm(x)}; {@code inp_inject = in_attn_cond *
 * learned_reinject_input_gate(x).sigmoid()} with {@code Linear(dim, 1, bias = False)} on the stack's input) and
 * {@code Attention.forward} ({@code data_dependent_alibi(x)} and {@code to_value_residual_mix(q_input)} on the normed
 * input). Every projection and norm is computed in double and rounded to fp32 where a kernel stores a tensor.
 */
public final class AttentionLayerOracle {
  /** The pre-norm. */
  public enum Norm {
    /** LayerNorm without bias, {@code eps = 1e-5}. */
    LAYER_NORM,
    /** x-transformers' RMSNorm: {@code u / max(||u||, 1e-12) * sqrt(dim) * γ}. */
    RMS_NORM
  }

  private AttentionLayerOracle() {}

  /**
   * The layer without a condition. Equivalent to {@code run(layer, x, null, null)}.
   *
   * @param layer the layer
   * @param x {@code [b, n, dim]}
   * @return {@code [b, n, dim]}, owned by the caller
   */
  public static float[] run(Layer layer, float[] x) {
    return run(layer, x, null, null);
  }

  /**
   * The layer with a condition; the gate, if any, reads {@code x} as the stack's input. Equivalent to
   * {@code run(layer, x, z, x)}.
   *
   * @param layer the layer
   * @param x {@code [b, n, dim]}
   * @param z {@code [b, dim]} or {@code [b, n, dim]}, or {@code null}
   * @return {@code [b, n, dim]}, owned by the caller
   */
  public static float[] run(Layer layer, float[] x, float @Nullable [] z) {
    return run(layer, x, z, x);
  }

  /**
   * The layer. Borrows every array.
   *
   * @param layer the layer
   * @param x the residual stream {@code [b, n, dim]}
   * @param z the condition {@code [b, dim]} or {@code [b, n, dim]}, or {@code null}
   * @param x0 the stack's input {@code [b, n, dim]} read by the gate, or {@code null} (required with a gate)
   * @return {@code [b, n, dim]}, owned by the caller
   * @throws IllegalArgumentException if an array has the wrong length, or a gate has no {@code x0}
   */
  public static float[] run(Layer layer, float[] x, float @Nullable [] z, float @Nullable [] x0) {
    Objects.requireNonNull(layer, "layer");
    Options o = layer.core.getOptions();
    int b = o.getB();
    int n = o.getN();
    int dim = layer.dim;
    int tokens = b * n;
    Checks.length("x", "b*n*dim", (long) tokens * dim, x);
    // (0) in-attention conditioning, then the pre-norm.
    double[] u = new double[tokens * dim];
    for (int t = 0; t < tokens; t++) {
      double gate = 1;
      if (z != null && layer.gate != null) {
        if (x0 == null) {
          throw new IllegalArgumentException("x0: expected [b, n, dim] (read by the condition gate), got null");
        }
        Checks.length("x0", "b*n*dim", (long) tokens * dim, x0);
        gate = Checks.sigmoid(Checks.dot(layer.gate, 0, x0, t * dim, dim));
      }
      for (int c = 0; c < dim; c++) {
        u[t * dim + c] = x[t * dim + c] + gate * condition(z, b, n, dim, t, c);
      }
    }
    float[] normed = norm(layer.norm, u, tokens, dim, layer.gamma);
    // (1) projections, split into heads.
    int d = o.getD();
    float[] q = toHeads(project(normed, tokens, dim, layer.wq, o.getH() * d), b, n, o.getH(), d);
    float[] k = toHeads(project(normed, tokens, dim, layer.wk, o.getHKv() * d), b, n, o.getHKv(), d);
    float[] v = toHeads(project(normed, tokens, dim, layer.wv, o.getHKv() * d), b, n, o.getHKv(), d);
    // (2) the core, with the input-dependent slots computed from the normed input.
    AttentionOracle.Spec.Builder spec = layer.core.toBuilder();
    if (layer.foxW != null && layer.foxBeta != null) {
      spec.scoreMod(Forgetting.dataDependent(normed, b, dim, layer.foxW, layer.foxBeta, layer.foxLambda));
    }
    if (layer.firstValues != null) {
      spec.valueResidual(layer.mixW == null || layer.mixBias == null
          ? ValueResidual.constant(layer.firstValues, ValueResidual.DEFAULT_LAMBDA)
          : ValueResidual.learned(layer.firstValues, normed, b, dim, layer.mixW, layer.mixBias));
    }
    float[] heads = AttentionOracle.run(spec.build(), q, k, v);
    // (3) merge heads, output projection, residual.
    float[] projected = project(fromHeads(heads, b, n, o.getH(), d), tokens, o.getH() * d, layer.wo, dim);
    float[] out = new float[tokens * dim];
    for (int idx = 0; idx < out.length; idx++) {
      out[idx] = (float) ((double) x[idx] + projected[idx]);
    }
    return out;
  }

  private static double condition(float @Nullable [] z, int b, int n, int dim, int token, int c) {
    if (z == null) {
      return 0;
    }
    if (z.length == b * dim) {
      return z[(token / n) * dim + c];
    }
    Checks.length("z", "b*dim or b*n*dim", (long) b * n * dim, z);
    return z[token * dim + c];
  }

  /**
   * The pre-norm of {@code rows} vectors of {@code dim} values, rounded to fp32.
   *
   * @param norm the kind
   * @param u {@code [rows, dim]}
   * @param rows the number of vectors
   * @param dim the model dim
   * @param gamma {@code γ [dim]}
   * @return {@code [rows, dim]}
   */
  static float[] norm(Norm norm, double[] u, int rows, int dim, float[] gamma) {
    float[] out = new float[rows * dim];
    for (int r = 0; r < rows; r++) {
      double mean = 0;
      if (norm == Norm.LAYER_NORM) {
        for (int c = 0; c < dim; c++) {
          mean += u[r * dim + c] / dim;
        }
      }
      double squares = 0;
      for (int c = 0; c < dim; c++) {
        squares += (u[r * dim + c] - mean) * (u[r * dim + c] - mean);
      }
      double divisor = norm == Norm.LAYER_NORM ? Math.sqrt(squares / dim + 1e-5)
          : Math.max(Math.sqrt(squares), 1e-12) / Math.sqrt(dim);
      for (int c = 0; c < dim; c++) {
        out[r * dim + c] = (float) ((u[r * dim + c] - mean) / divisor * gamma[c]);
      }
    }
    return out;
  }

  /** {@code y = x W^T} for {@code x [rows, in]} and {@code W [out, in]}, rounded to fp32. */
  static float[] project(float[] x, int rows, int in, float[] w, int out) {
    float[] y = new float[rows * out];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < out; o++) {
        y[r * out + o] = (float) Checks.dot(x, r * in, w, o * in, in);
      }
    }
    return y;
  }

  /** {@code 'b n (h d) -> b h n d'}. */
  static float[] toHeads(float[] x, int b, int n, int heads, int d) {
    return rearrange(x, b, n, heads, d, true);
  }

  /** {@code 'b h n d -> b n (h d)'}. */
  static float[] fromHeads(float[] x, int b, int n, int heads, int d) {
    return rearrange(x, b, n, heads, d, false);
  }

  private static float[] rearrange(float[] x, int b, int n, int heads, int d, boolean split) {
    float[] out = new float[x.length];
    for (int bi = 0; bi < b; bi++) {
      for (int t = 0; t < n; t++) {
        for (int hh = 0; hh < heads; hh++) {
          int merged = ((bi * n + t) * heads + hh) * d;
          int headed = ((bi * heads + hh) * n + t) * d;
          System.arraycopy(x, split ? merged : headed, out, split ? headed : merged, d);
        }
      }
    }
    return out;
  }

  /**
   * A layer: the model dim, the norm, the weights and the core spec (self-attention, {@code m = n}). Immutable;
   * copies its arrays. Build one with {@link #builder(int, AttentionOracle.Spec)}.
   */
  public static final class Layer {
    private final int dim;
    private final AttentionOracle.Spec core;
    private final Norm norm;
    private final float[] gamma;
    private final float[] wq;
    private final float[] wk;
    private final float[] wv;
    private final float[] wo;
    private final float @Nullable [] gate;
    private final float @Nullable [] foxW;
    private final float @Nullable [] foxBeta;
    private final double foxLambda;
    private final float @Nullable [] firstValues;
    private final float @Nullable [] mixW;
    private final float @Nullable [] mixBias;

    private Layer(Builder b) {
      this.dim = b.dim;
      this.core = b.core;
      this.norm = b.norm;
      this.gamma = Objects.requireNonNull(b.gamma, "gamma is not set").clone();
      this.wq = Objects.requireNonNull(b.wq, "projections are not set").clone();
      this.wk = Objects.requireNonNull(b.wk, "wk").clone();
      this.wv = Objects.requireNonNull(b.wv, "wv").clone();
      this.wo = Objects.requireNonNull(b.wo, "wo").clone();
      this.gate = b.gate;
      this.foxW = b.foxW;
      this.foxBeta = b.foxBeta;
      this.foxLambda = b.foxLambda;
      this.firstValues = b.firstValues;
      this.mixW = b.mixW;
      this.mixBias = b.mixBias;
    }

    /**
     * A new builder.
     *
     * @param dim the model dim, {@code >= 1}
     * @param core the core spec: self-attention with {@code m = n}; its q/k/v come from the projections
     * @return a new builder
     */
    public static Builder builder(int dim, AttentionOracle.Spec core) {
      return new Builder(dim, Objects.requireNonNull(core, "core"));
    }

    /** {@return the model dim} */
    public int getDim() {
      return dim;
    }

    /** {@return the core spec} */
    public AttentionOracle.Spec getCore() {
      return core;
    }

    /** Builds a {@link Layer}. Required: {@link #norm} and {@link #projections}. Copies every array. */
    public static final class Builder {
      private final int dim;
      private final AttentionOracle.Spec core;
      private Norm norm = Norm.LAYER_NORM;
      private float @Nullable [] gamma;
      private float @Nullable [] wq;
      private float @Nullable [] wk;
      private float @Nullable [] wv;
      private float @Nullable [] wo;
      private float @Nullable [] gate;
      private float @Nullable [] foxW;
      private float @Nullable [] foxBeta;
      private double foxLambda = 1;
      private float @Nullable [] firstValues;
      private float @Nullable [] mixW;
      private float @Nullable [] mixBias;

      private Builder(int dim, AttentionOracle.Spec core) {
        this.dim = dim;
        this.core = core;
      }

      /** {@return this builder} @param norm the kind @param gamma {@code γ [dim]}, the effective gain */
      public Builder norm(Norm norm, float[] gamma) {
        this.norm = Objects.requireNonNull(norm, "norm");
        this.gamma = Objects.requireNonNull(gamma, "gamma").clone();
        return this;
      }

      /**
       * Sets the projections, PyTorch {@code Linear} layout {@code [out, in]}, no bias.
       *
       * @param wq {@code [h*d, dim]}
       * @param wk {@code [h_kv*d, dim]}
       * @param wv {@code [h_kv*d, dim]}
       * @param wo {@code [dim, h*d]}
       * @return this builder
       */
      public Builder projections(float[] wq, float[] wk, float[] wv, float[] wo) {
        this.wq = Objects.requireNonNull(wq, "wq").clone();
        this.wk = Objects.requireNonNull(wk, "wk").clone();
        this.wv = Objects.requireNonNull(wv, "wv").clone();
        this.wo = Objects.requireNonNull(wo, "wo").clone();
        return this;
      }

      /** {@return this builder} @param w the condition gate {@code w_g [dim]}, or {@code null} for none */
      public Builder conditionGate(float @Nullable [] w) {
        this.gate = w == null ? null : w.clone();
        return this;
      }

      /**
       * Data-dependent FoX gates from the normed input: {@code a = λ log sigmoid(w u + β)}.
       *
       * @param w {@code [h, dim]}
       * @param beta {@code β [h]}
       * @param lambda {@code λ}
       * @return this builder
       */
      public Builder forgetGate(float[] w, float[] beta, double lambda) {
        this.foxW = Objects.requireNonNull(w, "w").clone();
        this.foxBeta = Objects.requireNonNull(beta, "beta").clone();
        this.foxLambda = Checks.finite("forget gate λ", lambda);
        return this;
      }

      /**
       * The value residual, its mix learned from the normed input, or 0.5 when {@code w} and {@code bias} are null.
       *
       * @param firstValues {@code v1 [b, h_kv, n, d]}
       * @param w {@code [h_kv, dim]}, or {@code null}
       * @param bias {@code [h_kv]}, or {@code null}
       * @return this builder
       */
      public Builder valueResidual(float[] firstValues, float @Nullable [] w, float @Nullable [] bias) {
        this.firstValues = Objects.requireNonNull(firstValues, "firstValues").clone();
        this.mixW = w == null ? null : w.clone();
        this.mixBias = bias == null ? null : bias.clone();
        return this;
      }

      /**
       * Checks every shape and builds the layer.
       *
       * @return the layer
       * @throws IllegalArgumentException if the core is not self-attention with {@code m = n}, a weight has the
       *     wrong length, or a setting is missing
       */
      public Layer build() {
        Options o = core.getOptions();
        if (dim < 1) {
          throw new IllegalArgumentException("dim = " + dim + " must be >= 1");
        }
        if (core.getKind() != AttentionKind.SELF || o.getM() != o.getN()) {
          throw new IllegalArgumentException("core: expected SELF attention with m = n, got " + core.getKind()
              + " with n = " + o.getN() + ", m = " + o.getM());
        }
        if (gamma == null || wq == null || wk == null || wv == null || wo == null) {
          throw new IllegalArgumentException("layer: expected norm(...) and projections(...) to be set");
        }
        long hd = (long) o.getH() * o.getD();
        long kvd = (long) o.getHKv() * o.getD();
        Checks.length("gamma", "dim", dim, gamma);
        Checks.length("wq", "h*d*dim", hd * dim, wq);
        Checks.length("wk", "h_kv*d*dim", kvd * dim, wk);
        Checks.length("wv", "h_kv*d*dim", kvd * dim, wv);
        Checks.length("wo", "dim*h*d", hd * dim, wo);
        if (gate != null) {
          Checks.length("condition gate", "dim", dim, gate);
        }
        if (foxW != null && foxBeta != null) {
          Checks.length("forget gate w", "h*dim", (long) o.getH() * dim, foxW);
          Checks.length("forget gate β", "h", o.getH(), foxBeta);
        }
        if (firstValues != null) {
          Checks.length("value residual v1", "b*h_kv*n*d", o.getKvSize(), firstValues);
          if ((mixW == null) != (mixBias == null)) {
            throw new IllegalArgumentException("value residual: expected both w and bias, or neither");
          }
          if (mixW != null && mixBias != null) {
            Checks.length("value residual w", "h_kv*dim", (long) o.getHKv() * dim, mixW);
            Checks.length("value residual bias", "h_kv", o.getHKv(), mixBias);
          }
        }
        return new Layer(this);
      }
    }
  }
}
