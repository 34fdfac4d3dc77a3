package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.arrow.vector.Float4Vector;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.ArtifactCatalog;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.AttentionKernels;
import org.attn4j.runtime.Dims;
import org.attn4j.runtime.Host;
import org.attn4j.runtime.KernelQuery;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JIT mode, and a real artifact packaged in a jar, found on a class path, extracted, verified and run. */
class JitAndDiscoveryTest extends ArrowTestBase {
  static final int B = 1, H = 2, N = 4, M = 6, D = 8;
  static final AttentionSpec SPEC = AttentionSpec.builder().heads(H).headDim(D).build();
  @TempDir Path tmp;

  /** Runs {@code kernel} on fixed inputs and checks it against the oracle. */
  void runsCorrectly(AttentionKernel kernel) {
    try (Float4Vector q = Vectors.floats(allocator, "q", TestData.uniform(1, B * H * N * D, -1, 1));
        Float4Vector k = Vectors.floats(allocator, "k", TestData.uniform(2, B * H * M * D, -1, 1));
        Float4Vector v = Vectors.floats(allocator, "v", TestData.uniform(3, B * H * M * D, -1, 1));
        Float4Vector out = Vectors.output(allocator, "out", B * H * N * D)) {
      kernel.run(Dims.of(B, N, M), q, k, v, out);
      float[] ref = CoreAttentionOracle.run(CoreAttentionOracle.Options.builder().shape(B, H, H, N, M, D).build(),
          Vectors.toArray(q), Vectors.toArray(k), Vectors.toArray(v));
      assertThat(Tolerances.compare(Vectors.toArray(out), ref).isWithin(Tolerances.FP32)).isTrue();
    }
  }

  @Test
  void jitBuildsThroughTheCacheAndLoadsWithTheManifestChecks() throws IOException {
    List<String> steps = new ArrayList<>();
    try (AttentionKernel kernel = Jit.kernel(ArtifactRequest.of(SPEC, BuildTarget.hostCpu()), steps::add)) {
      assertThat(kernel.getManifest().target().get("level")).isEqualTo(Host.detect().getCpuLevel());
      assertThat(kernel.getDirectory()).startsWith(org.attn4j.tvm.Cache.directory().resolve("artifacts"));
      runsCorrectly(kernel);
    }
    steps.clear();
    try (AttentionKernel again = Jit.kernel(ArtifactRequest.of(SPEC, BuildTarget.hostCpu()), steps::add)) {
      assertThat(steps).containsExactly("cache hit");
      runsCorrectly(again);
    }
  }

  @Test
  void aPackagedArtifactIsFoundExtractedVerifiedAndRun() throws Exception {
    ArtifactBuilder.Built built = ArtifactBuilder.build(ArtifactRequest.of(SPEC, BuildTarget.hostCpu()), tmp,
        Progress.silent());
    Path jar = tmp.resolve("kernels-linux-x86_64.jar");
    Packaging.stage(tmp.resolve("stage"), List.of(built.directory()));
    Packaging.jar(tmp.resolve("stage"), jar);
    try (URLClassLoader cl = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
        AttentionKernel kernel = AttentionKernels.load(KernelQuery.of(SPEC.getName()), ArtifactCatalog.classpath(cl))) {
      assertThat(kernel.getDirectory()).startsWith(org.attn4j.tvm.Cache.directory().resolve("extracted"));
      runsCorrectly(kernel);
    }
  }
}
