package org.attn4j.build;

import java.io.IOException;
import java.nio.file.Path;

import org.apache.arrow.memory.RootAllocator;
import org.attn4j.attention.AttentionSpec;

import org.junit.jupiter.api.BeforeAll;

/**
 * Fixture for tests that run one small core-attention artifact ({@code h = 2}, {@code d = 8}, float32, not causal,
 * default schedule) on the host CPU: the artifact is built once per test class (after the first build, a copy from
 * the attn4j cache), and every test gets a fresh {@link RootAllocator}, closed after it, which fails on any leaked
 * buffer. Subclasses choose {@code b}, {@code n} and {@code m}.
 */
abstract class HostKernelFixture extends ArrowTestBase {
  static final int H = 2;
  static final int D = 8;
  static Path artifact;

  @BeforeAll
  static void buildArtifact() throws IOException {
    artifact = ArtifactBuilder.buildCached(ArtifactRequest.of(
        AttentionSpec.builder().heads(H).headDim(D).build(), BuildTarget.hostCpu()), Progress.silent());
  }

}
