/**
 * The run side: loads ahead-of-time compiled attention artifacts with {@code libtvm_runtime} only (the compiler
 * is never loaded), checks their manifests, and runs them on Apache Arrow vectors without copies.
 *
 * <pre>{@code
 * try (AttentionKernel kernel = AttentionKernel.load(Path.of("artifacts/sdpa_float32_h8kv8_d64-cpu-x86-64-v3"));
 *      BufferAllocator alloc = new RootAllocator()) {
 *   // q [b, h, n, d], k and v [b, h_kv, m, d], out [b, h, n, d] as Float4Vectors (row-major)
 *   kernel.run(Dims.of(b, n, m), q, k, v, out);
 * }
 * }</pre>
 */
@NullMarked
package org.attn4j.runtime;

import org.jspecify.annotations.NullMarked;
