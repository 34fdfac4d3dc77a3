package org.attn4j.te;

import java.util.List;
import org.attn4j.tvm.TvmObject;

/**
 * A tensor of the expression graph: a placeholder (an input) or the output of a compute stage. Reading it at
 * indices gives an {@link Expr} ({@code t[i, j]} in Kotlin).
 */
public final class Tensor {
  final Te te;
  final TvmObject node;
  private final String name;
  private final DType dtype;
  private final List<Expr> shape;

  Tensor(Te te, TvmObject node, String name, DType dtype, List<Expr> shape) {
    this.te = te;
    this.node = node;
    this.name = name;
    this.dtype = dtype;
    this.shape = List.copyOf(shape);
  }

  /**
   * {@code this[indices]}; the number of indices must equal the rank. A TE read ({@code ProducerLoad}), or a
   * TIR {@code BufferLoad} while the tensor is bound to a loop nest's buffer ({@link Te#bind}), so one index
   * lambda serves a compute definition and a hand-written loop nest alike.
   */
  public Expr get(Expr... indices) {
    if (indices.length != shape.size()) {
      throw new IllegalArgumentException(
          name + ": expected " + shape.size() + " indices, got " + indices.length);
    }
    LoopNest.Buf bound = te.boundBuffer(this);
    if (bound != null) {
      return bound.get(indices);
    }
    TvmObject idx = te.array(indices);
    return te.wrap(te.scope().obj("tir.ProducerLoad", node, idx, null), dtype);
  }

  /** The stage (or placeholder) name, e.g. {@code attn.out}. */
  public String getName() {
    return name;
  }

  /** Element type. */
  public DType getDtype() {
    return dtype;
  }

  /** Rank. */
  public int getRank() {
    return shape.size();
  }

  /** Dimensions (constants or symbolic variables). */
  public List<Expr> getShape() {
    return shape;
  }

  /** The TVM {@code te.Tensor}, borrowed. */
  public TvmObject getNode() {
    return node;
  }

  @Override
  public String toString() {
    return "Tensor(" + name + ", " + dtype.getTvmName() + ", " + shape + ")";
  }
}
