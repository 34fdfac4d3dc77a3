package org.attn4j.attention;

import java.util.Map;
import org.attn4j.te.Tensor;

/**
 * An {@link AttentionLayer} split at its core ({@link AttentionLayer#defineParts}), for schedules that run the core
 * as a kernel of its own (e.g. a flash loop nest, which reads q/k/v as arguments): a prologue from the layer's
 * inputs to q, k, v and the gates, the core, and an epilogue from the core's output to the layer's. Run in that
 * order over workspaces for the tensors in between, the three compute what {@link #layer()} does.
 *
 * @param layer the whole layer, as {@link AttentionLayer#define}: its arguments are the artifact's, its stages the
 *     prologue's (stage names as there)
 * @param prologue the prologue's outputs, stages of {@code layer}, under the name of the {@link #core()} argument
 *     each one is: {@code q [b, h, n, d]}, {@code k [b, h_kv, n, d]}, {@code v [b, h_kv, n, d]}, then the gates the
 *     layer computes for the core's captures ({@code forget_cumsum [b, h, n]}, {@code value_residual_mix
 *     [b, h_kv, n]}); every other captured argument of the core is an input of {@code layer} of the same name
 * @param core the core ({@link AttentionLayer#getCoreVariant()}) over its own placeholders and dims
 *     ({@code b, n, m}; the layer runs it with {@code m = n}), as {@link ScaledDotProduct#define(org.attn4j.te.Te,
 *     Variant)} defines it
 * @param attention the epilogue's input, the core's output {@code o [b, h, n, d]} (a placeholder in {@code layer}'s
 *     {@code b} and {@code n})
 * @param out the epilogue's output {@code [b, n, dim]}: {@code x + o W_o^T}, reading {@code attention} and the
 *     inputs {@code x} and {@code wo} of {@code layer} (stages {@link AttentionLayerStages#PROJ} and
 *     {@link AttentionLayerStages#OUT})
 */
public record AttentionLayerParts(AttentionLayerGraph layer, Map<String, Tensor> prologue, AttentionGraph core,
    Tensor attention, Tensor out) {

  /** Copies {@code prologue}, keeping its order. */
  public AttentionLayerParts {
    prologue = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(prologue));
  }
}
