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

  /**
   * The tensor-core kernel for sm_80 and sm_90, fp16 (d 64) and bf16 (d 128), with rotary and FoX fused: one kernel
   * whose PTX holds the m16n8k16 mma of its type with fp32 accumulation, the quad shuffles, K/V tiles in shared
   * memory behind barriers, and no local-memory arrays (every fragment index is a constant, so the fragments live
   * in registers). Its arithmetic is checked on the CPU by CudaMmaConformanceTest's emulated twin.
   */
  @Test
  void cudaMmaArtifactsUseTensorCores() throws IOException {
    assumeTrue(Toolchain.hasNvcc(), "nvcc not found: CUDA codegen cannot be checked on this machine");
    for (String arch : new String[] {"sm_80", "sm_90"}) {
      for (org.attn4j.te.DType t : new org.attn4j.te.DType[] {org.attn4j.te.DType.FLOAT16,
          org.attn4j.te.DType.BFLOAT16}) {
        int d = t == org.attn4j.te.DType.FLOAT16 ? 64 : 128;
        AttentionSpec spec = AttentionSpec.builder().heads(8).headDim(d).dtype(t).causal(Causal.BOTTOM_RIGHT)
            .lse(true).build();
        org.attn4j.attention.Variant v = org.attn4j.attention.Variant.of(spec, org.attn4j.attention.Modifiers.rotary(
            org.attn4j.attention.Rotary.halfOf(d), org.attn4j.attention.RotaryPositions.arange()),
            org.attn4j.attention.Modifiers.forgetting(org.attn4j.attention.ForgetGate.DATA_DEPENDENT,
                org.attn4j.attention.ForgetDirection.FORWARD));
        BuildTarget target = BuildTarget.cuda(arch);
        Path dir = ArtifactBuilder.buildCached(new ArtifactRequest(v, target,
            ArtifactRequest.schedule("cuda-mma", target), ArtifactRequest.defaultBounds()), Progress.silent());
        Manifest m = Manifest.read(dir);
        assertThat(m.schedule()).isEqualTo("cuda-mma");
        String ptx = new String(Files.readAllBytes(dir.resolve(m.library())), StandardCharsets.ISO_8859_1);
        String ab = t == org.attn4j.te.DType.FLOAT16 ? "f16" : "bf16";
        assertThat(ptx).as("%s %s", arch, t).contains(".target " + arch)
            .contains("mma.sync.aligned.m16n8k16.row.col.f32." + ab + "." + ab + ".f32")
            .contains("shfl.sync").contains(".shared .align").contains("bar.sync")
            .doesNotContain(".local");
        assertThat(ptx.split("\\.entry ", -1)).as("%s %s: one kernel", arch, t).hasSize(2);
        // ptxas (beside nvcc) assembles it for the architecture: the registers it needs, and no spills
        String report = ptxasReport(ptx, arch);
        System.out.printf("cuda-mma %s %s d=%d: %s%n", arch, t, d, report.replaceAll("\\s+", " "));
        assertThat(report).as("%s %s", arch, t).contains("0 bytes spill stores").contains("0 bytes spill loads");
      }
    }
  }

  /**
   * ptxas's resource report ({@code -v}: registers, shared memory, spills) for the PTX inside an artifact's
   * library: the text from NVVM's header to the first NUL byte.
   */
  static String ptxasReport(String library, String arch) throws IOException {
    int start = library.indexOf("//\n// Generated by NVIDIA NVVM Compiler");
    assertThat(start).as("PTX in the library").isGreaterThanOrEqualTo(0);
    int end = library.indexOf('\0', start);
    Path dir = Files.createTempDirectory("attn4j-ptxas");
    try {
      Path ptx = dir.resolve("kernel.ptx");
      Files.writeString(ptx, library.substring(start, end < 0 ? library.length() : end), StandardCharsets.ISO_8859_1);
      Path nvcc = Path.of(Toolchain.nvcc());
      String ptxas = nvcc.getParent() == null ? "ptxas" : nvcc.resolveSibling("ptxas").toString();
      return Toolchain.run(List.of(ptxas, "-arch=" + arch, "-v", "-o", dir.resolve("kernel.cubin").toString(),
          ptx.toString()), 300);
    } finally {
      KernelCompiler.deleteTree(dir);
    }
  }
}
