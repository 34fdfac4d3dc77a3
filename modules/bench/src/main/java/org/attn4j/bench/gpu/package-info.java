/**
 * The GPU check: runs attention artifacts on their device (CUDA or CPU) through
 * {@link org.attn4j.runtime.DeviceArray}s with {@code libtvm_runtime} only, compares every output with
 * {@link org.attn4j.reference.CoreAttentionOracle} and times steady-state calls. Run by {@code ci/gpu-check.sh}
 * from a self-contained bundle on a GPU machine without Maven.
 */
@NullMarked
package org.attn4j.bench.gpu;

import org.jspecify.annotations.NullMarked;
