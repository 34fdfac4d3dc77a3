package org.attn4j.attention;

import static org.attn4j.attention.AttentionLayerStages.GATE;
import static org.attn4j.attention.AttentionLayerStages.INPUT;
import static org.attn4j.attention.AttentionLayerStages.K;
import static org.attn4j.attention.AttentionLayerStages.MEAN;
import static org.attn4j.attention.AttentionLayerStages.NORM;
import static org.attn4j.attention.AttentionLayerStages.OUT;
import static org.attn4j.attention.AttentionLayerStages.PROJ;
import static org.attn4j.attention.AttentionLayerStages.Q;
import static org.attn4j.attention.AttentionLayerStages.SQUARES;
import static org.attn4j.attention.AttentionLayerStages.V;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.IterVar;
import org.attn4j.te.Te;
import org.attn4j.te.Tensor;
import org.attn4j.te.Var;
import org.jspecify.annotations.Nullable;

/**
 * A pre-norm self-attention layer with in-attention conditioning (VARIANTS.md §5): what a layer artifact
 * computes. Immutable. For {@code x [b, n, dim]} and weights in PyTorch's {@code Linear} layout {@code [out, in]}:
 * <pre>
 *   z'  = z · sigmoid(w_g · x0_t)      (optional learned per-token gate; x0 = the stack's input)
 *   u   = norm(x + z')                  (z is added BEFORE the pre-norm, of the branch only)
 *   q   = u Wq^T -> [b, h, n, d],  k = u Wk^T, v = u Wv^T -> [b, h_kv, n, d]    ('b n (h d) -> b h n d')
 *   o   = the core (any {@link Variant}: causal, GQA, modifiers such as ALiBi), m = n
 *   out = x + o Wo^T                    ('b h n d -> b n (h d)'; the residual carries x without z)
 * </pre>
 * Norms (no bias, fp32): LayerNorm {@code (u - mean) / sqrt(var + 1e-5) · γ} (biased variance, as PyTorch's
 * {@code nn.LayerNorm}); RMSNorm {@code u / max(||u||, 1e-12) · sqrt(dim) · γ} (x-transformers' {@code RMSNorm};
 * pass the effective {@code γ}). The condition is {@code z [b, dim]} (broadcast over the sequence) or
 * {@code z [b, n, dim]}, already projected to the model dim.
 *
 * <p>Kernel arguments (every weight is a runtime input, nothing is baked in): {@code x [b, n, dim]},
 * {@code z [b, dim] | [b, n, dim]} (conditioned), {@code x0 [b, n, dim]} (gated), {@code gamma [dim]},
 * {@code wq [h*d, dim]}, {@code wk [h_kv*d, dim]}, {@code wv [h_kv*d, dim]}, {@code wo [dim, h*d]},
 * {@code w_gate [dim]} (gated), the core modifiers' captured tensors ({@code m} reads as {@code n}), then
 * {@code out [b, n, dim]}. Stage names: {@link AttentionLayerStages} and, for the core, {@link AttentionStages}.
 *
 * <pre>{@code
 * AttentionLayer layer = AttentionLayer.builder()
 *     .dim(64).norm(AttentionLayer.Norm.RMS_NORM).condition(AttentionLayer.Condition.PER_BATCH).gate(true)
 *     .core(Variant.of(AttentionSpec.builder().heads(4).headDim(16).causal(Causal.BOTTOM_RIGHT).build(),
 *         Modifiers.alibi()))
 *     .build();
 * // arguments: x, z, x0, gamma, wq, wk, wv, wo, w_gate, alibi_slopes, out
 * }</pre>
 */
public final class AttentionLayer {
  /** LayerNorm's {@code eps} (PyTorch's default). */
  public static final double LAYER_NORM_EPS = 1e-5;
  /** RMSNorm's lower bound on {@code ||u||} ({@code F.normalize}'s default). */
  public static final double RMS_NORM_EPS = 1e-12;
  private static final Set<String> NAMES = Set.of("x", "z", "x0", "gamma", "wq", "wk", "wv", "wo", "w_gate",
      AttentionLayerGraph.OUTPUT_NAME);

  /** The pre-norm. */
  public enum Norm {
    /** LayerNorm without bias, {@code eps = 1e-5}. */
    LAYER_NORM,
    /** x-transformers' RMSNorm, {@code u / max(||u||, 1e-12) · sqrt(dim) · γ}. */
    RMS_NORM
  }

  /** The shape of the condition {@code z}. */
  public enum Condition {
    /** No condition: no {@code z} argument. */
    NONE,
    /** {@code z [b, dim]}, broadcast over the sequence. */
    PER_BATCH,
    /** {@code z [b, n, dim]}. */
    PER_TOKEN
  }

  private final int dim;
  private final Norm norm;
  private final Condition condition;
  private final boolean gate;
  private final Variant core;

  private AttentionLayer(Builder b) {
    this.dim = b.dim;
    this.norm = b.norm;
    this.condition = b.condition;
    this.gate = b.gate;
    this.core = Objects.requireNonNull(b.core);
  }

  /** A builder with the defaults: LayerNorm, no condition, no gate; {@code dim} and the core must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /** The model dim. */
  public int getDim() {
    return dim;
  }

  /** The pre-norm. */
  public Norm getNorm() {
    return norm;
  }

  /** The condition's shape. */
  public Condition getCondition() {
    return condition;
  }

  /** Whether the condition is gated per token by {@code sigmoid(w_g · x0_t)}. */
  public boolean isGated() {
    return gate;
  }

  /** The core attention: spec and modifiers. */
  public Variant getCore() {
    return core;
  }

  /**
   * A stable name for files and manifests: the layer's settings, then the core's name, e.g.
   * {@code layer_dim64_rms_zb_gate+sdpa_float32_h4kv4_d16_causal+alibi}.
   */
  public String getName() {
    return "layer_dim" + dim + (norm == Norm.LAYER_NORM ? "_ln" : "_rms")
        + (condition == Condition.PER_BATCH ? "_zb" : condition == Condition.PER_TOKEN ? "_zbn" : "")
        + (gate ? "_gate" : "") + "+" + core.getName();
  }

  /** The layer's own settings, as recorded in the manifest (the core is described by its variant). */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dim", dim);
    m.put("norm", norm.name());
    m.put("eps", norm == Norm.LAYER_NORM ? LAYER_NORM_EPS : RMS_NORM_EPS);
    m.put("condition", condition.name());
    m.put("gate", gate);
    m.put("weight_layout", "[out, in]");
    return m;
  }

  /**
   * The layer as tensor expressions, for schedules in {@code tvm-schedules}.
   *
   * @throws IllegalArgumentException if a modifier of the core is invalid or captures a tensor under one of the
   *     layer's argument names
   */
  public AttentionLayerGraph define(Te te) {
    AttentionSpec spec = core.getSpec();
    int h = spec.getHeads();
    int hKv = spec.getKvHeads();
    int d = spec.getHeadDim();
    DType f = DType.FLOAT32;
    Var b = te.sizeVar("b");
    Var n = te.sizeVar("n");
    Expr dimE = te.i32(dim);
    Tensor x = te.placeholder("x", f, b, n, dim);
    @Nullable Tensor z = condition == Condition.NONE ? null
        : condition == Condition.PER_BATCH ? te.placeholder("z", f, b, dim) : te.placeholder("z", f, b, n, dim);
    @Nullable Tensor x0 = gate ? te.placeholder("x0", f, b, n, dim) : null;
    Tensor gamma = te.placeholder("gamma", f, dim);
    Tensor wq = te.placeholder("wq", f, h * d, dim);
    Tensor wk = te.placeholder("wk", f, hKv * d, dim);
    Tensor wv = te.placeholder("wv", f, hKv * d, dim);
    Tensor wo = te.placeholder("wo", f, dim, h * d);
    @Nullable Tensor wg = gate ? te.placeholder("w_gate", f, dim) : null;

    // (1) the gate's logit w_g · x0_t
    @Nullable Tensor gateLogit = null;
    if (wg != null && x0 != null) {
      IterVar c = te.reduceAxis("c", dim);
      gateLogit = te.compute(GATE, "layer", new Expr[] {b, n}, (bb, t) ->
          te.sum(wg.get(c.getVar()).times(x0.get(bb, t, c.getVar())), c));
    }
    // (2) the branch input u = x + z · sigmoid(gate)
    Tensor u = x;
    if (z != null) {
      @Nullable Tensor g = gateLogit;
      u = te.compute(INPUT, "layer", new Expr[] {b, n, dimE}, (bb, t, c) -> {
        Expr zz = condition == Condition.PER_BATCH ? z.get(bb, c) : z.get(bb, t, c);
        if (g != null) {
          zz = zz.times(te.sigmoid(g.get(bb, t)));
        }
        return x.get(bb, t, c).plus(zz);
      });
    }
    // (3) LayerNorm's mean, (4) the sum of squares
    Tensor in = u;
    @Nullable Tensor sum = null;
    if (norm == Norm.LAYER_NORM) {
      IterVar c = te.reduceAxis("c", dim);
      sum = te.compute(MEAN, "layer", new Expr[] {b, n}, (bb, t) -> te.sum(in.get(bb, t, c.getVar()), c));
    }
    @Nullable Tensor mean = sum;
    IterVar cs = te.reduceAxis("c", dim);
    Tensor squares = te.compute(SQUARES, "layer", new Expr[] {b, n}, (bb, t) -> {
      Expr centred = centred(in, mean, bb, t, cs.getVar());
      return te.sum(centred.times(centred), cs);
    });
    // (5) the norm, times γ
    Tensor normed = te.compute(NORM, "layer", new Expr[] {b, n, dimE}, (bb, t, c) -> {
      Expr s = squares.get(bb, t);
      Expr scale = norm == Norm.LAYER_NORM
          ? te.f32(1).div(te.sqrt(s.times(1.0 / dim).plus(LAYER_NORM_EPS)))
          : te.f32(Math.sqrt(dim)).div(te.maximum(te.sqrt(s), te.f32(RMS_NORM_EPS)));
      return centred(in, mean, bb, t, c).times(scale).times(gamma.get(c));
    });
    // (6) projections, split into heads
    Tensor q = project(te, Q, normed, wq, b, n, h, d);
    Tensor k = project(te, K, normed, wk, b, n, hKv, d);
    Tensor v = project(te, V, normed, wv, b, n, hKv, d);
    // (7) the core, self-attention: m is n
    AttentionGraph g = ScaledDotProduct.define(te, core, b, n, n, q, k, v);
    for (Tensor t : g.captured()) {
      if (NAMES.contains(t.getName())) {
        throw new IllegalArgumentException("capture " + t.getName() + ": expected a name not used by the layer's"
            + " arguments " + NAMES + ", got a duplicate");
      }
    }
    // (8) output projection over the merged heads, (9) residual
    Tensor o = g.out();
    IterVar rh = te.reduceAxis("rh", h);
    IterVar rd = te.reduceAxis("rd", d);
    Tensor proj = te.compute(PROJ, "layer", new Expr[] {b, n, dimE}, (bb, t, c) ->
        te.sum(o.get(bb, rh.getVar(), t, rd.getVar())
            .times(wo.get(c, rh.getVar().times(te.i32(d)).plus(rd.getVar()))), rh, rd));
    Tensor out = te.compute(OUT, "layer", new Expr[] {b, n, dimE}, (bb, t, c) ->
        x.get(bb, t, c).plus(proj.get(bb, t, c)));

    List<Tensor> inputs = new ArrayList<>();
    inputs.add(x);
    if (z != null) {
      inputs.add(z);
    }
    if (x0 != null) {
      inputs.add(x0);
    }
    inputs.addAll(List.of(gamma, wq, wk, wv, wo));
    if (wg != null) {
      inputs.add(wg);
    }
    inputs.addAll(g.captured());
    return new AttentionLayerGraph(this, b, n, inputs, g, out);
  }

  private Expr centred(Tensor in, @Nullable Tensor sum, Expr bb, Expr t, Expr c) {
    Expr x = in.get(bb, t, c);
    return sum == null ? x : x.minus(sum.get(bb, t).times(1.0 / dim));
  }

  /** {@code y[b, hh, t, dd] = Σ_c u[b, t, c] · w[hh·d + dd, c]}: {@code u W^T}, {@code 'b n (h d) -> b h n d'}. */
  private static Tensor project(Te te, String name, Tensor u, Tensor w, Var b, Var n, int heads, int d) {
    int dim = (int) u.getShape().get(2).getIntConstant().orElseThrow();
    IterVar c = te.reduceAxis("c", dim);
    return te.compute(name, "layer", new Expr[] {b, te.i32(heads), n, te.i32(d)}, (bb, hh, t, dd) ->
        te.sum(u.get(bb, t, c.getVar()).times(w.get(hh.times(te.i32(d)).plus(dd), c.getVar())), c));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AttentionLayer l && l.getName().equals(getName()) && l.core.equals(core);
  }

  @Override
  public int hashCode() {
    return Objects.hash(getName(), core);
  }

  @Override
  public String toString() {
    return "AttentionLayer[" + getName() + "]";
  }

  /** Builds an {@link AttentionLayer}; {@link #build()} checks every constraint. */
  public static final class Builder {
    private int dim;
    private Norm norm = Norm.LAYER_NORM;
    private Condition condition = Condition.NONE;
    private boolean gate;
    private @Nullable Variant core;

    private Builder() {}

    /** The model dim ({@code >= 1}). */
    public Builder dim(int v) {
      this.dim = v;
      return this;
    }

    /** The pre-norm (default LayerNorm). */
    public Builder norm(Norm v) {
      this.norm = v;
      return this;
    }

    /** The condition's shape (default none). */
    public Builder condition(Condition v) {
      this.condition = v;
      return this;
    }

    /** Gate the condition per token by {@code sigmoid(w_g · x0_t)} (needs a condition). */
    public Builder gate(boolean v) {
      this.gate = v;
      return this;
    }

    /** The core attention: a spec with its modifiers. */
    public Builder core(Variant v) {
      this.core = v;
      return this;
    }

    /** The core attention without modifiers. */
    public Builder core(AttentionSpec spec) {
      this.core = Variant.of(spec);
      return this;
    }

    /**
     * The layer.
     *
     * @throws IllegalArgumentException naming the offending options
     */
    public AttentionLayer build() {
      if (dim < 1) {
        throw new IllegalArgumentException("dim: expected dim >= 1, got " + dim);
      }
      if (norm == null) {
        throw new IllegalArgumentException("norm: expected LAYER_NORM or RMS_NORM, got null");
      }
      if (condition == null) {
        throw new IllegalArgumentException("condition: expected NONE, PER_BATCH or PER_TOKEN, got null");
      }
      if (core == null) {
        throw new IllegalArgumentException("core: expected a Variant (or AttentionSpec), got none");
      }
      if (gate && condition == Condition.NONE) {
        throw new IllegalArgumentException("gate: expected a condition (PER_BATCH or PER_TOKEN) to gate, got gate"
            + " true with condition NONE");
      }
      AttentionSpec s = core.getSpec();
      if (s.getDtype() != DType.FLOAT32) {
        throw new IllegalArgumentException("core dtype: expected float32 (the layer computes in float32), got "
            + s.getDtype().name().toLowerCase(Locale.ROOT));
      }
      if (s.hasKeyLengths()) {
        throw new IllegalArgumentException("core keyLengths: expected false (the layer attends over all n tokens),"
            + " got true in " + s.getName());
      }
      if (s.hasLse()) {
        throw new IllegalArgumentException("core lse: expected false (the layer's only output is out), got true in "
            + s.getName());
      }
      return new AttentionLayer(this);
    }
  }
}
