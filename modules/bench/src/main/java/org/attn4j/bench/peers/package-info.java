/**
 * Attention peers: other implementations of the same forward attention that benchmarks run side by side with
 * attn4j's kernels, in the same process and the same run.
 *
 * <p>Every peer implements {@link org.attn4j.bench.peers.AttentionPeer}: row-major {@code float} arrays,
 * {@code q [b, h, n, d]}, {@code k, v [b, h, m, d]}, {@code out [b, h, n, d]}, scale {@code 1/sqrt(d)}, causal or
 * not chosen at construction. {@link org.attn4j.bench.BenchMain} times them.
 */
@NullMarked
package org.attn4j.bench.peers;

import org.jspecify.annotations.NullMarked;
