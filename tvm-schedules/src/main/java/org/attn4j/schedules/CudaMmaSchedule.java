package org.attn4j.schedules;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.attn4j.attention.AttentionGraph;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.LoopNest.Buf;
import org.attn4j.te.LoopNest.Kind;
import org.attn4j.te.Te;
import org.attn4j.te.Var;
import org.attn4j.tvm.TvmObject;

/**
 * Flash attention on tensor cores (CUDA, sm_80 and later) for fp16 and bf16 inputs with fp32 accumulation: both
 * products go through PTX's warp-level {@code mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}} (TVM's
 * {@code tir.ptx_mma}), the online softmax stays in fp32 registers.
 *
 * <p>One thread block per {@code (b, h, query block)} of {@code 16 · warps} rows; each warp owns 16 query rows,
 * whose scaled-free query fragments ({@code [16, d]} as the A operand, after the rotary prologue) it keeps in
 * registers. The block walks the keys in tiles of {@code kBlock}: its threads stage the K tile ({@code [kBlock, d]},
 * rotated on load) and the V tile transposed ({@code [d, kBlock]}, the value prologue applied) in shared memory,
 * both rows padded by 8 elements so that the fragment loads hit distinct banks. Then each warp:
 * <ol>
 *   <li>computes {@code S = Q Kᵀ} ({@code [16, kBlock]}) as {@code kBlock/8} accumulator tiles of m16n8, each the
 *   sum of {@code d/16} mma steps;
 *   <li>scales each element in fp32, applies the variant's score and mask slots, the causal mask and the key
 *   bounds at its own {@code (i, j)} (a thread holds rows {@code g} and {@code g + 8} of the warp's 16, where
 *   {@code g = lane / 4});
 *   <li>reduces each row's tile maximum over the four lanes that share it (two {@code shfl.sync.bfly}),
 *   rescales its output accumulators and partial sums, and turns the scores into probabilities {@code P}, rounded
 *   to the input type: the accumulator layout of two adjacent m16n8 tiles is the A-operand layout of one m16k16
 *   step, so P never leaves the registers;
 *   <li>accumulates {@code O += P V} ({@code d/8} output tiles of m16n8, each the sum of {@code kBlock/16} steps).
 * </ol>
 * Tiles past the causal diagonal, the key length or a key range are never loaded; a tile that the variant's
 * {@link org.attn4j.attention.Slots.Negligible} promise makes negligible for the whole block (FoX) is skipped.
 * The row sums are reduced over the quad once, at the end.
 *
 * <p>Every cross-lane exchange is a warp-collective step (the mma and the quad reductions) written between
 * per-thread phases, so the same loop nest runs on the CPU ({@link #emulatedOnCpu}): the thread loops become
 * serial, registers become {@code [threads, size]} arrays, and each collective step computes every lane's result
 * from the fragments of the whole warp with the register layouts of the PTX ISA ("Matrix fragments for
 * mma.m16n8k16"). That checks the fragment index arithmetic, the masks and the online softmax against the
 * reference without a GPU; the emulated mma sums its 16 products in fp32 in order, which the tensor cores may do
 * in another order.
 *
 * <p>Not fused here (use {@link CudaFlashSchedule}): CoPE's row scan and learned memory K/V; float32 inputs (no
 * tensor-core path without a rounding the caller did not ask for). Requires {@code d % 16 == 0}.
 *
 * <p>Parameters (recorded in the manifest): {@code warps} (16 query rows each) and {@code kBlock} (keys per
 * shared-memory tile, a multiple of 16). The defaults per architecture ({@link #forArch}) are a first choice:
 * they have not been tuned on a GPU yet.
 */
public final class CudaMmaSchedule extends LoopNestSchedule {
  private static final int WARP = 32;
  private static final int PAD = 8;
  private final int warps;
  private final int kBlock;
  private final boolean emulate;

  private CudaMmaSchedule(int warps, int kBlock, boolean emulate) {
    if (warps < 1 || warps > 16 || kBlock < 16 || kBlock % 16 != 0 || kBlock > 256) {
      throw new IllegalArgumentException("tile sizes: expected 1 <= warps <= 16 and kBlock a multiple of 16 in "
          + "[16, 256], got warps=" + warps + " kBlock=" + kBlock);
    }
    this.warps = warps;
    this.kBlock = kBlock;
    this.emulate = emulate;
  }

  /** The CUDA kernel with {@code warps} warps (16 query rows each) per block and tiles of {@code kBlock} keys. */
  public static CudaMmaSchedule cuda(int warps, int kBlock) {
    return new CudaMmaSchedule(warps, kBlock, false);
  }

  /**
   * The parameters chosen for an architecture ({@code sm_80}, {@code sm_86}, {@code sm_89}, {@code sm_90}, ...):
   * 4 warps (64 query rows) and 64-key tiles on sm_90 (228 KB of shared memory per SM: several blocks of
   * {@code 2 · 64 · (d + 8)} halves each), 4 warps and 32-key tiles below (fewer live score registers).
   *
   * @throws IllegalArgumentException for an architecture before sm_80 (no m16n8k16 mma for bf16)
   */
  public static CudaMmaSchedule forArch(String arch) {
    int sm = smVersion(arch);
    if (sm < 80) {
      throw new IllegalArgumentException("cuda-mma: expected sm_80 or later (m16n8k16 mma with fp32 accumulation), "
          + "got " + arch);
    }
    return sm >= 90 ? cuda(4, 64) : cuda(4, 32);
  }

  /** The same loop nest for the CPU, threads serial and warp steps emulated: a correctness model (slow; tests). */
  public static CudaMmaSchedule emulatedOnCpu(int warps, int kBlock) {
    return new CudaMmaSchedule(warps, kBlock, true);
  }

  private static int smVersion(String arch) {
    try {
      return Integer.parseInt(arch.replaceFirst("^sm_", "").replaceAll("[^0-9]", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("arch: expected sm_XY, got " + arch, e);
    }
  }

  @Override
  public String getName() {
    return emulate ? "cuda-mma-emulated" : "cuda-mma";
  }

  @Override
  public TargetKind getTargetKind() {
    return emulate ? TargetKind.CPU : TargetKind.CUDA;
  }

  @Override
  public Map<String, Object> getParameters() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("warps", warps);
    p.put("kBlock", kBlock);
    return p;
  }

  @Override
  public TvmObject buildFunction(Te te, AttentionGraph g, String name) {
    check(g);
    return new Kernel(te, g).build(name);
  }

  /**
   * Refuses what this kernel does not fuse, before anything is built.
   *
   * @throws IllegalArgumentException naming the part and the schedule to use instead
   */
  private void check(AttentionGraph g) {
    AttentionSpec s = g.spec();
    if (s.getDtype() != DType.FLOAT16 && s.getDtype() != DType.BFLOAT16) {
      throw new IllegalArgumentException("cuda-mma: expected dtype float16 or bfloat16 (tensor cores), got "
          + s.getDtype().getTvmName() + "; use cuda-flash for float32");
    }
    if (s.getHeadDim() % 16 != 0) {
      throw new IllegalArgumentException("cuda-mma: expected a head dim that is a multiple of 16, got "
          + s.getHeadDim() + "; use cuda-flash");
    }
    if (g.slots().cope() != null) {
      throw new IllegalArgumentException("cuda-mma: CoPE's row scan is not fused on tensor cores; use cuda-flash");
    }
    if (g.slots().memory() != null) {
      throw new IllegalArgumentException("cuda-mma: learned memory K/V is not fused on tensor cores; use "
          + "cuda-flash");
    }
  }

  /** One kernel being written. */
  private final class Kernel extends CudaKernel {
    private final DType dt = spec.getDtype();
    /** The registers' and shared tiles' type: fp16 itself, bf16 as its bits (see {@link #toStorage}). */
    private final DType st = dt == DType.BFLOAT16 ? DType.UINT16 : dt;
    private final String abbrev = dt == DType.FLOAT16 ? "fp16" : "bf16";
    private final int kStride = d + PAD;
    private final int vStride = kBlock + PAD;

    Kernel(Te te, AttentionGraph g) {
      super(te, g, warps * WARP, CudaMmaSchedule.this.emulate);
    }


    /**
     * A float32 as the tiles' and fragments' 16-bit type, rounded to nearest even. bf16 is held as its bits
     * (uint16): TVM 0.18 legalizes every bf16 buffer of a CUDA kernel to uint16 storage and cannot follow buffers
     * that a {@code ptx_mma} call names, so the kernel does the rounding itself and the mma reads the same bits.
     */
    private Expr toStorage(Expr f32) {
      if (dt != DType.BFLOAT16) {
        return f32.cast(dt);
      }
      Expr bits = te.reinterpret(f32, DType.UINT32);
      Expr half = te.constant(65536, DType.UINT32);
      Expr lsb = bits.div(half).rem(te.constant(2, DType.UINT32));
      return bits.plus(te.constant(0x7fff, DType.UINT32)).plus(lsb).div(half).cast(DType.UINT16);
    }

    /** A value of the tiles' 16-bit type as float32 (exact). */
    private Expr fromStorage(Expr x) {
      if (dt != DType.BFLOAT16) {
        return x.cast(DType.FLOAT32);
      }
      return te.reinterpret(te.shiftLeft(x.cast(DType.UINT32), te.constant(16, DType.UINT32)), DType.FLOAT32);
    }

    private Expr lane(Expr tx) {
      return tx.rem(WARP);
    }

    /** The fragment row group {@code g = lane / 4} and the thread in the group {@code t = lane % 4}. */
    private Expr group(Expr tx) {
      return lane(tx).div(c64(4));
    }

    private Expr inGroup(Expr tx) {
      return tx.rem(4);
    }

    /** Query row of this thread's accumulator half {@code r} (rows g and g + 8 of its warp's 16). */
    private Expr row(Var i0, Expr tx, int r) {
      return i0.plus(tx.div(c64(WARP)).times(c64(16))).plus(group(tx)).plus(c64(8L * r));
    }

    TvmObject build(String name) {
      declareArguments();
      int rowsPerBlock = 16 * warps;
      Expr nqb = n.plus(c64(rowsPerBlock - 1)).div(c64(rowsPerBlock));
      Consumer<Var> block = bx0 -> {
        Expr bx = bx0.getDtype() == DType.INT64 ? bx0 : bx0.cast(DType.INT64);
        Var bb = ln.let("bb", bx.div(c64(h).times(nqb)));
        Var hh = ln.let("hh", bx.div(nqb).rem(h));
        Var i0 = ln.let("i0", bx.rem(nqb).times(c64(rowsPerBlock)));
        Var kh = ln.let("kh", kvHead(hh));
        Expr[] window = keyWindow(bb, hh, i0, rowsPerBlock);
        Var kEnd = (Var) window[1];
        Var tile0 = ln.let("tile0", window[0].div(c64(kBlock)));
        String smem = emulate ? "local" : "shared";
        Buf ks = ln.allocate("k_tile", st, (long) kBlock * kStride, smem);
        Buf vt = ln.allocate("v_tile_t", st, (long) d * vStride, smem);
        Fragments f = new Fragments();
        threadsDo(tx -> {
          loadQuery(f.q, bb, hh, i0, tx);
          for (int x = 0; x < d / 2; x++) {
            ln.store(f.o, te.f32(0), reg(tx, d / 2, x));
          }
          for (int r = 0; r < 2; r++) {
            ln.store(f.max, low, reg(tx, 2, r));
            ln.store(f.sum, te.f32(0), reg(tx, 2, r));
          }
        });
        Expr tiles = kEnd.plus(c64(kBlock - 1)).div(c64(kBlock)).minus(tile0);
        ln.loop("jo", tiles, Kind.SERIAL, jo -> {
          Var j0 = ln.let("j0", tile0.plus(jo).times(c64(kBlock)));
          Expr jLast = te.minimum(j0.plus(c64(kBlock)), kEnd).minus(c64(1));
          unlessSkipped(skippable(bb, hh, i0, rowsPerBlock, jLast), () -> {
            barrier();
            threadsDo(tx -> loadTiles(ks, vt, bb, kh, j0, tx));
            barrier();
            scores(f, ks);
            softmax(f, bb, hh, i0, j0, kEnd);
            values(f, vt);
          });
        });
        if (sigmoid == null) {
          quad(f.sum, false);
        }
        threadsDo(tx -> store(f, bb, hh, i0, tx));
      };
      Expr blocks = b.times(c64(h)).times(nqb);
      if (emulate) {
        ln.loop("bx", blocks, Kind.PARALLEL, block);
      } else {
        ln.threadLoop("bx", blocks, "blockIdx.x", block);
      }
      return finish(name);
    }

    /** The registers of a thread: fragments and softmax state. */
    private final class Fragments {
      /** Query A fragments: {@code d/16} steps of 8. */
      final Buf q = registers("q_frag", st, d / 2);
      /** Score accumulators: {@code kBlock/8} m16n8 tiles of 4. */
      final Buf s = registers("s_frag", DType.FLOAT32, kBlock / 2);
      /** Probabilities as A fragments: {@code kBlock/16} steps of 8. */
      final Buf p = registers("p_frag", st, kBlock / 2);
      /** B fragments of one n-tile over all of its k steps (K for S, V for O). */
      final Buf b = registers("b_frag", st, 4L * Math.max(d, kBlock) / 16);
      /** Output accumulators: {@code d/8} m16n8 tiles of 4. */
      final Buf o = registers("o_frag", DType.FLOAT32, d / 2);
      /** Running maximum of rows g and g + 8; tile maximum; partial row sums (this lane's columns). */
      final Buf max = registers("row_max", DType.FLOAT32, 2);
      final Buf tileMax = registers("tile_max", DType.FLOAT32, 2);
      final Buf sum = registers("row_sum", DType.FLOAT32, 2);
      final int bSize = 4 * Math.max(d, kBlock) / 16;
    }

    /**
     * A fragment (A operand) of the query rows: element {@code e} of step {@code ks} is row
     * {@code g + 8·((e/2) % 2)}, column {@code 16·ks + 2t + e % 2 + 8·(e/4)}, after the rotary prologue, rounded to
     * the input type. Rows past n repeat the last row (never stored).
     */
    private void loadQuery(Buf qf, Var bb, Var hh, Var i0, Expr tx) {
      for (int ks = 0; ks < d / 16; ks++) {
        for (int e = 0; e < 8; e++) {
          Expr row = te.minimum(row(i0, tx, (e / 2) % 2), n.minus(c64(1)));
          Expr col = inGroup(tx).times(c64(2)).plus(c64(16L * ks + e % 2 + 8L * (e / 4)));
          ln.store(qf, toStorage(queryElement(bb, hh, row, col)), reg(tx, d / 2, 8L * ks + e));
        }
      }
    }

    /**
     * The block's threads stage the tile: K rotated as {@code [kBlock, d + 8]}, V transposed as
     * {@code [d, kBlock + 8]}, consecutive threads on consecutive elements of a key (coalesced reads).
     */
    private void loadTiles(Buf ks, Buf vt, Var bb, Var kh, Var j0, Expr tx) {
      long elements = (long) kBlock * d;
      ln.loop("it", (elements + threads - 1) / threads, Kind.SERIAL, it -> {
        Expr e = it.times(c64(threads)).plus(tx);
        ln.ifThen(e.lt(c64(elements)), () -> {
          Expr jj = e.div(c64(d));
          Expr c = e.rem(d);
          Expr key = te.minimum(j0.plus(jj), m.minus(c64(1)));
          ln.store(ks, toStorage(keyElement(bb, kh, key, c)), jj.times(c64(kStride)).plus(c));
          ln.store(vt, toStorage(loadValue(bb, kh, key, c)), c.times(c64(vStride)).plus(jj));
        });
      });
    }

    /** {@code S = Q Kᵀ}: per n-tile of 8 keys, the B fragments then {@code d/16} mma steps. */
    private void scores(Fragments f, Buf ks) {
      threadsDo(tx -> {
        for (int x = 0; x < kBlock / 2; x++) {
          ln.store(f.s, te.f32(0), reg(tx, kBlock / 2, x));
        }
      });
      for (int nt = 0; nt < kBlock / 8; nt++) {
        int tile = nt;
        // B[k = c][n = key] = K[key][c]: element e is c = 16·step + 2t + e % 2 + 8·(e/2), key = 8·tile + g
        threadsDo(tx -> {
          for (int step = 0; step < d / 16; step++) {
            for (int e = 0; e < 4; e++) {
              Expr key = group(tx).plus(c64(8L * tile));
              Expr c = inGroup(tx).times(c64(2)).plus(c64(16L * step + e % 2 + 8L * (e / 2)));
              ln.store(f.b, ks.get(key.times(c64(kStride)).plus(c)), reg(tx, f.bSize, 4L * step + e));
            }
          }
        });
        for (int step = 0; step < d / 16; step++) {
          mma(f.q, d / 2, 8L * step, f.b, f.bSize, 4L * step, f.s, kBlock / 2, 4L * tile);
        }
      }
    }

    /**
     * Masks and slots on each score, the tile maximum over the quad, the rescale, and P (rounded to the input type)
     * into A fragments: score element e of n-tile {@code nt} is row {@code g + 8·(e/2)}, key
     * {@code 8·nt + 2t + e % 2}, and becomes element {@code e % 2 + 2·(e/2) + 4·(nt % 2)} of P's step
     * {@code nt/2}.
     */
    private void softmax(Fragments f, Var bb, Var hh, Var i0, Var j0, Var kEnd) {
      int per = kBlock / 2;
      threadsDo(tx -> {
        for (int r = 0; r < 2; r++) {
          ln.store(f.tileMax, f.max.get(reg(tx, 2, r)), reg(tx, 2, r));
        }
        for (int nt = 0; nt < kBlock / 8; nt++) {
          for (int e = 0; e < 4; e++) {
            int r = e / 2;
            Expr at = reg(tx, per, 4L * nt + e);
            Expr i = row(i0, tx, r);
            Expr j = j0.plus(inGroup(tx).times(c64(2))).plus(c64(8L * nt + e % 2));
            // dead keys (past m) read the slots at the last key; the bound below masks them
            Var jc = ln.let("jc", te.minimum(j, m.minus(c64(1))));
            ln.store(f.s, f.s.get(at).times(spec.getScale()), at);
            Expr exempt = exempt(i, jc);
            if (exempt != null) {
              // PAIRWISE_EXEMPT: the raw product where the query or the key is special (the first S rows/columns)
              ln.ifThen(exempt.and(i.lt(n)).and(j.lt(kEnd)), () ->
                  storeRawLogit(f.s, at, bb, hh, kvHead(hh), i, jc));
            }
            Expr[] sv = scored(f.s.get(at), bb, hh, i, jc, kEnd);
            Expr visible = sv[1].and(j.lt(kEnd));
            if (sigmoid != null) {
              ln.store(f.s, te.select(visible, sigmoid.weight(sv[0]), te.f32(0)), at);
            } else {
              ln.store(f.s, te.select(visible, sv[0], low), at);
              ln.store(f.tileMax, te.maximum(f.tileMax.get(reg(tx, 2, r)), f.s.get(at)), reg(tx, 2, r));
            }
          }
        }
      });
      if (sigmoid == null) {
        quad(f.tileMax, true);
      }
      threadsDo(tx -> {
        if (sigmoid == null) {
          for (int r = 0; r < 2; r++) {
            Expr rr = reg(tx, 2, r);
            Expr alpha = te.exp(f.max.get(rr).minus(f.tileMax.get(rr)));
            ln.store(f.sum, f.sum.get(rr).times(alpha), rr);
            for (int ot = 0; ot < d / 8; ot++) {
              for (int e = 2 * r; e < 2 * r + 2; e++) {
                Expr at = reg(tx, d / 2, 4L * ot + e);
                ln.store(f.o, f.o.get(at).times(alpha), at);
              }
            }
            ln.store(f.max, f.tileMax.get(rr), rr);
          }
        }
        for (int nt = 0; nt < kBlock / 8; nt++) {
          for (int e = 0; e < 4; e++) {
            Expr at = reg(tx, per, 4L * nt + e);
            if (sigmoid == null) {
              // p = exp(s - max) in fp32, summed unrounded; masked scores (the lowest float) give 0
              Expr rr = reg(tx, 2, e / 2);
              Expr x = f.s.get(at);
              ln.store(f.s, te.select(x.gt(low), te.exp(x.minus(f.max.get(rr))), te.f32(0)), at);
              ln.store(f.sum, f.sum.get(rr).plus(f.s.get(at)), rr);
            }
            ln.store(f.p, toStorage(f.s.get(at)), reg(tx, per, 8L * (nt / 2) + e % 2 + 2L * (e / 2) + 4L * (nt % 2)));
          }
        }
      });
    }

    /** {@code O += P V}: per output n-tile of 8 columns, the B fragments of Vᵀ then {@code kBlock/16} mma steps. */
    private void values(Fragments f, Buf vt) {
      for (int ot = 0; ot < d / 8; ot++) {
        int tile = ot;
        // B[k = key][n = c] = V[key][c]: element e is key = 16·step + 2t + e % 2 + 8·(e/2), c = 8·tile + g
        threadsDo(tx -> {
          for (int step = 0; step < kBlock / 16; step++) {
            for (int e = 0; e < 4; e++) {
              Expr c = group(tx).plus(c64(8L * tile));
              Expr key = inGroup(tx).times(c64(2)).plus(c64(16L * step + e % 2 + 8L * (e / 2)));
              ln.store(f.b, vt.get(c.times(c64(vStride)).plus(key)), reg(tx, f.bSize, 4L * step + e));
            }
          }
        });
        for (int step = 0; step < kBlock / 16; step++) {
          mma(f.p, kBlock / 2, 8L * step, f.b, f.bSize, 4L * step, f.o, d / 2, 4L * tile);
        }
      }
    }

    /** Writes rows g and g + 8 (columns {@code 8·ot + 2t + e % 2}) normalised, and the lse from lane t = 0. */
    private void store(Fragments f, Var bb, Var hh, Var i0, Expr tx) {
      for (int r = 0; r < 2; r++) {
        int half = r;
        Expr i = row(i0, tx, r);
        ln.ifThen(i.lt(n), () -> {
          Expr mu = f.max.get(reg(tx, 2, half));
          Expr l = f.sum.get(reg(tx, 2, half));
          for (int ot = 0; ot < d / 8; ot++) {
            for (int e = 2 * half; e < 2 * half + 2; e++) {
              Expr c = inGroup(tx).times(c64(2)).plus(c64(8L * ot + e % 2));
              ln.store(out, slots.normalizer().output(f.o.get(reg(tx, d / 2, 4L * ot + e)), mu, l, hh), bb, hh, i, c);
            }
          }
          if (lse != null) {
            ln.ifThen(inGroup(tx).eq(c64(0)), () -> ln.store(lse, slots.normalizer().lse(mu, l, hh), bb, hh, i));
          }
        });
      }
    }

    /**
     * The warp step {@code C[16×8] += A[16×16] · B[16×8]} on every warp of the block: A, B and C are per-thread
     * fragment registers at offsets {@code aAt}, {@code bAt}, {@code cAt} within rows of {@code aSize},
     * {@code bSize}, {@code cSize}. On the GPU one {@code mma.sync} per thread; emulated, each lane's four results
     * from the whole warp's fragments.
     */
    private void mma(Buf a, long aSize, long aAt, Buf bf, long bSize, long bAt, Buf c, long cSize, long cAt) {
      if (!emulate) {
        threadsDo(tx -> ln.evaluate(ln.intrinsic("tir.ptx_mma", DType.FLOAT32, "m16n8k16", "row", "col", abbrev,
            abbrev, "fp32", a, c64(aAt), bf, c64(bAt), c, c64(cAt), false)));
        return;
      }
      ln.loop("warp", warps, Kind.SERIAL, w -> ln.loop("lane", WARP, Kind.SERIAL, l -> {
        Expr base = w.times(c64(WARP));
        for (int e = 0; e < 4; e++) {
          Expr r = l.div(c64(4)).plus(c64(8L * (e / 2)));
          Expr col = l.rem(4).times(c64(2)).plus(c64(e % 2));
          Expr at = base.plus(l).times(c64(cSize)).plus(c64(cAt + e));
          for (int k = 0; k < 16; k++) {
            // A[r][k]: lane 4·(r % 8) + (k % 8)/2, element k % 2 + 2·(r/8) + 4·(k/8);
            // B[k][col]: lane 4·col + (k % 8)/2, element k % 2 + 2·(k/8)
            Expr aLane = r.rem(8).times(c64(4)).plus(c64((k % 8) / 2));
            Expr aIdx = r.div(c64(8)).times(c64(2)).plus(c64(aAt + k % 2 + 4L * (k / 8)));
            Expr bLane = col.times(c64(4)).plus(c64((k % 8) / 2));
            Expr bIdx = c64(bAt + k % 2 + 2L * (k / 8));
            Expr av = fromStorage(a.get(base.plus(aLane).times(c64(aSize)).plus(aIdx)));
            Expr bv = fromStorage(bf.get(base.plus(bLane).times(c64(bSize)).plus(bIdx)));
            ln.store(c, c.get(at).plus(av.times(bv)), at);
          }
        }
      }));
    }

    /**
     * Each thread's two values of {@code buf} reduced (max, or sum) over the four lanes of its quad, which hold the
     * same rows: on the GPU two butterfly shuffles (lanes t ^ 1, then t ^ 2); emulated, {@code (x0 ∘ x1) ∘ (x2 ∘
     * x3)} written to all four, the same bits for max and for the commutative fp32 sum.
     */
    private void quad(Buf buf, boolean max) {
      if (!emulate) {
        Expr mask = ln.intrinsic("tir.tvm_warp_activemask", DType.UINT32);
        threadsDo(tx -> {
          Expr l = lane(tx).cast(DType.INT32);
          for (int r = 0; r < 2; r++) {
            for (int bit = 1; bit <= 2; bit *= 2) {
              // lane ^ bit, without a xor operator: flip the bit
              Expr partner = l.plus(te.i32(bit)).minus(l.div(te.i32(bit)).rem(2).times(te.i32(2L * bit)));
              Expr x = buf.get(c64(r));
              Expr other = ln.intrinsic("tir.tvm_warp_shuffle", DType.FLOAT32, mask, x, partner, te.i32(WARP),
                  te.i32(WARP));
              ln.store(buf, max ? te.maximum(x, other) : x.plus(other), c64(r));
            }
          }
        });
        return;
      }
      ln.loop("quad", threads / 4, Kind.SERIAL, qd -> {
        for (int r = 0; r < 2; r++) {
          Expr[] x = new Expr[4];
          for (int t = 0; t < 4; t++) {
            x[t] = buf.get(qd.times(c64(4)).plus(c64(t)).times(c64(2)).plus(c64(r)));
          }
          Expr v = max ? te.maximum(te.maximum(x[0], x[1]), te.maximum(x[2], x[3]))
              : x[0].plus(x[1]).plus(x[2].plus(x[3]));
          Var all = ln.let("quad_" + (max ? "max" : "sum"), v);
          for (int t = 0; t < 4; t++) {
            ln.store(buf, all, qd.times(c64(4)).plus(c64(t)).times(c64(2)).plus(c64(r)));
          }
        }
      });
    }
  }
}
