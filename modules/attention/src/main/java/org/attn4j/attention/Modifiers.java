package org.attn4j.attention;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.Te;
import org.attn4j.te.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * The gallery of modifiers FlexAttention users expect (VARIANTS.md §7), each a few lines of the DSL and each
 * matching x-transformers. Notation as {@link Slots}: {@code s} the scaled logit, {@code i} the query's position
 * on the key axis ({@code row + m - n}), {@code j} the key, {@code h} the query head, {@code b} the batch row.
 * Captured tensors are kernel inputs, named as listed (shapes in einops letters; {@code h} is the spec's head
 * count).
 *
 * <pre>{@code
 * Variant v = Variant.of(spec, Modifiers.alibi(), Modifiers.softCap(50), Modifiers.slidingWindow(128, 0));
 * // kernel arguments: q, k, v, alibi_slopes [h], out
 * }</pre>
 */
public final class Modifiers {
  private Modifiers() {}

  /**
   * ALiBi: {@code s - slope_h·|i - j|}, reading {@code alibi_slopes [h]} (float32; pass
   * {@link #alibiSlopes(int)} for x-transformers' slopes). Symmetric as in x-transformers; combine with the causal
   * mode for the causal form.
   */
  public static Modifier alibi() {
    return Modifier.named("alibi", Map.of(), ctx -> {
      Tensor slopes = ctx.capture("alibi_slopes", DType.FLOAT32, ctx.getSpec().getHeads());
      return Slots.score((s, b, h, i, j) ->
          s.minus(slopes.get(h).times(ctx.getTe().abs(i.minus(j).cast(DType.FLOAT32)))));
    });
  }

  /**
   * x-transformers' ALiBi slopes ({@code AlibiPositionalBias._get_slopes}): for a power of two {@code H},
   * {@code slope_h = 2^(-8 (h + 1) / H)}; otherwise the slopes of the closest lower power of two {@code P},
   * then every other slope of {@code 2P} until there are {@code H}.
   *
   * @throws IllegalArgumentException if {@code heads < 1}
   */
  public static float[] alibiSlopes(int heads) {
    if (heads < 1) {
      throw new IllegalArgumentException("alibi heads: expected h >= 1, got " + heads);
    }
    int p = Integer.highestOneBit(heads);
    float[] slopes = new float[heads];
    for (int h = 0; h < heads; h++) {
      slopes[h] = (float) (h < p ? Math.pow(2, -8.0 * (h + 1) / p) : Math.pow(2, -8.0 * (2 * (h - p) + 1) / (2 * p)));
    }
    return slopes;
  }

  /**
   * The logit soft-cap (Gemma 2, x-transformers' {@code softclamp}): {@code c·tanh(s / c)}. Put it after the
   * other score terms (VARIANTS.md's order: biases, then the cap).
   *
   * @throws IllegalArgumentException unless {@code 0 < cap < inf}
   */
  public static Modifier softCap(double cap) {
    if (!(cap > 0) || Double.isInfinite(cap)) {
      throw new IllegalArgumentException("softCap: expected a finite c > 0, got " + cap);
    }
    return Modifier.named("softcap_" + cap, params("cap", cap), ctx ->
        Slots.score((s, b, h, i, j) -> ctx.getTe().tanh(s.times(1 / cap)).times(cap)));
  }

  /**
   * A sliding window: key {@code j} is visible iff {@code i - left <= j <= i + right}. x-transformers'
   * {@code max_attend_past = L} with the causal mode is {@code slidingWindow(L, 0)}. Declares the key range, so
   * cpu-flash visits only the key tiles the window reaches.
   *
   * @throws IllegalArgumentException if {@code left < 0} or {@code right < 0}
   */
  public static Modifier slidingWindow(int left, int right) {
    if (left < 0 || right < 0) {
      throw new IllegalArgumentException("slidingWindow: expected left >= 0 and right >= 0, got left = " + left
          + ", right = " + right);
    }
    return Modifier.named("window_l" + left + "_r" + right, params("left", left, "right", right), ctx ->
        Slots.mask((b, h, i, j) -> j.ge(i.minus(left)).and(j.le(i.plus(right))),
            new Slots.KeyRange((b, h, i) -> i.minus(left), (b, h, i) -> i.plus(right))));
  }

  /**
   * Packed sequences (document masking): key {@code j} is visible iff it is in query {@code i}'s document,
   * {@code ids[b, i] == ids[b, j]}, reading {@code document_ids [b, m]} (int32, one id per key-axis position;
   * self-attention, and with a KV cache the ids of the whole cache). A query before the key axis
   * ({@code i < 0}, when {@code n > m}) sees nothing.
   */
  public static Modifier documents() {
    return Modifier.named("documents", Map.of(), ctx -> {
      Tensor ids = ctx.capture("document_ids", DType.INT32, ctx.getB(), ctx.getM());
      return Slots.mask((b, h, i, j) -> {
        Te te = ctx.getTe();
        Expr zero = te.constant(0, i.getDtype());
        // clamped read: i < 0 reads a valid id and is masked by the first term
        return i.ge(zero).and(ids.get(b, te.maximum(i, zero)).eq(ids.get(b, j)));
      });
    });
  }

  /**
   * Prefix-LM (x-transformers' {@code PrefixDecoder}): {@code j <= i || j < prefix[b]}, reading
   * {@code prefix_lengths [b]} (int32). Replaces the causal mask: use it with {@link Causal#NONE}. Declares the
   * key range {@code [0, max(i, prefix - 1)]}, so cpu-flash skips the tiles above both.
   */
  public static Modifier prefixLm() {
    return Modifier.named("prefix_lm", Map.of(), ctx -> {
      Tensor prefix = ctx.capture("prefix_lengths", DType.INT32, ctx.getB());
      return Slots.mask((b, h, i, j) -> j.le(i).or(j.lt(prefix.get(b))),
          new Slots.KeyRange((b, h, i) -> ctx.getTe().constant(0, i.getDtype()),
              (b, h, i) -> ctx.getTe().maximum(i, prefix.get(b).cast(i.getDtype()).minus(1))));
    });
  }

  /**
   * The T5 relative-position bias (x-transformers' {@code RelativePositionBias}):
   * {@code s + scale·table[bucket(i - j), h]}, reading {@code t5_table [buckets, h]} (float32). With
   * {@code r = i - j}: bidirectional ({@link Causal#NONE}) halves the buckets, sends {@code r < 0} to the upper
   * half and uses {@code |r|}; causal uses {@code max(r, 0)}. With {@code e = buckets' / 2}, {@code r < e} is
   * its own bucket, else {@code min(e + floor(log(r / e) / log(maxDistance / e)·(buckets' - e)), buckets' - 1)},
   * the logarithm in float32 as there. x-transformers uses {@code scale = sqrt(d)}.
   *
   * @param causal the bucketing
   * @param buckets {@code >= 4} (x-transformers: 32)
   * @param maxDistance beyond the exact buckets (x-transformers: 128)
   * @param scale the table's multiplier
   * @throws IllegalArgumentException if {@code buckets < 4} or {@code maxDistance} is not beyond the exact buckets
   */
  public static Modifier t5Bias(Causal causal, int buckets, int maxDistance, double scale) {
    int half = causal == Causal.NONE ? buckets / 2 : buckets;
    int exact = half / 2;
    if (buckets < 4 || maxDistance <= exact) {
      throw new IllegalArgumentException("t5Bias: expected buckets >= 4 and maxDistance > the exact buckets ("
          + exact + "), got buckets = " + buckets + ", maxDistance = " + maxDistance);
    }
    float logRange = (float) Math.log((double) maxDistance / exact);
    return Modifier.named("t5_" + causal.name().toLowerCase(java.util.Locale.ROOT) + buckets + "_" + maxDistance,
        params("causal", causal.name(), "buckets", buckets, "max_distance", maxDistance, "scale", scale), ctx -> {
          Tensor table = ctx.capture("t5_table", DType.FLOAT32, buckets, ctx.getSpec().getHeads());
          Te te = ctx.getTe();
          return Slots.score((s, b, h, i, j) -> {
            Expr r = i.minus(j);
            Expr zero = te.constant(0, r.getDtype());
            Expr base = causal == Causal.NONE ? te.select(r.lt(zero), te.constant(half, r.getDtype()), zero) : zero;
            Expr dist = causal == Causal.NONE ? te.abs(r) : te.maximum(r, zero);
            Expr far = te.maximum(dist, te.constant(exact, r.getDtype())).cast(DType.FLOAT32).div(exact);
            Expr large = te.log(far).div(logRange).times(half - exact).cast(r.getDtype()).plus(exact);
            Expr bucket = base.plus(te.select(dist.lt(te.constant(exact, r.getDtype())), dist,
                te.minimum(large, te.constant(half - 1, r.getDtype()))));
            return s.plus(table.get(bucket, h).times(scale));
          });
        });
  }

  /**
   * Learned attention sinks (gpt-oss): softmax with a sink logit {@code σ_h} in every row's denominator,
   * {@code P_ij = exp(s_ij) / (exp(σ_h) + Σ_j exp(s_ij))}, reading {@code sinks [h]} (float32; {@code -inf} is
   * plain softmax).
   */
  public static Modifier sinks() {
    return Modifier.named("sinks", Map.of(), ctx -> {
      Tensor sinks = ctx.capture("sinks", DType.FLOAT32, ctx.getSpec().getHeads());
      return Slots.normalizer(Normalizer.sink(h -> sinks.get(h)));
    });
  }

  /**
   * Softmax+1 (x-transformers' {@code add_zero_kv}, "attention is off by one"): a sink of 0 for every head,
   * {@code P_ij = exp(s_ij) / (1 + Σ_j exp(s_ij))}.
   */
  public static Modifier softmaxPlusOne() {
    return Modifier.named("softmax_plus_one", Map.of(), ctx ->
        Slots.normalizer(Normalizer.sink(h -> ctx.getTe().f32(0))));
  }

  /**
   * Sigmoid attention: {@code out_i = Σ_j sigmoid(s_ij + β)·v_j} over the visible keys, no normalisation and no
   * lse (x-transformers' {@code sigmoid = True} is {@code β = 0}; Apple's sigmoid attention uses
   * {@code β = -log m}).
   *
   * @throws IllegalArgumentException if {@code bias} is not finite
   */
  public static Modifier sigmoid(double bias) {
    Normalizer norm = Normalizer.sigmoid(bias);
    return Modifier.named("sigmoid_" + bias, params("bias", bias), ctx -> Slots.normalizer(norm));
  }

  private static Map<String, Object> params(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** x-transformers' {@code cope_max_pos}. */
  public static final int COPE_MAX_POS = 16;
  /** x-transformers' {@code soft_onehot_temp}. */
  public static final double COPE_SOFT_ONE_HOT_TEMPERATURE = 0.05;

  /**
   * CoPE, contextual position encoding (Golovneva et al. 2024; VARIANTS.md §4), with linear interpolation: the row
   * scan of slot (5), see {@link Cope} for the formula. Reads {@code cope_table [p, d]} (float32, {@code E}, shared
   * by the heads; x-transformers zero-initialises it, and a zero table is plain causal attention). Causal only.
   * Manifest parameters: {@code max_pos}.
   *
   * <pre>{@code
   * Variant v = Variant.of(causalSpec, Modifiers.rotary(Rotary.halfOf(64), RotaryPositions.arange()),
   *     Modifiers.cope(16));
   * // kernel arguments: q, k, v, cope_table [16, 64], out
   * }</pre>
   *
   * @param maxPos {@code P >= 1} ({@link #COPE_MAX_POS})
   * @throws IllegalArgumentException if {@code P < 1}; when the kernel is defined, unless the spec is causal
   *     ({@link Causal#BOTTOM_RIGHT})
   */
  public static Modifier cope(int maxPos) {
    return copeModifier(maxPos, null);
  }

  /**
   * CoPE with x-transformers' soft one-hot interpolation at temperature {@code T}
   * ({@link #COPE_SOFT_ONE_HOT_TEMPERATURE}): {@code c_ij = Σ_p softmax_p(-|p_ij - p| / T) z_ip}. As
   * {@link #cope(int)} otherwise; manifest parameters {@code max_pos}, {@code temperature}.
   *
   * @throws IllegalArgumentException if {@code P < 1} or {@code T} is not a finite value {@code > 0}; when the
   *     kernel is defined, unless the spec is causal
   */
  public static Modifier cope(int maxPos, double temperature) {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("cope temperature: expected a finite T > 0, got " + temperature);
    }
    return copeModifier(maxPos, temperature);
  }

  private static Modifier copeModifier(int maxPos, @Nullable Double temperature) {
    if (maxPos < 1) {
      throw new IllegalArgumentException("cope: expected P >= 1 positions, got " + maxPos);
    }
    Map<String, Object> p = temperature == null ? params("max_pos", maxPos)
        : params("max_pos", maxPos, "temperature", temperature);
    String name = "cope_p" + maxPos + (temperature == null ? "" : "_soft" + temperature);
    return Modifier.named(name, p, ctx -> {
      AttentionSpec spec = ctx.getSpec();
      if (spec.getCausal() != Causal.BOTTOM_RIGHT) {
        throw new IllegalArgumentException("cope: expected causal = BOTTOM_RIGHT (CoPE is causal only: its"
            + " positions count the gates of the keys up to the query), got " + spec.getCausal());
      }
      Tensor table = ctx.capture("cope_table", DType.FLOAT32, maxPos, spec.getHeadDim());
      return Slots.cope(new Cope(table, maxPos, temperature));
    });
  }

  /**
   * FoX's default {@code ε} for block skipping ({@link #forgetting(ForgetGate, ForgetDirection, double, double)}):
   * a key may be skipped once its decay factor {@code e^{B_ij}} is below {@code 1e-12} ({@code B_ij < -27.6}), so
   * its weight is below {@code 1e-12·e^{s_ij - s_ii}} of the query's own key's: under fp32's resolution
   * ({@code 6e-8}) for logit spreads up to {@code 10}.
   */
  public static final double FORGET_EPSILON = 1e-12;

  /** x-transformers' value-residual mix when it is not learned ({@link #valueResidual()}). */
  public static final double VALUE_RESIDUAL_LAMBDA = 0.5;

  /**
   * Forgetting attention with {@code λ = 1} and the default skip threshold. Equivalent to
   * {@code forgetting(gate, direction, 1, FORGET_EPSILON)}.
   */
  public static Modifier forgetting(ForgetGate gate, ForgetDirection direction) {
    return forgetting(gate, direction, 1, FORGET_EPSILON);
  }

  /**
   * Forgetting attention (FoX, Lin et al. 2025; VARIANTS.md §6), the score term {@code s + B_ij} after scaling:
   * <pre>
   *   B_ij = F_i - F_j                  for j <= i
   *   B_ij = F'_j - F'_i                for j >  i   (BIDIRECTIONAL; FORWARD: 0, as the oracle defines it)
   *   F_t  = Σ_{u <= t} a_u             (per batch row and query head; a_t <= 0)
   * </pre>
   * with {@code i} the query's key-axis position ({@code row + m - n}, so a KV-cache step sees the bias of the
   * full recompute). The difference is taken in float32 from float32 {@code F} values (|F| grows with the length,
   * the difference does not). What the kernel reads, by {@link ForgetGate} ({@code _reverse} for the second gate
   * set {@code a'} of {@link ForgetDirection#BIDIRECTIONAL}, same shape):
   * <ul>
   *   <li>DATA_DEPENDENT: {@code forget_cumsum [b, h, m]} (float32), {@code F} itself. The attention layer (or the
   *       caller) computes it from the layer's normed input: {@code a[b, h, t] = λ·logsigmoid(w_h·x_t + β_h)},
   *       {@code F = cumsum_t(a)} in float32 or wider ({@link #forgetCumsum}); {@code λ} (x-transformers'
   *       {@code post_log_scale}) goes into {@code a} there, so this modifier's {@code lambda} must be 1;</li>
   *   <li>BIAS_ONLY: {@code forget_bias [h]} (float32), {@code β_h}: {@code a_h = λ·logsigmoid(β_h)},
   *       {@code B_ij = (i - j)·a_h}, no tensor of size {@code m};</li>
   *   <li>FIXED: {@code forget_slopes [h]} (float32), {@code slope_h >= 0}: {@code a_h = -slope_h},
   *       {@code B_ij = -slope_h·(i - j)}, exactly causal ALiBi ({@link #alibi()} with the causal mode);</li>
   *   <li>NONE: nothing; the core.</li>
   * </ul>
   * GQA: the gates are per query head. Queries before the key axis ({@code i < 0}, when {@code n > m}, which the
   * oracle refuses) see no key: with the causal mode by construction, without it through a mask, as
   * {@link #documents()} does.
   *
   * <p>Block skipping ({@link Slots.Negligible}): with {@code ε > 0} the modifier promises that keys
   * {@code j <= jLast < iFirst} with {@code F_iFirst - F_jLast < log ε} are negligible for queries at or after
   * {@code iFirst}, and cpu-flash and cuda-flash skip such key tiles (the generic schedule is exact). A skipped
   * key's weight is below {@code ε·e^{s_ij - s_ii}} of the query's own key's ({@code B_ii = 0}). The promise
   * needs {@code F} non-increasing along {@code t} ({@code a_t <= 0}, as logsigmoid's are; {@code λ >= 0},
   * {@code slope_h >= 0}) and the query's own key visible (true with the gallery's masks; the flash schedules do
   * not skip for rows past their key length). {@code ε = 0} turns skipping off.
   *
   * <p>Manifest parameters: {@code gate}, {@code direction}, {@code lambda}, {@code epsilon}.
   *
   * @param gate the gate type
   * @param direction forward (FoX) or bidirectional (x-transformers, non-causal)
   * @param lambda {@code λ >= 0}, the BIAS_ONLY gate's scale; 1 for the other types
   * @param epsilon the skip threshold, {@code 0 <= ε < 1} ({@link #FORGET_EPSILON}; 0: never skip)
   * @throws IllegalArgumentException if {@code λ} or {@code ε} is out of range, or {@code λ != 1} for a gate type
   *     it does not scale; when the kernel is defined, for cross-attention, or for BIDIRECTIONAL with the causal
   *     mode (its second gate set would never be read)
   */
  public static Modifier forgetting(ForgetGate gate, ForgetDirection direction, double lambda, double epsilon) {
    Objects.requireNonNull(gate, "gate");
    Objects.requireNonNull(direction, "direction");
    if (!(lambda >= 0) || Double.isInfinite(lambda)) {
      throw new IllegalArgumentException("forgetting λ: expected a finite λ >= 0, got " + lambda);
    }
    if (gate != ForgetGate.BIAS_ONLY && lambda != 1) {
      throw new IllegalArgumentException("forgetting λ: expected 1 for " + gate + " gates (λ scales BIAS_ONLY gates;"
          + " for DATA_DEPENDENT fold it into F = cumsum(λ·logsigmoid(...))), got " + lambda);
    }
    if (!(epsilon >= 0 && epsilon < 1)) {
      throw new IllegalArgumentException("forgetting ε: expected 0 <= ε < 1 (0: no block skipping), got " + epsilon);
    }
    boolean bidirectional = direction == ForgetDirection.BIDIRECTIONAL;
    String name = "fox_" + gate.name().toLowerCase(java.util.Locale.ROOT) + (bidirectional ? "_bidir" : "")
        + (gate == ForgetGate.BIAS_ONLY ? "_l" + lambda : "") + "_eps" + epsilon;
    return Modifier.named(name, params("gate", gate.name(), "direction", direction.name(), "lambda", lambda,
        "epsilon", epsilon), ctx -> {
          AttentionSpec spec = ctx.getSpec();
          if (spec.isCross()) {
            throw new IllegalArgumentException("forgetting: expected self-attention (gates are per token of one"
                + " sequence), got a cross-attention spec");
          }
          if (bidirectional && spec.getCausal() != Causal.NONE) {
            throw new IllegalArgumentException("forgetting: BIDIRECTIONAL needs Causal.NONE (with the causal mode"
                + " its second gate set is never read), got " + spec.getCausal() + "; use FORWARD");
          }
          if (gate == ForgetGate.NONE) {
            return Slots.none();
          }
          Te te = ctx.getTe();
          Decay fwd = decay(ctx, gate, "", lambda);
          Decay rev = bidirectional ? decay(ctx, gate, "_reverse", lambda) : null;
          boolean causal = spec.getCausal() == Causal.BOTTOM_RIGHT;
          Slots slots = Slots.score((s, b, h, i, j) -> {
            Expr zero = te.constant(0, i.getDtype());
            // i < 0 (n > m) sees no key; clamped so that the read stays in bounds
            Expr ic = te.maximum(i, zero);
            Expr back = fwd.diff(b, h, ic, j);
            if (causal) {
              return s.plus(back); // keys after i are masked: no select
            }
            return s.plus(te.select(j.le(i), back, rev == null ? te.f32(0) : rev.diff(b, h, j, ic)));
          });
          if (!causal) {
            slots = slots.then(Slots.mask((b, h, i, j) -> i.ge(te.constant(0, i.getDtype()))));
          }
          if (epsilon > 0) {
            float logEps = (float) Math.log(epsilon);
            slots = slots.withNegligible((b, h, iFirst, jLast) -> jLast.lt(iFirst).and(
                fwd.diff(b, h, te.maximum(iFirst, te.constant(0, iFirst.getDtype())), jLast).lt(logEps)));
          }
          return slots;
        });
  }

  /** {@code F_i - F_j} (float32) of one gate set. */
  @FunctionalInterface
  private interface Decay {
    Expr diff(Expr b, Expr h, Expr i, Expr j);
  }

  private static Decay decay(Modifier.Context ctx, ForgetGate gate, String suffix, double lambda) {
    Te te = ctx.getTe();
    int heads = ctx.getSpec().getHeads();
    switch (gate) {
      case DATA_DEPENDENT -> {
        Tensor f = ctx.capture("forget_cumsum" + suffix, DType.FLOAT32, ctx.getB(), heads, ctx.getM());
        return (b, h, i, j) -> f.get(b, h, i).minus(f.get(b, h, j));
      }
      case BIAS_ONLY -> {
        Tensor beta = ctx.capture("forget_bias" + suffix, DType.FLOAT32, heads);
        return (b, h, i, j) -> i.minus(j).cast(DType.FLOAT32).times(te.logSigmoid(beta.get(h)).times(lambda));
      }
      case FIXED -> {
        Tensor slopes = ctx.capture("forget_slopes" + suffix, DType.FLOAT32, heads);
        // -(slope·(i - j)), so that s + B equals ALiBi's s - slope·|i - j| bit for bit
        return (b, h, i, j) -> slopes.get(h).times(i.minus(j).cast(DType.FLOAT32)).unaryMinus();
      }
      default -> throw new IllegalStateException("no decay for " + gate);
    }
  }

  /**
   * The cumulative log forget gates {@code F[b, h, t] = Σ_{u <= t} a[b, h, u]} that
   * {@link ForgetGate#DATA_DEPENDENT} forgetting reads, accumulated in double and rounded once. Copies.
   *
   * @param logGates {@code a [b, h, m]}, e.g. {@code λ·logsigmoid(w_h·x_t + β_h)}
   * @param b the batch size
   * @param h the query heads
   * @return {@code F [b, h, m]}
   * @throws IllegalArgumentException if the length is not {@code b·h·m} for some {@code m >= 1}
   */
  public static float[] forgetCumsum(float[] logGates, int b, int h) {
    Objects.requireNonNull(logGates, "logGates");
    if (b < 1 || h < 1 || logGates.length == 0 || logGates.length % ((long) b * h) != 0) {
      throw new IllegalArgumentException("logGates: expected [b = " + b + ", h = " + h + ", m] with m >= 1, got "
          + logGates.length + " floats");
    }
    int m = logGates.length / (b * h);
    float[] f = new float[logGates.length];
    for (int row = 0; row < b * h; row++) {
      double sum = 0;
      for (int t = 0; t < m; t++) {
        sum += logGates[row * m + t];
        f[row * m + t] = (float) sum;
      }
    }
    return f;
  }

  /**
   * The value residual with x-transformers' constant mix. Equivalent to
   * {@code valueResidual(VALUE_RESIDUAL_LAMBDA)}.
   */
  public static Modifier valueResidual() {
    return valueResidual(VALUE_RESIDUAL_LAMBDA);
  }

  /**
   * The value residual (ResFormer; VARIANTS.md §6) with a constant mix: values are blended as they are loaded
   * (slot 2), {@code v' = v1 + λ·(v - v1)} in float32, reading {@code value_first [b, h_kv, m, d]} (the first
   * layer's values, of the spec's dtype). {@code λ = 1} is the core, {@code λ = 0} attends over {@code v1}.
   * Manifest parameter: {@code lambda}.
   *
   * @throws IllegalArgumentException if {@code λ} is not finite
   */
  public static Modifier valueResidual(double lambda) {
    if (!Double.isFinite(lambda)) {
      throw new IllegalArgumentException("valueResidual λ: expected a finite mix, got " + lambda);
    }
    return Modifier.named("value_residual_" + lambda, params("lambda", lambda), ctx -> {
      Tensor first = valueFirst(ctx);
      return Slots.valueMix((v, b, g, j, c) -> {
        Expr v1 = first.get(b, g, j, c).cast(DType.FLOAT32);
        return v1.plus(v.minus(v1).times(lambda));
      });
    });
  }

  /**
   * The value residual with a mix per token and kv head (x-transformers' learned {@code sigmoid(W x + c)},
   * computed by the layer): {@code v'[b, g, j, :] = v1 + λ[b, g, j]·(v - v1)}, reading {@code value_first
   * [b, h_kv, m, d]} (the spec's dtype) and {@code value_residual_mix [b, h_kv, m]} (float32). The mix is per kv
   * head (x-transformers' per-query-head mix fails to broadcast with {@code h_kv < h}; the two agree when
   * {@code h_kv = h}).
   */
  public static Modifier valueResidualPerToken() {
    return Modifier.named("value_residual_per_token", Map.of(), ctx -> {
      Tensor first = valueFirst(ctx);
      Tensor mix = ctx.capture("value_residual_mix", DType.FLOAT32, ctx.getB(), ctx.getSpec().getKvHeads(),
          ctx.getM());
      return Slots.valueMix((v, b, g, j, c) -> {
        Expr v1 = first.get(b, g, j, c).cast(DType.FLOAT32);
        return v1.plus(v.minus(v1).times(mix.get(b, g, j)));
      });
    });
  }

  private static Tensor valueFirst(Modifier.Context ctx) {
    AttentionSpec spec = ctx.getSpec();
    return ctx.capture("value_first", spec.getDtype(), ctx.getB(), spec.getKvHeads(), ctx.getM(),
        spec.getHeadDim());
  }


  /**
   * Rotary embeddings on q and k (VARIANTS.md §1-2), rotated as they are loaded, without special tokens. See
   * {@link #rotary(Rotary, RotaryPositions, SpecialTokens)}.
   */
  public static Modifier rotary(Rotary rotary, RotaryPositions positions) {
    return rotaryModifier(rotary, positions, null);
  }

  /**
   * Rotary embeddings on q and k with a treatment of the first {@code S} (special) tokens (VARIANTS.md §1-3).
   * Captures, by {@link RotaryPositions.Kind}: ARANGE nothing; SELF {@code rotary_pos [m]} or {@code [b, m]};
   * CROSS {@code rotary_pos_q [b?, n]} and {@code rotary_pos_k [b?, m]} (float32).
   *
   * @throws IllegalArgumentException when the kernel is defined, if {@code r > d}, if cross positions are used
   *     without a cross-attention spec or a cross-attention spec gets self positions (x-transformers applies no
   *     rotary in cross-attention without context positions: build it without rotary), or special tokens are
   *     given for cross-attention
   */
  public static Modifier rotary(Rotary rotary, RotaryPositions positions, SpecialTokens special) {
    return rotaryModifier(rotary, positions, Objects.requireNonNull(special, "special"));
  }

  private static Modifier rotaryModifier(Rotary rotary, RotaryPositions positions, @Nullable SpecialTokens special) {
    Objects.requireNonNull(rotary, "rotary");
    Objects.requireNonNull(positions, "positions");
    Map<String, Object> p = new LinkedHashMap<>(rotary.getParameters());
    p.put("positions", positions.getName());
    if (special != null) {
      p.put("special", special.getMode().name());
      p.put("specialCount", special.getCount());
      p.put("specialPosition", (double) special.getPosition());
    }
    String name = rotary.getName() + "_" + positions.getName() + (special != null ? "_" + special.getName() : "");
    return Modifier.named(name, p, ctx -> {
      AttentionSpec spec = ctx.getSpec();
      if (rotary.getDim() > spec.getHeadDim()) {
        throw new IllegalArgumentException("rotary: expected r <= d = " + spec.getHeadDim() + ", got r = "
            + rotary.getDim());
      }
      boolean crossPositions = positions.getKind() == RotaryPositions.Kind.CROSS;
      if (crossPositions && !spec.isCross()) {
        throw new IllegalArgumentException("rotary: context positions (RotaryPositions.cross) need a cross-attention"
            + " spec (AttentionSpec.Builder.cross(true)), got self-attention");
      }
      if (!crossPositions && spec.isCross()) {
        throw new IllegalArgumentException("rotary: cross-attention rotates only with context positions"
            + " (RotaryPositions.cross); without them x-transformers applies no rotary, so build it without rotary;"
            + " got " + positions.getName() + " positions");
      }
      if (special != null && spec.isCross()) {
        throw new IllegalArgumentException("rotary: special tokens need self-attention, got a cross-attention spec");
      }
      Rotation.PositionOf keys;
      Rotation.PositionOf queries;
      switch (positions.getKind()) {
        case ARANGE -> {
          keys = (b, t, at) -> at.cast(DType.FLOAT32);
          queries = keys;
        }
        case SELF -> {
          Tensor pos = positionInput(ctx, "rotary_pos", positions.isPerBatch(), ctx.getM());
          keys = (b, t, at) -> read(pos, positions.isPerBatch(), b, at);
          queries = keys;
        }
        default -> {
          Tensor pq = positionInput(ctx, "rotary_pos_q", positions.isPerBatch(), ctx.getN());
          Tensor pk = positionInput(ctx, "rotary_pos_k", positions.isPerBatch(), ctx.getM());
          keys = (b, t, at) -> read(pk, positions.isPerBatch(), b, t);
          queries = (b, t, at) -> read(pq, positions.isPerBatch(), b, t);
        }
      }
      return Slots.rotation(new Rotation(rotary, queries, keys, special));
    });
  }

  private static Tensor positionInput(Modifier.Context ctx, String name, boolean perBatch, Object len) {
    return perBatch ? ctx.capture(name, DType.FLOAT32, ctx.getB(), len) : ctx.capture(name, DType.FLOAT32, len);
  }

  private static Expr read(Tensor pos, boolean perBatch, Expr b, Expr t) {
    return perBatch ? pos.get(b, t) : pos.get(t);
  }

  /**
   * Learned memory key/values, x-transformers' {@code num_mem_kv} (VARIANTS.md §3): reads {@code memory_k} and
   * {@code memory_v} {@code [h_kv, M, d]} (the spec's dtype), prepended to every row's keys, never rotated, always
   * visible, with no score term. Not combinable with a soft-cap (x-transformers caps memory logits too, and the
   * score slot cannot tell a cap from a bias): the kernel refuses the pair.
   *
   * @throws IllegalArgumentException if {@code count < 1}
   */
  public static Modifier memoryKv(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("memory kv: expected M >= 1, got " + count);
    }
    return Modifier.named("memkv" + count, params("count", count), ctx -> {
      AttentionSpec spec = ctx.getSpec();
      Tensor keys = ctx.capture("memory_k", spec.getDtype(), spec.getKvHeads(), count, spec.getHeadDim());
      Tensor values = ctx.capture("memory_v", spec.getDtype(), spec.getKvHeads(), count, spec.getHeadDim());
      return Slots.memory(new Slots.Memory(keys, values, count));
    });
  }
}
