package org.attn4j.build;

import java.io.IOException;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Device;
import org.attn4j.schedules.TargetKind;

/**
 * JIT mode, for experiments and tests: builds a request in this process through the same content-hash cache as
 * ahead-of-time builds ({@link ArtifactBuilder#buildCached}), then loads it through the same manifest checks as
 * packaged artifacts ({@link AttentionKernel#load(java.nio.file.Path, Device)}: ABI, TVM version, target,
 * alignment, sha256). The process loads TVM's compiler (an application that only runs kernels should ship AOT
 * artifacts and depend on {@code attn4j-runtime} alone).
 *
 * <pre>{@code
 * AttentionSpec spec = AttentionSpec.builder().heads(8).headDim(64).build();
 * try (AttentionKernel kernel = Jit.kernel(spec)) {    // compiled on first use, then a cache hit
 *   kernel.run(Dims.of(b, n, m), q, k, v, out);
 * }
 * }</pre>
 */
public final class Jit {
  private Jit() {}

  /** Equivalent to {@link #kernel(ArtifactRequest, Progress)} for the host CPU's best level, silently. */
  public static AttentionKernel kernel(AttentionSpec spec) throws IOException {
    return kernel(ArtifactRequest.of(spec, BuildTarget.hostCpu()), Progress.silent());
  }

  /**
   * Builds (or finds in the cache) and loads {@code request}: on the CPU for a CPU target, on {@code cuda:0} for a
   * CUDA one. Caller must close.
   *
   * @throws org.attn4j.tvm.Attn4jException naming the variant and target, with TVM's message, if compiling fails
   * @throws IllegalArgumentException if the built artifact fails the manifest checks
   */
  public static AttentionKernel kernel(ArtifactRequest request, Progress progress) throws IOException {
    Device device = request.target().getKind() == TargetKind.CUDA ? Device.cuda(0) : Device.cpu();
    return AttentionKernel.load(ArtifactBuilder.buildCached(request, progress), device);
  }
}
