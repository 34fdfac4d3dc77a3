package org.attn4j.attention;

import java.util.ArrayList;
import java.util.List;
import org.attn4j.te.Tensor;
import org.attn4j.te.Var;

/**
 * The tensors of one {@link AttentionLayer} definition. {@link #getArguments()} is the kernel's argument order:
 * {@code x, [z], [x0], gamma, wq, wk, wv, wo, [w_gate], [captured...], out}.
 *
 * @param layer what is computed
 * @param b symbolic batch size
 * @param n symbolic sequence length (queries and keys)
 * @param inputs the input placeholders in argument order (the core's captured tensors last)
 * @param core the core attention over the projected q/k/v ({@link AttentionGraph#q()} etc. are the projection
 *     stages, not inputs); its stage names are {@link AttentionStages}'
 * @param out {@code [b, n, dim]}
 */
public record AttentionLayerGraph(AttentionLayer layer, Var b, Var n, List<Tensor> inputs, AttentionGraph core,
    Tensor out) {

  /** The name of the output argument. */
  public static final String OUTPUT_NAME = "out";

  /** Copies {@code inputs}. */
  public AttentionLayerGraph {
    inputs = List.copyOf(inputs);
  }

  /** Inputs then the output, in the kernel's argument order. */
  public List<Tensor> getArguments() {
    List<Tensor> a = new ArrayList<>(inputs);
    a.add(out);
    return a;
  }

  /** The arguments' names, as the manifest and the runtime's messages show them (the output is {@code out}). */
  public List<String> getArgumentNames() {
    List<String> names = new ArrayList<>();
    inputs.forEach(t -> names.add(t.getName()));
    names.add(OUTPUT_NAME);
    return names;
  }

  /** Number of output tensors (always 1). */
  public int getOutputCount() {
    return 1;
  }
}
