package org.attn4j.attention;

/**
 * The stable names of an {@link AttentionLayer}'s own stages (TE compute ops; TensorIR blocks spell them with
 * {@code _} for {@code .}). The core between {@link #V} and {@link #PROJ} keeps the names of
 * {@link AttentionStages}. The math, per token {@code (b, t)} of {@code x [b, n, dim]}:
 * <ol>
 *   <li>{@link #GATE} (gated layers): {@code g_t = w_g · x0_t} (the gate's logit; the sigmoid is applied where it
 *   is read);</li>
 *   <li>{@link #INPUT} (conditioned layers): {@code u_t = x_t + z_t · sigmoid(g_t)} ({@code z_b} for a per-batch
 *   condition; no sigmoid factor without a gate);</li>
 *   <li>{@link #MEAN} (LayerNorm only): {@code Σ_c u_tc} (divided by {@code dim} where read);</li>
 *   <li>{@link #SQUARES}: {@code Σ_c (u_tc - mean_t)²} (LayerNorm) or {@code Σ_c u_tc²} (RMSNorm);</li>
 *   <li>{@link #NORM}: the pre-norm {@code û_t} times {@code γ};</li>
 *   <li>{@link #Q}, {@link #K}, {@link #V}: {@code û W^T}, split into heads ({@code 'b n (h d) -> b h n d'});</li>
 *   <li>{@link #FORGET_LOGIT}, {@link #FORGET_GATE}, {@link #FORGET_CUMSUM} (FoX layers): per query head,
 *   {@code w_h·û_t}, {@code a_t = λ·logsigmoid(w_h·û_t + β_h)} and {@code F_i = Σ_{t <= i} a_t}, which the core's
 *   forgetting modifier reads as {@code forget_cumsum};</li>
 *   <li>{@link #MIX_LOGIT}, {@link #MIX} (learned value residual): per kv head, {@code w_g·û_t} and
 *   {@code sigmoid(w_g·û_t + c_g)}, which the core's value mix reads as {@code value_residual_mix};</li>
 *   <li>the core ({@link AttentionStages}): {@code o [b, h, n, d]};</li>
 *   <li>{@link #PROJ}: {@code o W_o^T} with heads merged ({@code 'b h n d -> b n (h d)'});</li>
 *   <li>{@link #OUT}: {@code x + proj} (the residual carries {@code x} without {@code z}).</li>
 * </ol>
 */
public final class AttentionLayerStages {
  private AttentionLayerStages() {}

  /** The condition gate's logit {@code [b, n]}. */
  public static final String GATE = "layer.gate";
  /** The branch input {@code x + z'} {@code [b, n, dim]}. */
  public static final String INPUT = "layer.input";
  /** LayerNorm's row sum {@code [b, n]}. */
  public static final String MEAN = "layer.mean";
  /** The row sum of squares {@code [b, n]} (centred for LayerNorm). */
  public static final String SQUARES = "layer.squares";
  /** The normed input {@code [b, n, dim]}. */
  public static final String NORM = "layer.norm";
  /** Queries {@code [b, h, n, d]}. */
  public static final String Q = "layer.q";
  /** Keys {@code [b, h_kv, n, d]}. */
  public static final String K = "layer.k";
  /** Values {@code [b, h_kv, n, d]}. */
  public static final String V = "layer.v";
  /** The forget gates' logits {@code w_h·û_t} {@code [b, h, n]} (without β). */
  public static final String FORGET_LOGIT = "layer.forget_logit";
  /** The log forget gates {@code a = λ·logsigmoid(w_h·û_t + β_h)} {@code [b, h, n]}. */
  public static final String FORGET_GATE = "layer.forget_gate";
  /** Their cumulative sum over the sequence {@code F [b, h, n]} (the core's {@code forget_cumsum}). */
  public static final String FORGET_CUMSUM = "layer.forget_cumsum";
  /** The value-residual mix's logits {@code w_g·û_t} {@code [b, h_kv, n]} (without the bias). */
  public static final String MIX_LOGIT = "layer.mix_logit";
  /** The value-residual mix {@code sigmoid(w_g·û_t + c_g)} {@code [b, h_kv, n]} (the core's value_residual_mix). */
  public static final String MIX = "layer.mix";
  /** The output projection {@code [b, n, dim]}. */
  public static final String PROJ = "layer.proj";
  /** The layer's output {@code [b, n, dim]}. */
  public static final String OUT = "layer.out";
}
