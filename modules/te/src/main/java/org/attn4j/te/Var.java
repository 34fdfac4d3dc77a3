package org.attn4j.te;

import org.attn4j.tvm.TvmObject;

/** A scalar variable: an index of a compute, or a symbolic dimension made by {@link Te#sizeVar}. */
public final class Var extends Expr {
  private final String name;

  Var(Te te, TvmObject node, DType dtype, String name) {
    super(te, node, dtype);
    this.name = name;
  }

  /** The variable's name. */
  public String getName() {
    return name;
  }
}
