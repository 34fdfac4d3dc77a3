package org.attn4j.te;

import org.attn4j.tvm.TvmObject;

/**
 * A scalar expression of TVM's TIR ({@code PrimExpr}), owned by its {@link Te} context. Operator methods carry
 * Kotlin's operator names, so {@code a * b + 1.0} reads naturally in Kotlin; constants take the dtype of the
 * expression they meet.
 */
public class Expr {
  final Te te;
  final TvmObject node;
  private final DType dtype;

  Expr(Te te, TvmObject node, DType dtype) {
    this.te = te;
    this.node = node;
    this.dtype = dtype;
  }

  /** The element type of the expression. */
  public DType getDtype() {
    return dtype;
  }

  /** The underlying TVM node, borrowed (owned by the context). */
  public TvmObject getNode() {
    return node;
  }

  /** The context that owns this expression. */
  public Te getTe() {
    return te;
  }

  private Expr bin(String op, Expr o) {
    return te.op(op, this, o);
  }

  /** {@code this + o}. */
  public Expr plus(Expr o) {
    return bin("tir._OpAdd", o);
  }

  /** {@code this + c}, {@code c} in this expression's type. */
  public Expr plus(double c) {
    return plus(te.constant(c, dtype));
  }

  /** {@code this - o}. */
  public Expr minus(Expr o) {
    return bin("tir._OpSub", o);
  }

  /** {@code this - c}. */
  public Expr minus(double c) {
    return minus(te.constant(c, dtype));
  }

  /** {@code this * o}. */
  public Expr times(Expr o) {
    return bin("tir._OpMul", o);
  }

  /** {@code this * c}. */
  public Expr times(double c) {
    return times(te.constant(c, dtype));
  }

  /** {@code this / o}: true division for floats, floor division for integers. */
  public Expr div(Expr o) {
    return bin(dtype.isFloat() ? "tir._OpDiv" : "tir._OpFloorDiv", o);
  }

  /** {@code this / c}. */
  public Expr div(double c) {
    return div(te.constant(c, dtype));
  }

  /** Floor modulo (integers). */
  public Expr rem(Expr o) {
    return bin("tir._OpFloorMod", o);
  }

  /** Floor modulo by a constant (integers). */
  public Expr rem(long c) {
    return rem(te.constant(c, dtype));
  }

  /** {@code -this}. */
  public Expr unaryMinus() {
    return te.constant(0, dtype).minus(this);
  }

  /** {@code this < o}. */
  public Expr lt(Expr o) {
    return bin("tir._OpLT", o);
  }

  /** {@code this <= o}. */
  public Expr le(Expr o) {
    return bin("tir._OpLE", o);
  }

  /** {@code this > o}. */
  public Expr gt(Expr o) {
    return bin("tir._OpGT", o);
  }

  /** {@code this >= o}. */
  public Expr ge(Expr o) {
    return bin("tir._OpGE", o);
  }

  /** {@code this > c}. */
  public Expr gt(double c) {
    return gt(te.constant(c, dtype));
  }

  /** {@code this < c}. */
  public Expr lt(double c) {
    return lt(te.constant(c, dtype));
  }

  /** {@code this == o}. */
  public Expr eq(Expr o) {
    return bin("tir._OpEQ", o);
  }

  /** {@code this != o}. */
  public Expr ne(Expr o) {
    return bin("tir._OpNE", o);
  }

  /** Logical and (booleans). */
  public Expr and(Expr o) {
    return bin("tir._OpAnd", o);
  }

  /** Logical or (booleans). */
  public Expr or(Expr o) {
    return bin("tir._OpOr", o);
  }

  /** Logical not (booleans). */
  public Expr not() {
    return te.wrap(te.scope().obj("tir.Not", node, null), DType.BOOL);
  }

  /** Converts to {@code type}. */
  public Expr cast(DType type) {
    if (type == dtype) {
      return this;
    }
    return te.wrap(te.scope().obj("tir._cast", type.getTvmName(), node, null), type);
  }

  /** The value of an integer constant, or empty if this is not one. */
  public java.util.OptionalLong getIntConstant() {
    if (!node.getTypeKey().equals("IntImm")) {
      return java.util.OptionalLong.empty();
    }
    return java.util.OptionalLong.of(te.scope().call("node.NodeGetAttr", node, "value").asLong());
  }

  /** TVM's printed form of the expression. */
  @Override
  public String toString() {
    return te.repr(node);
  }
}
