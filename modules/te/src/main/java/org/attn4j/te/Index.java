package org.attn4j.te;

/** Index lambdas for {@link Te#compute}: one interface per arity, plus the array form. */
public final class Index {
  private Index() {}

  /** {@code i -> body}. */
  @FunctionalInterface
  public interface Fn1 {
    /** The element at index {@code i}. */
    Expr apply(Var i);
  }

  /** {@code (i, j) -> body}. */
  @FunctionalInterface
  public interface Fn2 {
    /** The element at {@code (i, j)}. */
    Expr apply(Var i, Var j);
  }

  /** {@code (i, j, k) -> body}. */
  @FunctionalInterface
  public interface Fn3 {
    /** The element at {@code (i, j, k)}. */
    Expr apply(Var i, Var j, Var k);
  }

  /** {@code (i, j, k, l) -> body}. */
  @FunctionalInterface
  public interface Fn4 {
    /** The element at {@code (i, j, k, l)}. */
    Expr apply(Var i, Var j, Var k, Var l);
  }

  /** Any rank: {@code idx -> body}. */
  @FunctionalInterface
  public interface FnN {
    /** The element at {@code idx}. */
    Expr apply(Var[] idx);
  }
}
