package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.runtime.Manifest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * CUDA artifacts built on a machine without a GPU or a CUDA driver: TVM's CUDA codegen, PTX from nvcc for
 * sm_90, packed into the shared library. Skips visibly where nvcc is missing. Running them needs a GPU (see
 * ci/gpu-check.sh).
 */
@Tag("cuda-build")
class CudaArtifactTest {
  @Test
  void sm90ArtifactExportsKernelAndDeviceBlob() throws IOException {
    assumeTrue(Toolchain.hasNvcc(), "nvcc not found: CUDA codegen cannot be checked on this machine");
    AttentionSpec spec = AttentionSpec.builder().heads(2).headDim(16).causal(Causal.BOTTOM_RIGHT).build();
    Path dir = ArtifactBuilder.buildCached(ArtifactRequest.of(spec, BuildTarget.cuda("sm_90")), Progress.silent());
    Manifest m = Manifest.read(dir);
    assertThat(m.target()).containsEntry("kind", "cuda").containsEntry("level", "sm_90");
    Path so = dir.resolve(m.library());
    String symbols = Toolchain.run(List.of("nm", "-D", "--defined-only", so.toString()), 60);
    assertThat(symbols).contains(ArtifactBuilder.FUNCTION).contains("__tvm_dev_mblob");
    // the device blob carries the PTX: for sm_90, naming the kernels TVM generated for the function
    String bytes = new String(Files.readAllBytes(so), StandardCharsets.ISO_8859_1);
    assertThat(bytes).contains(".target sm_90").contains(".entry " + ArtifactBuilder.FUNCTION + "_kernel");
  }

  /**
   * The cuda-flash kernel for sm_80 and sm_90: one kernel, K/V tiles in shared memory behind barriers. (Its
   * algorithm is checked against the reference on the CPU by CoreConformanceTest's emulated twin.)
   */
  @Test
  void cudaFlashArtifactsStageTilesInSharedMemory() throws IOException {
    assumeTrue(Toolchain.hasNvcc(), "nvcc not found: CUDA codegen cannot be checked on this machine");
    for (String arch : new String[] {"sm_80", "sm_90"}) {
      // fp16 in, fp32 softmax and accumulation, fp16 out
      AttentionSpec spec = AttentionSpec.builder().heads(8).headDim(64).causal(Causal.BOTTOM_RIGHT)
          .dtype(arch.equals("sm_80") ? org.attn4j.te.DType.FLOAT16 : org.attn4j.te.DType.FLOAT32).build();
      BuildTarget target = BuildTarget.cuda(arch);
      Path dir = ArtifactBuilder.buildCached(new ArtifactRequest(spec, target,
          org.attn4j.schedules.CudaFlashSchedule.cuda(), ArtifactRequest.defaultBounds()), Progress.silent());
      Manifest m = Manifest.read(dir);
      assertThat(m.schedule()).isEqualTo("cuda-flash");
      String ptx = new String(Files.readAllBytes(dir.resolve(m.library())), StandardCharsets.ISO_8859_1);
      assertThat(ptx).contains(".target " + arch).contains(".entry " + ArtifactBuilder.FUNCTION + "_kernel")
          .contains(".shared .align").contains("bar.sync");
      // one kernel launch per call: the whole attention is fused
      assertThat(ptx.split("\\.entry ", -1)).hasSize(2);
    }
  }

  /**
   * The seed variants on cuda-flash for sm_90 (rotary cross-attention with per-batch positions; rotary with
   * pairwise-exempt special tokens, FoX and the per-token value residual together): still one fused kernel, the
   * rotation and blend happening as tiles are staged; their captured inputs are kernel arguments. (Their algorithm
   * is checked on the CPU against the reference through the emulated twin: RotaryConformanceTest,
   * ForgettingConformanceTest, ValueResidualConformanceTest.)
   */
  @Test
  void seedVariantsCompileToOneFusedCudaKernel() throws IOException {
    assumeTrue(Toolchain.hasNvcc(), "nvcc not found: CUDA codegen cannot be checked on this machine");
    org.attn4j.attention.AttentionSpec cross = AttentionSpec.builder().heads(8).headDim(64).cross(true).build();
    org.attn4j.attention.AttentionSpec causal = AttentionSpec.builder().heads(8).headDim(64)
        .causal(Causal.BOTTOM_RIGHT).build();
    java.util.List<org.attn4j.attention.Variant> variants = java.util.List.of(
        org.attn4j.attention.Variant.of(cross, org.attn4j.attention.Modifiers.rotary(
            org.attn4j.attention.Rotary.halfOf(64), org.attn4j.attention.RotaryPositions.cross(true))),
        org.attn4j.attention.Variant.of(causal, org.attn4j.attention.Modifiers.rotary(
            org.attn4j.attention.Rotary.halfOf(64), org.attn4j.attention.RotaryPositions.arange(),
            org.attn4j.attention.SpecialTokens.pairwiseExempt(2)),
            org.attn4j.attention.Modifiers.forgetting(org.attn4j.attention.ForgetGate.DATA_DEPENDENT,
                org.attn4j.attention.ForgetDirection.FORWARD),
            org.attn4j.attention.Modifiers.valueResidualPerToken()));
    java.util.List<java.util.List<String>> inputs = java.util.List.of(
        java.util.List.of("rotary_pos_q", "rotary_pos_k"),
        java.util.List.of("forget_cumsum", "value_first", "value_residual_mix"));
    for (int i = 0; i < variants.size(); i++) {
      Path dir = ArtifactBuilder.buildCached(new ArtifactRequest(variants.get(i), BuildTarget.cuda("sm_90"),
          org.attn4j.schedules.CudaFlashSchedule.cuda(), ArtifactRequest.defaultBounds()), Progress.silent());
      Manifest m = Manifest.read(dir);
      String ptx = new String(Files.readAllBytes(dir.resolve(m.library())), StandardCharsets.ISO_8859_1);
      assertThat(ptx).contains(".target sm_90").contains(".shared .align").contains("bar.sync");
      assertThat(ptx.split("\\.entry ", -1)).as("%s: one kernel", variants.get(i)).hasSize(2);
      String manifest = Files.readString(dir.resolve("manifest.json"));
      for (String name : inputs.get(i)) {
        assertThat(manifest).as("%s: input %s", variants.get(i), name).contains("\"" + name + "\"");
      }
    }
  }
}
