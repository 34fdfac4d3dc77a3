package org.attn4j.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.attn4j.tvm.TvmGlobal;

/**
 * PTX for TVM's CUDA codegen from {@code nvcc}: registers {@code tvm_callback_cuda_compile}, which TVM calls
 * with the generated CUDA C source. Without it TVM would use NVRTC with the architecture of a GPU, which a
 * build machine does not have.
 */
final class CudaCompile {
  private CudaCompile() {}

  /**
   * TVM 0.18's CUDA source defines its own {@code half htanh(half)} (through its
   * {@code CUDA_UNSUPPORTED_HALF_MATH_UNARY} macro), which CUDA 12.8+ declares in
   * {@code cuda_fp16.hpp} too ("function htanh has already been defined"): TVM's copy is renamed, so calls resolve
   * to CUDA's, which computes the same thing.
   */
  static String compatible(String code) {
    return code.replace("CUDA_UNSUPPORTED_HALF_MATH_UNARY(htanh, tanhf)",
        "CUDA_UNSUPPORTED_HALF_MATH_UNARY(attn4j_tvm_htanh, tanhf)");
  }

  /**
   * The compute version of an architecture, as TVM's {@code tvm.contrib.nvcc.get_compute_version} gives it:
   * {@code sm_90a} is {@code "9.0"}, {@code sm_86} is {@code "8.6"}.
   */
  static String computeVersion(String arch) {
    String digits = arch.replaceFirst("^sm_", "").replaceAll("[^0-9]", "");
    if (digits.length() < 2) {
      throw new IllegalArgumentException("CUDA architecture: expected sm_XY, got " + arch);
    }
    return digits.substring(0, digits.length() - 1) + "." + digits.substring(digits.length() - 1);
  }

  /** The architecture of the build in progress (builds of CUDA targets are serialised by the compiler). */
  private static volatile String arch = "sm_80";
  private static boolean registered;

  /**
   * Makes TVM's CUDA codegen compile for {@code target}'s architecture. The callbacks are registered once per
   * process and read the current architecture: JavaCPP keeps a small fixed number of native callback thunks per
   * callback class, so registering anew for every build would eventually hand TVM a null function.
   */
  static synchronized void register(BuildTarget target) {
    if (!Toolchain.hasNvcc()) {
      throw new IllegalStateException("CUDA target " + target + ": nvcc not found (set NVCC or CUDA_HOME, or put"
          + " nvcc on the PATH)");
    }
    computeVersion(target.getLevel());
    arch = target.getLevel();
    if (registered) {
      return;
    }
    // TVM asks these (Python functions in its own distribution) before it legalizes bfloat16 away: without them
    // it assumes no native bf16 and rewrites bf16 buffers to uint16, which tensor-core calls cannot follow
    TvmGlobal.register("tvm.contrib.nvcc.get_compute_version", args -> computeVersion(arch));
    TvmGlobal.register("tvm.contrib.nvcc.supports_bf16", args -> Double.parseDouble(String.valueOf(args.get(0)))
        >= 8.0 ? 1L : 0L);
    TvmGlobal.register("tvm_callback_cuda_compile", args -> {
      String code = compatible(String.valueOf(args.get(0)));
      Path dir = Files.createTempDirectory("attn4j-nvcc");
      try {
        Path cu = dir.resolve("kernel.cu");
        Path ptx = dir.resolve("kernel.ptx");
        Files.writeString(cu, code);
        Toolchain.run(List.of(Toolchain.nvcc(), "--ptx", "-O3", "-arch=" + arch, "-o", ptx.toString(),
            cu.toString()), 600);
        return Files.readString(ptx);
      } finally {
        KernelCompiler.deleteTree(dir);
      }
    });
    registered = true;
  }
}
