package org.attn4j.maven;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One attention layer in the plugin's configuration ({@code org.attn4j.attention.AttentionLayer}): the fields of a
 * build spec's layer (see {@code org.attn4j.build.BuildSpec}), in Maven's camel case. For {@code x [b, n, dim]}:
 * pre-norm of {@code x + z}, q/k/v projections to {@code [b, h, n, d]} / {@code [b, h_kv, n, d]}, the core,
 * output projection back to {@code [b, n, dim]}, residual.
 *
 * <pre>{@code
 * <layer><dim>512</dim><norm>rms_norm</norm><condition>per_batch</condition><gate>true</gate>
 *   <forgetGate>0.125</forgetGate><valueResidual>learned</valueResidual>
 *   <core><heads>8</heads><kvHeads>2</kvHeads><headDim>64</headDim><causal>BOTTOM_RIGHT</causal></core></layer>
 * }</pre>
 *
 * Each layer is built for every target of the goal and every layer schedule that fits the target's kind, with the
 * {@code b} and {@code n} entries of the goal's bounds.
 */
public class Layer {
  /** The model dim {@code dim}. */
  public int dim;
  /** {@code layer_norm} or {@code rms_norm}. */
  public String norm = "layer_norm";
  /** {@code none}, {@code per_batch} ({@code z [b, dim]}) or {@code per_token} ({@code z [b, n, dim]}). */
  public String condition = "none";
  /** Whether the condition is gated per token by {@code sigmoid(w_g · x0_t)}. */
  public boolean gate;
  /** The FoX forget gates' {@code λ}, or {@code null} for no forget gates. */
  public @Nullable Double forgetGate;
  /** {@code constant} or {@code learned} for a value residual, or {@code null} for none. */
  public @Nullable String valueResidual;
  /** The core attention. */
  public @Nullable Core core;

  /** This layer as a build spec's layer object (a missing core is left to the spec's check). */
  Map<String, Object> toSpec() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dim", dim);
    m.put("norm", norm);
    m.put("condition", condition);
    m.put("gate", gate);
    if (forgetGate != null) {
      m.put("forget_gate", forgetGate);
    }
    if (valueResidual != null) {
      m.put("value_residual", valueResidual);
    }
    if (core != null) {
      m.put("core", core.toSpec());
    }
    return m;
  }
}
