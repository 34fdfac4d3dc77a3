/**
 * Typed handles over Apache TVM's C API (through the JavaCPP binding shipped in {@code org.bytedeco:tvm}).
 *
 * <p>Everything that names a TVM FFI function, a type code or an argument order lives in this package, so that a
 * later TVM (whose FFI changed after 0.18) is one module's work. Entry points:
 * <ul>
 *   <li>{@link org.attn4j.tvm.TvmNatives}: loads the natives once, lazily, either the runtime alone
 *       ({@code libtvm_runtime}) or the whole compiler;</li>
 *   <li>{@link org.attn4j.tvm.TvmGlobal}: a global packed function, called with Java values;</li>
 *   <li>{@link org.attn4j.tvm.ObjectScope} and {@link org.attn4j.tvm.TvmObject}: owned TVM objects, freed when
 *       their scope closes;</li>
 *   <li>{@link org.attn4j.tvm.TvmModule} and {@link org.attn4j.tvm.TvmFunction}: compiled modules and the
 *       kernels inside them.</li>
 * </ul>
 */
@NullMarked
package org.attn4j.tvm;

import org.jspecify.annotations.NullMarked;
