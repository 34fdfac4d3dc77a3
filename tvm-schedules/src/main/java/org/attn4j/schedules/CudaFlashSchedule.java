package org.attn4j.schedules;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.attn4j.attention.AttentionGraph;
import org.attn4j.attention.Cope;
import org.attn4j.attention.Slots;
import org.attn4j.attention.Causal;
import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.LoopNest.Buf;
import org.attn4j.te.LoopNest.Kind;
import org.attn4j.te.Te;
import org.attn4j.te.Var;
import org.attn4j.tvm.TvmObject;
import org.jspecify.annotations.Nullable;

/**
 * A flash-attention kernel for CUDA, written as a loop nest: one thread block per {@code (b, h, query block)}
 * of {@code threads} rows, one query row per thread.
 *
 * <p>Each thread keeps its pre-scaled query row, its output accumulator and its running max and sum in
 * registers; the block walks the keys in tiles of {@code kBlock}: the threads load the K and V tiles
 * ({@code kBlock × d}) into shared memory together (coalesced along {@code d}), synchronise, and each thread
 * computes its row's scores against the tile, applies the variant's score and mask slots and the masks, updates
 * its online softmax and accumulates {@code P·V} from shared memory. Causal and key-length bounds end the key
 * loop of a block early (tiles above the diagonal are never loaded). A tile that the variant's
 * {@link org.attn4j.attention.Slots.Negligible} promise (FoX's decay) declares negligible for the block's first
 * row is skipped, load included; the v prologue (the value residual's blend) is applied as V is loaded into
 * shared memory. Inputs of any float type are computed in float32. With a row scan (CoPE, {@link Cope}) each
 * thread computes its row's position logits {@code z [p]} with its query, the tiles are visited last to first and
 * each thread scans its row's keys of a tile from high to low, carrying its gate sum.
 *
 * <p>The kernel is written in phases separated by barriers, with every cross-thread exchange going through shared
 * memory at a barrier. That makes an exact CPU emulation possible ({@link #emulatedOnCpu}): the thread loops
 * become serial loops and the per-thread registers arrays indexed by the thread, so the same loop nest, index
 * arithmetic and masks are checked against the reference on a machine without a GPU.
 *
 * <p>Parameters (recorded in the manifest): {@code threads} (query rows per block), {@code kBlock} (keys per
 * shared-memory tile).
 */
public final class CudaFlashSchedule extends LoopNestSchedule {
  private static final int ALIGN = 16;
  private final int threads;
  private final int kBlock;
  private final boolean emulate;

  private CudaFlashSchedule(int threads, int kBlock, boolean emulate) {
    if (threads < 1 || threads > 1024 || kBlock < 1) {
      throw new IllegalArgumentException("tile sizes: expected 1 <= threads <= 1024 and kBlock >= 1, got threads="
          + threads + " kBlock=" + kBlock);
    }
    this.threads = threads;
    this.kBlock = kBlock;
    this.emulate = emulate;
  }

  /** The CUDA kernel with {@code threads} query rows per block and tiles of {@code kBlock} keys. */
  public static CudaFlashSchedule cuda(int threads, int kBlock) {
    return new CudaFlashSchedule(threads, kBlock, false);
  }

  /** The default CUDA kernel: 128 rows per block, tiles of 32 keys (2 × 32 × d floats of shared memory). */
  public static CudaFlashSchedule cuda() {
    return cuda(128, 32);
  }

  /**
   * The same loop nest for the CPU, threads as serial loops: a correctness model of the CUDA kernel for
   * machines without a GPU (slow; for tests).
   */
  public static CudaFlashSchedule emulatedOnCpu(int threads, int kBlock) {
    return new CudaFlashSchedule(threads, kBlock, true);
  }

  @Override
  public String getName() {
    return emulate ? "cuda-flash-emulated" : "cuda-flash";
  }

  @Override
  public TargetKind getTargetKind() {
    return emulate ? TargetKind.CPU : TargetKind.CUDA;
  }

  @Override
  public Map<String, Object> getParameters() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("threads", threads);
    p.put("kBlock", kBlock);
    return p;
  }

  @Override
  public TvmObject buildFunction(Te te, AttentionGraph g, String name) {
    return new Kernel(te, g).build(name);
  }

  /** One kernel being written. */
  private final class Kernel extends CudaKernel {
    Kernel(Te te, AttentionGraph g) {
      super(te, g, CudaFlashSchedule.this.threads, CudaFlashSchedule.this.emulate);
    }

    /** Per-thread float32 registers. */
    private Buf registers(String name, long size) {
      return registers(name, DType.FLOAT32, size);
    }

    TvmObject build(String name) {
      declareArguments();
      Expr nqb = n.plus(c64(threads - 1)).div(c64(threads));
      Consumer<Var> block = bx0 -> {
        Expr bx = bx0.getDtype() == DType.INT64 ? bx0 : bx0.cast(DType.INT64);
        Var bb = ln.let("bb", bx.div(c64(h).times(nqb)));
        Var hh = ln.let("hh", bx.div(nqb).rem(h));
        Var i0 = ln.let("i0", bx.rem(nqb).times(c64(threads)));
        Var kh = ln.let("kh", kvHead(hh));
        Expr[] window = keyWindow(bb, hh, i0, threads);
        Var kEnd = (Var) window[1];
        Var tile0 = ln.let("tile0", window[0].div(c64(kBlock)));
        Buf ks = ln.allocate("k_tile", DType.FLOAT32, (long) kBlock * d, emulate ? "local" : "shared");
        Buf vs = ln.allocate("v_tile", DType.FLOAT32, (long) kBlock * d, emulate ? "local" : "shared");
        Buf qr = registers("q_row", d);
        Buf acc = registers("acc", d);
        Buf st = registers("scores", kBlock);
        Buf mx = registers("row_max", 1);
        Buf sum = registers("row_sum", 1);
        Cope cope = slots.cope();
        int pCount = cope == null ? 0 : cope.maxPos();
        // CoPE: the row's position logits z_p = q'·E_p (unscaled) and its running gate sum
        Buf copeZ = cope == null ? null : registers("cope_z", pCount);
        Buf gates = cope == null ? null : registers("cope_gates", 1);
        threadsDo(tx -> {
          Expr row = te.minimum(i0.plus(tx), n.minus(c64(1)));
          ln.loop("c", d, Kind.UNROLLED, c -> {
            ln.store(qr, queryElement(bb, hh, row, c).times(spec.getScale()), reg(tx, d, c));
            ln.store(acc, te.f32(0), reg(tx, d, c));
          });
          if (cope != null) {
            // z_p = (1/τ) Σ_c qr[c]·E[p, c], from the pre-scaled query row (rotated once, above)
            ln.store(gates, te.f32(0), reg(tx, 1, c64(0)));
            ln.loop("p", pCount, Kind.SERIAL, p -> {
              Expr at = reg(tx, pCount, p);
              ln.store(copeZ, te.f32(0), at);
              ln.loop("c", d, Kind.SERIAL, c -> ln.store(copeZ,
                  copeZ.get(at).plus(qr.get(reg(tx, d, c)).times(cope.table().get(p, c))), at));
              ln.store(copeZ, copeZ.get(at).times(1 / spec.getScale()), at);
            });
          }
          ln.store(mx, low, reg(tx, 1, c64(0)));
          ln.store(sum, te.f32(0), reg(tx, 1, c64(0)));
        });
        Slots.Memory mem = slots.memory();
        if (mem != null) {
          threadsDo(tx -> memoryRow(mem, qr, acc, mx, sum, bb, hh, kh, te.minimum(i0.plus(tx), n.minus(c64(1))), tx));
        }
        Expr tiles = kEnd.plus(c64(kBlock - 1)).div(c64(kBlock)).minus(tile0);
        ln.loop("jo", tiles, Kind.SERIAL, jo -> {
          // CoPE scans each row from its last key backwards: tiles last to first (the online softmax does not
          // care about the order)
          Expr tile = cope == null ? tile0.plus(jo) : tile0.plus(tiles).minus(c64(1)).minus(jo);
          Var j0 = ln.let("j0", tile.times(c64(kBlock)));
          // a tile the variant promises negligible for the whole block (FoX decay) is skipped; the condition is
          // uniform over the block, so the barriers inside stay convergent
          Expr jLast = te.minimum(j0.plus(c64(kBlock)), kEnd).minus(c64(1));
          unlessSkipped(skippable(bb, hh, i0, threads, jLast), () -> {
            barrier();
            threadsDo(tx -> loadTiles(k, ks, vs, bb, kh, j0, tx));
            barrier();
            threadsDo(tx -> rowUpdate(ks, vs, qr, acc, st, mx, sum, bb, hh, i0.plus(tx), j0, kEnd, tx, copeZ,
                gates));
          });
        });
        threadsDo(tx -> {
          Expr i = i0.plus(tx);
          ln.ifThen(i.lt(n), () -> {
            Var l = ln.let("l", sum.get(reg(tx, 1, c64(0))));
            Var mu = ln.let("mu", mx.get(reg(tx, 1, c64(0))));
            ln.loop("c", d, Kind.UNROLLED, c ->
                ln.store(out, slots.normalizer().output(acc.get(reg(tx, d, c)), mu, l, hh), bb, hh, i, c));
            if (lse != null) {
              ln.store(lse, slots.normalizer().lse(mu, l, hh), bb, hh, i);
            }
          });
        });
      };
      Expr blocks = b.times(c64(h)).times(nqb);
      if (emulate) {
        ln.loop("bx", blocks, Kind.PARALLEL, block);
      } else {
        ln.threadLoop("bx", blocks, "blockIdx.x", block);
      }
      return finish(name);
    }

    /** The block's threads copy the K and V tiles, consecutive threads on consecutive elements. */
    private void loadTiles(Buf k, Buf ks, Buf vs, Var bb, Var kh, Var j0, Expr tx) {
      long elements = (long) kBlock * d;
      ln.loop("it", (elements + threads - 1) / threads, Kind.SERIAL, it -> {
        Expr e = it.times(c64(threads)).plus(tx);
        ln.ifThen(e.lt(c64(elements)), () -> {
          Expr key = te.minimum(j0.plus(e.div(c64(d))), m.minus(c64(1)));
          Expr c = e.rem(d);
          ln.store(ks, keyElement(bb, kh, key, c), e);
          ln.store(vs, loadValue(bb, kh, key, c), e);
        });
      });
    }

    /**
     * One thread's row against the learned memory keys, before the keys proper: all visible, unrotated, no score
     * terms, read straight from global memory (M is small); the online softmax one key at a time.
     */
    private void memoryRow(Slots.Memory mem, Buf qr, Buf acc, Buf mx, Buf sum, Var bb, Var hh, Var kh, Expr row,
        Expr tx) {
      Expr m0 = reg(tx, 1, c64(0));
      ln.loop("jm", mem.count(), Kind.SERIAL, jm -> {
        Buf dot = ln.allocate("mem_dot", DType.FLOAT32, 1, "local");
        ln.store(dot, te.f32(0), c64(0));
        ln.loop("c", d, Kind.UNROLLED, c -> ln.store(dot, dot.get(c64(0)).plus(qr.get(reg(tx, d, c))
            .times(mem.keys().get(kh, jm, c).cast(DType.FLOAT32))), c64(0)));
        Expr exempt = exempt(row, c64(Long.MAX_VALUE));
        if (exempt != null) {
          // a special query (PAIRWISE_EXEMPT) meets the memory keys with its raw vector
          ln.ifThen(exempt, () -> {
            ln.store(dot, te.f32(0), c64(0));
            ln.loop("c", d, Kind.SERIAL, c -> ln.store(dot, dot.get(c64(0)).plus(q.get(bb, hh, row, c)
                .cast(DType.FLOAT32).times(mem.keys().get(kh, jm, c).cast(DType.FLOAT32))), c64(0)));
            ln.store(dot, dot.get(c64(0)).times(spec.getScale()), c64(0));
          });
        }
        Var s = ln.let("mem_s", dot.get(c64(0)));
        Expr p;
        if (sigmoid != null) {
          p = sigmoid.weight(s);
          ln.loop("c", d, Kind.UNROLLED, c -> ln.store(acc, acc.get(reg(tx, d, c))
              .plus(p.times(mem.values().get(kh, jm, c).cast(DType.FLOAT32))), reg(tx, d, c)));
          return;
        }
        Var mNew = ln.let("mem_m_new", te.maximum(mx.get(m0), s));
        Var alpha = ln.let("mem_alpha", te.exp(mx.get(m0).minus(mNew)));
        Var pv = ln.let("mem_p", te.exp(s.minus(mNew)));
        ln.store(sum, sum.get(m0).times(alpha).plus(pv), m0);
        ln.store(mx, mNew, m0);
        ln.loop("c", d, Kind.UNROLLED, c -> ln.store(acc, acc.get(reg(tx, d, c)).times(alpha)
            .plus(pv.times(mem.values().get(kh, jm, c).cast(DType.FLOAT32))), reg(tx, d, c)));
      });
    }

    /**
     * One thread's scores against the tile, masks and slots, the CoPE row scan (keys last to first, the gate sum
     * carried in {@code gates}), online softmax update and P·V.
     */
    private void rowUpdate(Buf ks, Buf vs, Buf qr, Buf acc, Buf st, Buf mx, Buf sum, Var bb, Var hh, Expr i,
        Var j0, Var kEnd, Expr tx, @Nullable Buf copeZ, @Nullable Buf gates) {
      Expr m0 = reg(tx, 1, c64(0));
      Cope cope = slots.cope();
      Buf mt = ln.allocate("tile_max", DType.FLOAT32, 1, "local");
      ln.store(mt, mx.get(m0), c64(0));
      // a constant trip count with a guard (not a loop to the live keys): TVM would otherwise shrink the scores
      // registers to a symbolic size, which the CUDA host codegen refuses; the guard keeps dead keys (past m)
      // from reading captured tensors. With CoPE the keys are visited from the last one back (the row scan).
      Var keys = ln.let("keys", te.minimum(c64(kBlock), kEnd.minus(j0)));
      ln.loop("jj", kBlock, Kind.SERIAL, jx -> ln.ifThen(jx.lt(keys), () -> {
        Var jj = cope == null ? jx : ln.let("jj_rev", keys.minus(c64(1)).minus(jx));
        Var j = ln.let("j", j0.plus(jj));
        Buf dot = ln.allocate("dot", DType.FLOAT32, 1, "local");
        ln.store(dot, te.f32(0), c64(0));
        ln.loop("c", d, Kind.UNROLLED, c -> ln.store(dot,
            dot.get(c64(0)).plus(qr.get(reg(tx, d, c)).times(ks.get(jj.times(c64(d)).plus(c)))), c64(0)));
        Expr exempt = exempt(i, j);
        if (exempt != null) {
          // PAIRWISE_EXEMPT: the raw product where the query or the key is special (the first S rows/columns)
          ln.ifThen(exempt.and(i.lt(n)).and(j.lt(kEnd)), () ->
              storeRawLogit(dot, c64(0), bb, hh, kvHead(hh), i, j));
        }
        Expr[] sv = scored(dot.get(c64(0)), bb, hh, i, j, kEnd);
        if (cope != null) {
          // (5) CoPE: g = sigmoid(ŝ) on visible keys, p = min(Σ_{t >= j} g, P - 1), ŝ += c(z, p)
          Expr g0 = reg(tx, 1, c64(0));
          Var sc = ln.let("s_cope", sv[0]);
          ln.store(gates, gates.get(g0).plus(cope.gate(te, sc, sv[1])), g0);
          Var pos = ln.let("cope_p", cope.position(te, gates.get(g0)));
          int pCount = cope.maxPos();
          sv[0] = sc.plus(cope.term(te, pos, DType.INT64, pp -> copeZ.get(reg(tx, pCount, pp))));
        }
        if (sigmoid != null) {
          // no normalisation: P = sigmoid(s + β), 0 where masked, straight into P·V
          ln.store(st, te.select(sv[1], sigmoid.weight(sv[0]), te.f32(0)), reg(tx, kBlock, jj));
          return;
        }
        Expr logit = sv[0];
        Expr visible = sv[1];
        Var s = ln.let("s", te.select(visible, logit, low));
        ln.store(st, s, reg(tx, kBlock, jj));
        ln.store(mt, te.maximum(mt.get(c64(0)), s), c64(0));
      }));
      Var mNew = ln.let("m_new", mt.get(c64(0)));
      if (sigmoid == null) {
        Var alpha = ln.let("alpha", te.exp(mx.get(m0).minus(mNew)));
        ln.store(sum, sum.get(m0).times(alpha), m0);
        ln.store(mx, mNew, m0);
        ln.loop("c", d, Kind.UNROLLED, c -> ln.store(acc, acc.get(reg(tx, d, c)).times(alpha), reg(tx, d, c)));
      }
      ln.loop("jj", keys, Kind.SERIAL, jj -> {
        Expr x = st.get(reg(tx, kBlock, jj));
        Var p = ln.let("p", sigmoid != null ? x : te.select(x.gt(low), te.exp(x.minus(mNew)), te.f32(0)));
        ln.store(sum, sum.get(m0).plus(p), m0);
        ln.loop("c", d, Kind.UNROLLED, c -> ln.store(acc,
            acc.get(reg(tx, d, c)).plus(p.times(vs.get(jj.times(c64(d)).plus(c)))), reg(tx, d, c)));
      });
    }
  }
}
