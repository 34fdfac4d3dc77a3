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

  static synchronized void register(BuildTarget target) {
    if (!Toolchain.hasNvcc()) {
      throw new IllegalStateException("CUDA target " + target + ": nvcc not found (set NVCC or CUDA_HOME, or put"
          + " nvcc on the PATH)");
    }
    String arch = target.getLevel();
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
  }
}
