/**
 * The tensor-expression DSL: TVM's {@code te} from Java and Kotlin, without Python.
 *
 * <p>A {@link org.attn4j.te.Te} context owns every IR node made through it; {@link org.attn4j.te.Expr} has
 * Kotlin operator names ({@code plus}, {@code minus}, {@code times}, {@code div}, {@code unaryMinus}),
 * {@link org.attn4j.te.Tensor#get} reads a tensor, and {@link org.attn4j.te.Te#compute} takes index lambdas of
 * arity 1 to 4 (or an array form). Reductions ({@link org.attn4j.te.Te#sum}, {@link org.attn4j.te.Te#max}) run
 * over reduce axes with an optional predicate. Dimensions may be symbolic ({@link org.attn4j.te.Te#sizeVar}).
 *
 * <pre>{@code
 * try (Te te = Te.create()) {
 *   Var n = te.sizeVar("n");
 *   Tensor a = te.placeholder("a", DType.FLOAT32, n);
 *   Tensor b = te.compute("b", "elemwise", new Expr[] {n}, i -> te.exp(a.get(i)).times(2.0));
 * }
 * }</pre>
 */
@NullMarked
package org.attn4j.te;

import org.jspecify.annotations.NullMarked;
