package org.attn4j.attention;

import static org.attn4j.attention.AttentionLayerStages.FORGET_CUMSUM;
import static org.attn4j.attention.AttentionLayerStages.FORGET_GATE;
import static org.attn4j.attention.AttentionLayerStages.FORGET_LOGIT;
import static org.attn4j.attention.AttentionLayerStages.GATE;
import static org.attn4j.attention.AttentionLayerStages.INPUT;
import static org.attn4j.attention.AttentionLayerStages.K;
import static org.attn4j.attention.AttentionLayerStages.MEAN;
import static org.attn4j.attention.AttentionLayerStages.MIX;
import static org.attn4j.attention.AttentionLayerStages.MIX_LOGIT;
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
 *         [forgetGate(λ):      a = λ·logsigmoid(u W_f^T + β) [b, h, n], F = cumsum_t(a), bias F_i - F_j (j <= i)]
 *         [valueResidual(..):  v <- v1 + μ·(v - v1), μ = sigmoid(u W_μ^T + c) [b, h_kv, n] (learned) or 0.5]
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
 * {@code w_gate [dim]} (gated), {@code w_forget [h, dim]}, {@code b_forget [h]} (forget gate),
 * {@code w_mix [h_kv, dim]}, {@code b_mix [h_kv]} (learned value residual), the core modifiers' captured tensors
 * ({@code m} reads as {@code n}; with the value residual {@code value_first [b, h_kv, n, d]}, the first layer's
 * values, comes last), then {@code out [b, n, dim]}.
 *
 * <p>Data-dependent gates (VARIANTS.md §6), computed inside the kernel from the normed input {@code u}, as
 * x-transformers' {@code data_dependent_alibi(x)} and {@code to_value_residual_mix(q_input)} do: the layer appends
 * {@link Modifiers#forgetting} ({@code DATA_DEPENDENT}, {@code FORWARD}, no block skipping) and
 * {@link Modifiers#valueResidual(double)} / {@link Modifiers#valueResidualPerToken()} to the core and supplies its
 * own stages for their {@code forget_cumsum} and {@code value_residual_mix} captures
 * ({@link ScaledDotProduct#define(Te, Variant, Var, Var, Var, Tensor, Tensor, Tensor, Map)}). The gates are per
 * query head; the learned mix per kv head (as {@code AttentionLayerOracle}; x-transformers' per-query-head mix
 * agrees when {@code h_kv = h}). {@code F} is summed in float32 in sequence order (the oracle sums in double:
 * the difference grows with {@code n·|F|}). A core that has its own forgetting or value-residual modifier is
 * refused when the layer computes the same. Stage names: {@link AttentionLayerStages} and, for the core, {@link AttentionStages}.
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
      "w_forget", "b_forget", "w_mix", "b_mix", AttentionLayerGraph.OUTPUT_NAME);

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
  private final @Nullable Double forgetLambda;
  private final boolean valueResidual;
  private final boolean learnedMix;

  private AttentionLayer(Builder b) {
    this.dim = b.dim;
    this.norm = b.norm;
    this.condition = b.condition;
    this.gate = b.gate;
    this.core = Objects.requireNonNull(b.core);
    this.forgetLambda = b.forgetLambda;
    this.valueResidual = b.valueResidual;
    this.learnedMix = b.learnedMix;
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

  /** The core attention: spec and modifiers (without the forgetting and value residual the layer adds). */
  public Variant getCore() {
    return core;
  }

  /** Whether the layer computes data-dependent FoX gates ({@code w_forget}, {@code b_forget}). */
  public boolean hasForgetGate() {
    return forgetLambda != null;
  }

  /** The forget gates' {@code λ} (x-transformers' {@code post_log_scale}); 0 without forget gates. */
  public double getForgetLambda() {
    return forgetLambda == null ? 0 : forgetLambda;
  }

  /** Whether the layer blends its values with {@code value_first}. */
  public boolean hasValueResidual() {
    return valueResidual;
  }

  /** Whether the value-residual mix is learned ({@code w_mix}, {@code b_mix}) rather than 0.5. */
  public boolean isMixLearned() {
    return learnedMix;
  }

  /**
   * A stable name for files and manifests: the layer's settings, then the core's name, e.g.
   * {@code layer_dim64_rms_zb_gate+sdpa_float32_h4kv4_d16_causal+alibi}.
   */
  public String getName() {
    return "layer_dim" + dim + (norm == Norm.LAYER_NORM ? "_ln" : "_rms")
        + (condition == Condition.PER_BATCH ? "_zb" : condition == Condition.PER_TOKEN ? "_zbn" : "")
        + (gate ? "_gate" : "") + (forgetLambda != null ? "_fox" + forgetLambda : "")
        + (valueResidual ? (learnedMix ? "_vrmix" : "_vr") : "") + "+" + core.getName();
  }

  /** The layer's own settings, as recorded in the manifest (the core is described by its variant). */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dim", dim);
    m.put("norm", norm.name());
    m.put("eps", norm == Norm.LAYER_NORM ? LAYER_NORM_EPS : RMS_NORM_EPS);
    m.put("condition", condition.name());
    m.put("gate", gate);
    if (forgetLambda != null) {
      // insertion order: the description is part of the cache key and the manifest, both compared across JVMs
      // (Map.of iterates in an order salted per JVM)
      Map<String, Object> fox = new LinkedHashMap<>();
      fox.put("type", "DATA_DEPENDENT");
      fox.put("direction", "FORWARD");
      fox.put("lambda", forgetLambda);
      m.put("forget_gate", fox);
    }
    if (valueResidual) {
      m.put("value_residual", learnedMix ? "learned" : Modifiers.VALUE_RESIDUAL_LAMBDA);
    }
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
    @Nullable Tensor wf = forgetLambda != null ? te.placeholder("w_forget", f, h, dim) : null;
    @Nullable Tensor bf = forgetLambda != null ? te.placeholder("b_forget", f, h) : null;
    @Nullable Tensor wm = learnedMix ? te.placeholder("w_mix", f, hKv, dim) : null;
    @Nullable Tensor bm = learnedMix ? te.placeholder("b_mix", f, hKv) : null;

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
    // (6b) data-dependent gates from the normed input, handed to the core in place of its captures
    List<Modifier> mods = new ArrayList<>(core.getModifiers());
    Map<String, Tensor> provided = new LinkedHashMap<>();
    if (wf != null && bf != null) {
      float lambda = (float) (double) forgetLambda;
      Tensor logit = headLogits(te, FORGET_LOGIT, normed, wf, b, n, h);
      Tensor a = te.compute(FORGET_GATE, "layer", new Expr[] {b, te.i32(h), n}, (bb, hh, t) ->
          te.logSigmoid(logit.get(bb, hh, t).plus(bf.get(hh))).times(lambda));
      // F_i = Σ_{t <= i} a_t: a reduction over the whole sequence with the later terms masked (O(n²) per head),
      // summed in sequence order; the zero in the body as well as the condition, as the core's max does (a
      // schedule that drops the reduction's condition still adds exact zeros). A compute cannot read its own
      // output, so the O(n) recurrence F_i = F_{i-1} + a_i is a schedule's to choose (org.attn4j.te.Scan)
      IterVar rt = te.reduceAxis("t", n);
      Tensor cumsum = te.compute(FORGET_CUMSUM, "layer", new Expr[] {b, te.i32(h), n}, (bb, hh, i) ->
          te.sum(te.select(rt.getVar().le(i), a.get(bb, hh, rt.getVar()), te.f32(0)), rt.getVar().le(i), rt));
      mods.add(Modifiers.forgetting(ForgetGate.DATA_DEPENDENT, ForgetDirection.FORWARD, 1, 0));
      provided.put("forget_cumsum", cumsum);
    }
    if (valueResidual) {
      if (wm != null && bm != null) {
        Tensor logit = headLogits(te, MIX_LOGIT, normed, wm, b, n, hKv);
        Tensor mix = te.compute(MIX, "layer", new Expr[] {b, te.i32(hKv), n}, (bb, g, t) ->
            te.sigmoid(logit.get(bb, g, t).plus(bm.get(g))));
        mods.add(Modifiers.valueResidualPerToken());
        provided.put("value_residual_mix", mix);
      } else {
        mods.add(Modifiers.valueResidual(Modifiers.VALUE_RESIDUAL_LAMBDA));
      }
    }
    // (7) the core, self-attention: m is n
    AttentionGraph g = ScaledDotProduct.define(te, Variant.of(spec, mods), b, n, n, q, k, v, provided);
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
    for (@Nullable Tensor t : new Tensor[] {wf, bf, wm, bm}) {
      if (t != null) {
        inputs.add(t);
      }
    }
    inputs.addAll(g.captured());
    return new AttentionLayerGraph(this, b, n, inputs, g, out);
  }

  private Expr centred(Tensor in, @Nullable Tensor sum, Expr bb, Expr t, Expr c) {
    Expr x = in.get(bb, t, c);
    return sum == null ? x : x.minus(sum.get(bb, t).times(1.0 / dim));
  }

  /** {@code y[b, hh, t] = Σ_c u[b, t, c] · w[hh, c]}: one logit per head and token. */
  private static Tensor headLogits(Te te, String name, Tensor u, Tensor w, Var b, Var n, int heads) {
    int dim = (int) u.getShape().get(2).getIntConstant().orElseThrow();
    IterVar c = te.reduceAxis("c", dim);
    return te.compute(name, "layer", new Expr[] {b, te.i32(heads), n}, (bb, hh, t) ->
        te.sum(u.get(bb, t, c.getVar()).times(w.get(hh, c.getVar())), c));
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
    return o instanceof AttentionLayer l && l.getName().equals(getName()) && l.core.equals(core)
        && Objects.equals(l.forgetLambda, forgetLambda);
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
    private @Nullable Double forgetLambda;
    private boolean valueResidual;
    private boolean learnedMix;

    private Builder() {}

    /**
     * Data-dependent FoX gates computed from the normed input: {@code a = λ·logsigmoid(u W_f^T + β)} per query
     * head, inputs {@code w_forget [h, dim]} and {@code b_forget [h]}; the core adds {@code F_i - F_j} to the
     * scaled scores of keys {@code j <= i} ({@link Modifiers#forgetting}, FORWARD).
     *
     * @param lambda {@code λ >= 0}, finite (x-transformers' {@code post_log_scale}; 1 is FoX)
     */
    public Builder forgetGate(double lambda) {
      this.forgetLambda = lambda;
      return this;
    }

    /**
     * The value residual: {@code v <- v1 + μ·(v - v1)} with input {@code value_first [b, h_kv, n, d]}; {@code μ}
     * is {@code sigmoid(u W_μ^T + c)} per token and kv head (inputs {@code w_mix [h_kv, dim]},
     * {@code b_mix [h_kv]}) when {@code learnedMix}, else {@link Modifiers#VALUE_RESIDUAL_LAMBDA}.
     */
    public Builder valueResidual(boolean learnedMix) {
      this.valueResidual = true;
      this.learnedMix = learnedMix;
      return this;
    }

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
      if (forgetLambda != null) {
        if (!(forgetLambda >= 0) || forgetLambda.isInfinite()) {
          throw new IllegalArgumentException("forgetGate λ: expected a finite λ >= 0, got " + forgetLambda);
        }
        for (Modifier mod : core.getModifiers()) {
          if (mod.getName().startsWith("fox_")) {
            throw new IllegalArgumentException("forgetGate: the layer computes the forget gates, expected a core"
                + " without its own forgetting modifier, got " + mod.getName() + " in " + core.getName());
          }
        }
      }
      if (valueResidual) {
        for (Modifier mod : core.getModifiers()) {
          if (mod.getName().startsWith("value_residual")) {
            throw new IllegalArgumentException("valueResidual: the layer blends the values, expected a core"
                + " without its own value-residual modifier, got " + mod.getName() + " in " + core.getName());
          }
        }
      }
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
      if (s.isCross()) {
        throw new IllegalArgumentException("core cross: expected false (the layer is self-attention: keys and"
            + " values come from its own n tokens), got true in " + s.getName());
      }
      return new AttentionLayer(this);
    }
  }
}
