package org.attn4j.attention;

import java.util.ArrayList;
import java.util.List;
import org.attn4j.te.Tensor;
import org.attn4j.te.Var;
import org.jspecify.annotations.Nullable;

/**
 * The tensors of one attention definition: inputs, outputs and the symbolic dims. {@link #getArguments()} is
 * the kernel's argument order: {@code q, k, v, [key_lengths], [captured...], out, [lse]}.
 *
 * @param spec what is computed
 * @param b symbolic batch size
 * @param n symbolic query length
 * @param m symbolic key length
 * @param q {@code [b, h, n, d]}
 * @param k {@code [b, h_kv, m, d]}
 * @param v {@code [b, h_kv, m, d]}
 * @param keyLengths {@code [b]} int32, when the spec has key lengths
 * @param captured the tensors the variant's modifiers read, in capture order ({@link Modifier.Context#capture})
 * @param out {@code [b, h, n, d]}
 * @param lse {@code [b, h, n]} float32, when the spec asks for it
 * @param slots the variant's hooks, for schedules that build the kernel as a loop nest
 */
public record AttentionGraph(
    AttentionSpec spec,
    Var b,
    Var n,
    Var m,
    Tensor q,
    Tensor k,
    Tensor v,
    @Nullable Tensor keyLengths,
    List<Tensor> captured,
    Tensor out,
    @Nullable Tensor lse,
    Slots slots) {

  /** Copies {@code captured}. */
  public AttentionGraph {
    captured = List.copyOf(captured);
  }

  /** Inputs then outputs, in the kernel's argument order. */
  public List<Tensor> getArguments() {
    List<Tensor> a = new ArrayList<>(List.of(q, k, v));
    if (keyLengths != null) {
      a.add(keyLengths);
    }
    a.addAll(captured);
    a.add(out);
    if (lse != null) {
      a.add(lse);
    }
    return a;
  }

  /** Number of output tensors (1 or 2). */
  public int getOutputCount() {
    return lse != null ? 2 : 1;
  }
}
