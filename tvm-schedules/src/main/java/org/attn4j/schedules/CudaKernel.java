package org.attn4j.schedules;

import java.util.function.Consumer;
import org.attn4j.attention.AttentionGraph;
import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.LoopNest.Buf;
import org.attn4j.te.LoopNest.Kind;
import org.attn4j.te.Te;

/**
 * What the CUDA loop-nest kernels share with their CPU emulations: per-thread phases ({@code threadIdx.x}, or a
 * serial loop when emulated), barriers, and per-thread registers (a {@code [threads, size]} array when emulated).
 */
abstract class CudaKernel extends FlashKernel {
  final int threads;
  final boolean emulate;

  CudaKernel(Te te, AttentionGraph g, int threads, boolean emulate) {
    super(te, g);
    this.threads = threads;
    this.emulate = emulate;
  }

  /**
   * The GPU's own sine and cosine (TVM's CUDA lowering of {@code sin}/{@code cos}: {@code sinf}/{@code cosf}),
   * also in the CPU emulation so that the two run the same arithmetic; no let (load loops are unrolled, and a let
   * inside an unrolled loop breaks TVM's host/device split).
   */
  @Override
  Expr[] sinCos(String name, Expr phi) {
    return new Expr[] {te.sin(phi), te.cos(phi)};
  }

  /** A phase: every thread of the block runs {@code body(tx)} (tx as int64). */
  void threadsDo(Consumer<Expr> body) {
    if (emulate) {
      ln.loop("tx", threads, Kind.SERIAL, body::accept);
    } else {
      ln.threadLoop("tx", te.constant(threads, DType.INT32), "threadIdx.x", tx -> body.accept(tx.cast(DType.INT64)));
    }
  }

  /** {@code __syncthreads()}; nothing when emulated (the serial thread loops are already ordered). */
  void barrier() {
    if (!emulate) {
      ln.sync();
    }
  }

  /** Per-thread registers of {@code type}: {@code size} values per thread. */
  Buf registers(String name, DType type, long size) {
    return ln.allocate(name, type, emulate ? size * threads : size, "local");
  }

  /** Index {@code at} of thread {@code tx}'s registers of {@code size} values. */
  Expr reg(Expr tx, long size, Expr at) {
    return emulate ? tx.times(c64(size)).plus(at) : at;
  }

  Expr reg(Expr tx, long size, long at) {
    return reg(tx, size, c64(at));
  }
}
