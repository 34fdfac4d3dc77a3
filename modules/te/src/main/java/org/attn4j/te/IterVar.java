package org.attn4j.te;

import org.attn4j.tvm.TvmObject;

/** An iteration axis with a range: a reduce axis made by {@link Te#reduceAxis}. */
public final class IterVar {
  final TvmObject node;
  private final Var var;

  IterVar(TvmObject node, Var var) {
    this.node = node;
    this.var = var;
  }

  /** The axis' loop variable, to index tensors with. */
  public Var getVar() {
    return var;
  }
}
