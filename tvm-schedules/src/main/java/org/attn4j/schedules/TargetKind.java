package org.attn4j.schedules;

/** The device family a schedule and an artifact are for. */
public enum TargetKind {
  /** x86-64 CPU through LLVM. */
  CPU,
  /** NVIDIA GPU through TVM's CUDA codegen and nvcc. */
  CUDA
}
