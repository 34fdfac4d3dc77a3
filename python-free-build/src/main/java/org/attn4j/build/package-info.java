/**
 * The ahead-of-time compiler, without Python: attention specs and schedules in, artifacts out. An artifact is a
 * directory with the kernel's shared library and a {@code manifest.json} that the runtime checks before
 * loading. CPU code comes from TVM's LLVM backend for a named CPU level (never {@code -mcpu=native}); CUDA code
 * from TVM's CUDA codegen with PTX made by {@code nvcc} through a registered compile callback, packed into the
 * shared library, on machines with no GPU.
 */
@NullMarked
package org.attn4j.build;

import org.jspecify.annotations.NullMarked;
