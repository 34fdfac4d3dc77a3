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

  static synchronized void register(BuildTarget target) {
    if (!Toolchain.hasNvcc()) {
      throw new IllegalStateException("CUDA target " + target + ": nvcc not found (set NVCC or CUDA_HOME, or put"
          + " nvcc on the PATH)");
    }
    String arch = target.getLevel();
    TvmGlobal.register("tvm_callback_cuda_compile", args -> {
      String code = String.valueOf(args.get(0));
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
