package org.attn4j.attention;

/**
 * The gate types of forgetting attention (FoX, Lin et al. 2025; VARIANTS.md §6), as in the official FoX code. Each
 * gives per-head log forget gates {@code a_t <= 0} and the score term {@code F_i - F_j}, {@code F_t = Σ_{u<=t} a_u};
 * the kernel input each type reads is listed with {@link Modifiers#forgetting(ForgetGate, ForgetDirection, double,
 * double)}.
 */
public enum ForgetGate {
  /**
   * Gates from the layer input, {@code a[b, h, t] = λ·logsigmoid(w_h·x_t + β_h)}: the kernel reads the cumulative
   * sum {@code F [b, h, m]} the attention layer (or the caller, {@link Modifiers#forgetCumsum}) computes.
   */
  DATA_DEPENDENT,
  /** A learned constant gate per head, {@code a_h = λ·logsigmoid(β_h)}: the kernel reads {@code β [h]}. */
  BIAS_ONLY,
  /** A fixed constant gate per head, {@code a_h = -slope_h}: exactly causal ALiBi; the kernel reads the slopes. */
  FIXED,
  /** No gate ({@code a = 0}): plain attention, no input. */
  NONE
}
