/**
 * The GPU check: runs attention artifacts (float32, fp16, bf16; the core and the variants that
 * {@code VariantOracle} matches) on their device (CUDA or CPU) through
 * {@link org.attn4j.runtime.DeviceArray}s with {@code libtvm_runtime} only, compares every output with
 * modules/reference's oracle on the same rounded inputs, and times steady-state calls at the benchmark shapes
 * (TFLOP/s by FlashAttention's convention). Run by {@code ci/gpu-check.sh} from a self-contained bundle on a GPU
 * machine without Maven; {@code ci/gpu/sdpa_peer.py} times PyTorch's peers on the same shapes in the same table
 * format.
 */
@NullMarked
package org.attn4j.bench.gpu;

import org.jspecify.annotations.NullMarked;
