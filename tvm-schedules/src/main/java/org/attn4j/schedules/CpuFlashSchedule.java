package org.attn4j.schedules;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.attn4j.attention.AttentionGraph;
import org.attn4j.attention.Cope;
import org.attn4j.attention.Normalizer;
import org.attn4j.attention.Rotary;
import org.attn4j.attention.Rotation;
import org.attn4j.attention.Slots;
import org.attn4j.attention.SpecialTokens;
import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.LoopNest.Buf;
import org.attn4j.te.LoopNest.Kind;
import org.attn4j.te.Te;
import org.attn4j.te.Var;
import org.attn4j.tvm.TvmObject;
import org.jspecify.annotations.Nullable;

/**
 * The fast CPU kernel: flash-style attention written as a loop nest (FlashAttention-2's forward, laid out for
 * SIMD CPUs).
 *
 * <p>Work items are {@code (b, h, query block)} triples of {@code qBlock} rows, spread over the thread pool (the
 * blocks of one head are visited in a zig-zag order so that causal work is balanced between threads). A work
 * item first packs its queries transposed and pre-scaled ({@code qt = τ·Qᵀ}, {@code [d, qBlock]}), then walks
 * the keys in tiles of {@code kBlock}. Per tile: the transposed score tile {@code Sᵀ = K·qt}
 * ({@code kBlock × qBlock}, in L1) comes from a register-blocked micro-kernel ({@code microKeys} keys ×
 * {@code 2·vectorWidth} rows of accumulators, keys broadcast from K in place, so K is never repacked); the
 * variant's score and mask slots and the masks are applied; the online softmax (running max and sum per row,
 * vectorised exp) is vectorised across rows, so its reductions over keys are vertical vector operations; a
 * second micro-kernel (rows × a chunk of {@code d} in registers) rescales the row accumulators as it loads them and
 * adds {@code P·V}.
 * Nothing of size {@code n × m} is ever materialised and nothing is allocated per call (tiles live on the
 * worker's stack).
 *
 * <p>Skipping: with right-aligned causal masking a query block stops at its last visible key (whole tiles above
 * the diagonal are never visited); with key lengths, at the row's length; with a mask that declares a
 * {@link Slots.KeyRange} (a sliding window, prefix-LM), the block visits only the tiles between its first row's
 * first key and its last row's last key. With a data-dependent promise ({@link Slots.Negligible}: FoX's decay),
 * a tile whose keys are all negligible for the block's first row is skipped (one check per tile). Only tiles
 * that straddle a boundary pay for the element mask.
 *
 * <p>Variants: the score and mask slots run inside the vectorised mask pass (captured tensors are read as
 * buffers, bound with {@link Te#bind}); a sink is folded into each row after the keys
 * ({@link Normalizer#output}); sigmoid attention skips the online softmax and adds {@code sigmoid(s + β)·V}. The
 * v prologue (the value residual's blend) is applied to V as the {@code P·V} micro-kernel reads it.
 *
 * <p>Row scan (CoPE, {@link Cope}): a work item computes its rows' position logits {@code z [p, qBlock]} once from
 * the packed queries, visits the key tiles from its last one down to the first, and scans each tile's keys from
 * high to low, vectorised across the rows, carrying each row's gate sum across tiles; the CoPE term joins the
 * logit before the online softmax, which does not care about the key order. FoX's tile skipping stays on: the
 * skipped tiles are a prefix of the row and a key's position counts only later keys, so every visited key gets
 * its exact position.
 *
 * <p>Parameters (recorded in the manifest): {@code qBlock}, {@code kBlock}, {@code vectorWidth} (floats per SIMD
 * register: 16 for AVX-512, 8 for AVX2), {@code microKeys}.
 */
public final class CpuFlashSchedule extends LoopNestSchedule {
  private static final int ALIGN = 16;
  private final int qBlock;
  private final int kBlock;
  private final int vectorWidth;
  private final int microKeys;

  /**
   * The schedule with explicit tile sizes.
   *
   * @throws IllegalArgumentException if a size is not positive, {@code vectorWidth} is not a power of two,
   *     {@code kBlock} is not a multiple of {@code 2·vectorWidth} or {@code qBlock} of {@code microKeys}
   */
  public CpuFlashSchedule(int qBlock, int kBlock, int vectorWidth, int microKeys) {
    if (qBlock < 1 || kBlock < 1 || microKeys < 1 || vectorWidth < 1 || Integer.bitCount(vectorWidth) != 1) {
      throw new IllegalArgumentException("tile sizes: expected positive values and a power-of-two vector width,"
          + " got qBlock=" + qBlock + " kBlock=" + kBlock + " vectorWidth=" + vectorWidth + " microKeys="
          + microKeys);
    }
    if (qBlock % (2 * vectorWidth) != 0 || kBlock % microKeys != 0) {
      throw new IllegalArgumentException("tile sizes: expected qBlock % (2*vectorWidth) == 0 and kBlock % microKeys"
          + " == 0, got qBlock=" + qBlock + " kBlock=" + kBlock + " vectorWidth=" + vectorWidth + " microKeys="
          + microKeys);
    }
    this.qBlock = qBlock;
    this.kBlock = kBlock;
    this.vectorWidth = vectorWidth;
    this.microKeys = microKeys;
  }

  /**
   * Default tile sizes for a SIMD width of {@code vectorWidth} floats (16: AVX-512, 8: AVX2): the fastest of
   * {@code attn4j tune}'s candidates at b=1 h=8 n=m=1024 d=64 on a 2-vCPU Xeon (AVX-512: 64/64/16/8, 16.9 ms;
   * AVX2 code on the same host: 48/96/8/6, 30.6 ms against 39.4 ms for the former 32/48/8/6).
   */
  public static CpuFlashSchedule forVectorWidth(int vectorWidth) {
    return vectorWidth >= 16 ? new CpuFlashSchedule(64, 64, 16, 8) : new CpuFlashSchedule(48, 96, 8, 6);
  }

  @Override
  public String getName() {
    return "cpu-flash";
  }

  @Override
  public TargetKind getTargetKind() {
    return TargetKind.CPU;
  }

  @Override
  public Map<String, Object> getParameters() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("qBlock", qBlock);
    p.put("kBlock", kBlock);
    p.put("vectorWidth", vectorWidth);
    p.put("microKeys", microKeys);
    return p;
  }

  @Override
  public TvmObject buildFunction(Te te, AttentionGraph g, String name) {
    return new Kernel(te, g).build(name);
  }

  /** One kernel being written. */
  private final class Kernel extends FlashKernel {
    Kernel(Te te, AttentionGraph g) {
      super(te, g);
    }

    TvmObject build(String name) {
      declareArguments();
      Expr nqb = n.plus(c64(qBlock - 1)).div(c64(qBlock));
      ln.loop("t", b.times(c64(h)).times(nqb), Kind.PARALLEL, t0 -> {
        Var bb = ln.let("bb", t0.div(c64(h).times(nqb)));
        Var hh = ln.let("hh", t0.div(nqb).rem(h));
        Var x = ln.let("x", t0.rem(nqb));
        // zig-zag: consecutive work items alternate cheap (early) and expensive (late) causal blocks
        Var io = ln.let("io", te.select(x.rem(2).eq(c64(0)), x.div(c64(2)), nqb.minus(c64(1)).minus(x.div(c64(2)))));
        Var kh = ln.let("kh", kvHead(hh));
        Var i0 = ln.let("i0", io.times(c64(qBlock)));
        // the block's live rows: the micro-kernels skip row groups past n (a decode step has one row)
        Var live = ln.let("live_rows", te.minimum(c64(qBlock), n.minus(i0)));
        Expr[] window = keyWindow(bb, hh, i0, qBlock);
        Var kEnd = (Var) window[1];
        Var tile0 = ln.let("tile0", window[0].div(c64(kBlock)));
        Buf qt = ln.allocate("qt", DType.FLOAT32, (long) d * qBlock, "local");
        Buf st = ln.allocate("st", DType.FLOAT32, (long) kBlock * qBlock, "local");
        Buf mx = ln.allocate("row_max", DType.FLOAT32, qBlock, "local");
        Buf mNew = ln.allocate("row_max_new", DType.FLOAT32, qBlock, "local");
        // sigmoid attention never rescales (and TVM refuses an allocation nothing reads)
        Buf alpha = sigmoid == null ? ln.allocate("row_scale", DType.FLOAT32, qBlock, "local") : null;
        Buf sum = ln.allocate("row_sum", DType.FLOAT32, qBlock, "local");
        Buf acc = ln.allocate("acc", DType.FLOAT32, (long) qBlock * d, "local");
        blockRows(r -> {
          ln.store(mx, low, r);
          ln.store(sum, te.f32(0), r);
        });
        ln.loop("r", qBlock, Kind.SERIAL, r ->
            ln.loop("c", d, Kind.VECTORIZED, c -> ln.store(acc, te.f32(0), r.times(c64(d)).plus(c))));
        // qt[c, r] = τ·q[i0 + r, c]: the block's queries, transposed once per work item (rows past n repeat
        // the last row; their results are never stored)
        // (with rotary: rotated on the way, into the pair-split order of the key tiles, see rotateKeys)
        ln.loop("c", d, Kind.SERIAL, c -> blockRows(r -> {
          Expr row = te.minimum(i0.plus(r), n.minus(c64(1)));
          ln.store(qt, queryElement(bb, hh, row, c).times(spec.getScale()), packedDim(c).times(c64(qBlock)).plus(r));
        }));
        Cope cope = slots.cope();
        Buf copeZ = null;
        Buf gates = null;
        Buf copeSat = null;
        if (cope != null) {
          copeZ = copePositionLogits(cope, qt);
          gates = ln.allocate("cope_gates", DType.FLOAT32, qBlock, "local");
          Buf g0 = gates;
          blockRows(r -> ln.store(g0, te.f32(0), r));
          copeSat = copeSaturatedTerms(cope, copeZ);
        }
        Buf copeSatF = copeSat;
        Buf copeZF = copeZ;
        Buf gatesF = gates;
        Rotation rot = slots.rotation();
        Buf omega = null;
        Buf kt = null;
        if (rot != null) {
          float[] w = rot.getRotary().inverseFrequencies();
          omega = ln.allocate("rope_omega", DType.FLOAT32, w.length, "local");
          for (int f = 0; f < w.length; f++) {
            ln.store(omega, te.f32(w[f]), c64(f));
          }
          kt = ln.allocate("k_rope", DType.FLOAT32, (long) kBlock * d, "local");
        }
        Buf omegaF = omega;
        Buf ktF = kt;
        // with a v prologue (value residual), the tile's values are mixed once into an L1 buffer, not once per
        // row group inside the P·V micro-kernel
        Buf vtF = slots.valueMix() == null ? null
            : ln.allocate("v_mixed", DType.FLOAT32, (long) kBlock * d, "local");
        Slots.Memory mem = slots.memory();
        if (mem != null) {
          memoryKeys(mem, qt, st, mx, mNew, alpha, sum, acc, bb, hh, kh, i0, live);
        }
        Expr tiles = kEnd.plus(c64(kBlock - 1)).div(c64(kBlock)).minus(tile0);
        ln.loop("jo", tiles, Kind.SERIAL, jo -> {
          // CoPE scans each row from its last key backwards: the tiles are visited last to first (the online
          // softmax does not care about the order)
          Expr tile = cope == null ? tile0.plus(jo) : tile0.plus(tiles).minus(c64(1)).minus(jo);
          Var j0 = ln.let("j0", tile.times(c64(kBlock)));
          // the live keys of this tile: a short last tile (or a short m) costs only what it holds
          Var keys = ln.let("keys", te.minimum(c64(kBlock), kEnd.minus(j0)));
          // a tile the variant promises negligible for the whole block (FoX decay) is skipped
          unlessSkipped(skippable(bb, hh, i0, qBlock, j0.plus(keys).minus(c64(1))), () -> {
            if (ktF != null) {
              rotateKeys(rot, omegaF, ktF, bb, kh, j0, keys);
            }
            scores(ktF, qt, st, bb, kh, i0, j0, keys, live);
            if (rot != null && rot.hasExemptPairs()) {
              exemptPairs(rot.getSpecial(), st, bb, hh, kh, i0, j0, keys, live);
            }
            softmax(st, mx, mNew, alpha, sum, acc, bb, hh, i0, j0, kEnd, keys, copeZF, gatesF, copeSatF);
            if (vtF != null) {
              mixValues(vtF, bb, kh, j0, keys);
            }
            accumulate(st, acc, alpha, vtF, bb, kh, i0, j0, keys, live);
          });
        });
        epilogue(mx, sum, acc, bb, hh, i0);
      });
      return finish(name);
    }

    /**
     * A vectorised pass over the block's {@code qBlock} rows, as unrolled {@code vectorWidth}-lane vectors: LLVM
     * legalises one {@code qBlock}-lane vector badly when {@code qBlock} is not a power of two (96 rows ran at half
     * speed, through stack shuffles).
     */
    private void blockRows(Consumer<Expr> body) {
      ln.loop("rv", qBlock / vectorWidth, Kind.UNROLLED, rv ->
          ln.loop("r", vectorWidth, Kind.VECTORIZED, ri -> body.accept(rv.times(c64(vectorWidth)).plus(ri))));
    }

    /**
     * st[jj, r] = k[j0 + jj]·qt[:, r] (the transposed score tile), {@code microKeys} keys × {@code 2·vectorWidth}
     * rows of accumulators at a time; keys past m read the last key (masked later).
     */
    private void scores(@Nullable Buf kt, Buf qt, Buf st, Var bb, Var kh, Var i0, Var j0, Var keys, Var live) {
      int mr = 2 * vectorWidth;
      Expr groups = keys.plus(c64(microKeys - 1)).div(c64(microKeys));
      Expr rowGroups = live.plus(c64(mr - 1)).div(c64(mr));
      ln.loop("kb", groups, Kind.SERIAL, kb -> {
        // causal: row groups whose last row sees none of this key group are left out (their scores are masked
        // in the scan whatever the tile holds), about a quarter of a diagonal tile
        Expr first = causalFirstRows(i0, j0.plus(kb.times(c64(microKeys))), mr);
        Var rb0 = ln.let("rb_first", te.minimum(first.div(c64(mr)), rowGroups));
        ln.loop("rbx", rowGroups.minus(rb0), Kind.SERIAL, rbx -> {
        Var rb = ln.let("rb", rb0.plus(rbx));
        Buf sacc = ln.allocate("s_acc", DType.FLOAT32, (long) microKeys * mr, "local");
        ln.loop("ki", microKeys, Kind.UNROLLED, ki ->
            ln.loop("u", mr, Kind.VECTORIZED, u -> ln.store(sacc, te.f32(0), ki.times(c64(mr)).plus(u))));
        ln.loop("c", d, Kind.SERIAL, c -> ln.loop("ki", microKeys, Kind.UNROLLED, ki -> {
          Expr key = te.minimum(j0.plus(kb.times(c64(microKeys))).plus(ki), m.minus(c64(1)));
          Expr kv = kt != null ? kt.get(kb.times(c64(microKeys)).plus(ki).times(c64(d)).plus(c))
              : k.get(bb, kh, key, c).cast(DType.FLOAT32);
          ln.loop("u", mr, Kind.VECTORIZED, u -> {
            Expr at = ki.times(c64(mr)).plus(u);
            ln.store(sacc, sacc.get(at).plus(kv.times(qt.get(c.times(c64(qBlock)).plus(rb.times(c64(mr))).plus(u)))),
                at);
          });
        }));
        ln.loop("ki", microKeys, Kind.UNROLLED, ki -> ln.loop("u", mr, Kind.VECTORIZED, u -> ln.store(st,
            sacc.get(ki.times(c64(mr)).plus(u)),
            kb.times(c64(microKeys)).plus(ki).times(c64(qBlock)).plus(rb.times(c64(mr))).plus(u))));
        });
      });
    }

    /**
     * Causal only: the first row (of the block, a multiple of {@code rows}) that sees key {@code j}: rows
     * {@code r < first} have {@code i0 + r + m - n < j}, so for them every key from {@code j} on is masked; 0 when
     * not causal.
     */
    private Expr causalFirstRows(Var i0, Expr j, int rows) {
      if (spec.getCausal() != org.attn4j.attention.Causal.BOTTOM_RIGHT) {
        return c64(0);
      }
      // the first visible row is j - (i0 + m - n); round down to whole groups of rows
      Expr r = j.minus(i0.plus(m).minus(n));
      return te.maximum(r, c64(0)).div(c64(rows)).times(c64(rows));
    }

    /**
     * The rotary prologue of a key tile: {@code kt[jj, :] = rotate(k[j0 + jj])} for every key the micro-kernel
     * reads (keys past m repeat the last one), in the pair-split order {@link #packedDim}: pair {@code f}'s two
     * dims land at {@code f} and {@code f + r/2}, so each key takes one vector sine/cosine per {@code r/2} pairs
     * and contiguous stores; the dims past {@code r} are copied.
     */
    private void rotateKeys(Rotation rot, Buf omega, Buf kt, Var bb, Var kh, Var j0, Var keys) {
      Rotary rotary = rot.getRotary();
      int half = rotary.getDim() / 2;
      boolean interleaved = rotary.getLayout() == Rotary.Layout.INTERLEAVED;
      Expr rows = keys.plus(c64(microKeys - 1)).div(c64(microKeys)).times(c64(microKeys));
      ln.loop("jj", rows, Kind.SERIAL, jj -> {
        Var key = ln.let("key", te.minimum(j0.plus(jj), m.minus(c64(1))));
        Var pos = ln.let("key_pos", rot.keyPosition(te, bb, key));
        Expr base = jj.times(c64(d));
        ln.loop("f", half, Kind.VECTORIZED, f -> {
          Expr a = k.get(bb, kh, key, interleaved ? f.plus(f) : f).cast(DType.FLOAT32);
          Expr b2 = k.get(bb, kh, key, interleaved ? f.plus(f).plus(c64(1)) : f.plus(c64(half))).cast(DType.FLOAT32);
          Expr[] sc = te.sinCos(rot.angle(te, pos, omega.get(f)));
          ln.store(kt, a.times(sc[1]).minus(b2.times(sc[0])), base.plus(f));
          ln.store(kt, b2.times(sc[1]).plus(a.times(sc[0])), base.plus(f).plus(c64(half)));
        });
        if (d > 2 * half) {
          ln.loop("c", d - 2 * half, Kind.VECTORIZED, c -> ln.store(kt,
              k.get(bb, kh, key, c.plus(c64(2 * half))).cast(DType.FLOAT32), base.plus(c).plus(c64(2 * half))));
        }
      });
    }

    /**
     * Learned memory keys, before the keys proper: {@code M} keys in chunks of {@code kBlock} through the score
     * tile, all visible, unrotated, without score terms or masks (their values unmixed); the same online softmax.
     * A special query of PAIRWISE_EXEMPT meets them with its raw vector.
     */
    private void memoryKeys(Slots.Memory mem, Buf qt, Buf st, Buf mx, Buf mNew, @Nullable Buf alpha, Buf sum,
        Buf acc, Var bb, Var hh, Var kh, Var i0, Var live) {
      for (int c0 = 0; c0 < mem.count(); c0 += kBlock) {
        int first = c0;
        int count = Math.min(kBlock, mem.count() - c0);
        ln.loop("jm", count, Kind.SERIAL, jj -> {
          Expr row0 = jj.times(c64(qBlock));
          blockRows(r -> ln.store(st, te.f32(0), row0.plus(r)));
          ln.loop("c", d, Kind.SERIAL, c -> {
            Var key = ln.let("mem_k", mem.keys().get(kh, jj.plus(c64(first)), c).cast(DType.FLOAT32));
            blockRows(r -> ln.store(st,
                st.get(row0.plus(r)).plus(key.times(qt.get(packedDim(c).times(c64(qBlock)).plus(r)))), row0.plus(r)));
          });
          Rotation rot = slots.rotation();
          if (rot != null && rot.hasExemptPairs()) {
            Expr rows = te.maximum(c64(0),
                te.minimum(live, c64(rot.getSpecial().getCount()).minus(i0.plus(m).minus(n))));
            ln.loop("r", rows, Kind.SERIAL, r -> {
              Expr at = row0.plus(r);
              ln.store(st, te.f32(0), at);
              ln.loop("c", d, Kind.SERIAL, c -> ln.store(st, st.get(at).plus(q.get(bb, hh, i0.plus(r), c)
                  .cast(DType.FLOAT32).times(mem.keys().get(kh, jj.plus(c64(first)), c).cast(DType.FLOAT32))), at));
              ln.store(st, st.get(at).times(spec.getScale()), at);
            });
          }
        });
        if (sigmoid != null) {
          ln.loop("jm", count, Kind.SERIAL, jj -> blockRows(r -> {
            Expr at = jj.times(c64(qBlock)).plus(r);
            ln.store(st, sigmoid.weight(st.get(at)), at);
          }));
        } else {
          blockRows(r -> ln.store(mNew, mx.get(r), r));
          ln.loop("jm", count, Kind.SERIAL, jj -> blockRows(r ->
              ln.store(mNew, te.maximum(mNew.get(r), st.get(jj.times(c64(qBlock)).plus(r))), r)));
          normalize(st, mx, mNew, alpha, sum, acc, ln.let("mem_keys", c64(count)), true);
        }
        ln.loop("r", live, Kind.SERIAL, r -> ln.loop("jm", count, Kind.SERIAL, jj -> {
          Expr p = st.get(jj.times(c64(qBlock)).plus(r));
          ln.loop("c", d, Kind.VECTORIZED, c -> {
            Expr at = r.times(c64(d)).plus(c);
            ln.store(acc, acc.get(at).plus(p.times(mem.values().get(kh, jj.plus(c64(first)), c)
                .cast(DType.FLOAT32))), at);
          });
        }));
      }
    }

    /**
     * The packed (qt) dim of head dim {@code c}: with an interleaved rotary, pair {@code f = c/2} is split to
     * {@code f} and {@code f + r/2} (the order {@link #rotateKeys} writes); otherwise {@code c}.
     */
    private Expr packedDim(Var c) {
      Rotation rot = slots.rotation();
      if (rot == null || rot.getRotary().getLayout() != Rotary.Layout.INTERLEAVED) {
        return c;
      }
      int r = rot.getRotary().getDim();
      Expr split = c.div(c64(2)).plus(te.select(c.rem(2).eq(c64(0)), c64(0), c64(r / 2)));
      return te.select(c.lt(c64(r)), split, c);
    }

    /**
     * PAIRWISE_EXEMPT: the tile's logits of special keys ({@code j < S}) and special query rows (key-axis
     * position {@code < S}) become the raw {@code τ q·k}; a few rows and columns per head.
     */
    private void exemptPairs(SpecialTokens special, Buf st, Var bb, Var hh, Var kh, Var i0, Var j0, Var keys,
        Var live) {
      Expr count = c64(special.getCount());
      Expr cols = te.maximum(c64(0), te.minimum(keys, count.minus(j0)));
      ln.loop("jj", cols, Kind.SERIAL, jj -> ln.loop("r", live, Kind.SERIAL, r ->
          storeRawLogit(st, jj.times(c64(qBlock)).plus(r), bb, hh, kh, i0.plus(r), j0.plus(jj))));
      Expr rows = te.maximum(c64(0), te.minimum(live, count.minus(i0.plus(m).minus(n))));
      ln.loop("r", rows, Kind.SERIAL, r -> ln.loop("jj", keys, Kind.SERIAL, jj ->
          storeRawLogit(st, jj.times(c64(qBlock)).plus(r), bb, hh, kh, i0.plus(r), j0.plus(jj))));
    }

    /**
     * CoPE's position logits of the block, {@code z[p, r] = q'_r·E_p} ({@code [P, qBlock]}), from the packed
     * queries: {@code qt} holds {@code τ·q'} in the {@link #packedDim} order, so {@code z = (1/τ) Σ_c
     * qt[packedDim(c), r]·E[p, c]}.
     */
    /**
     * Each row's CoPE term at the saturated position {@code p = P - 1} ({@code [qBlock]}): the same expression the
     * scan evaluates there, so the fast path of a saturated tile gives the same bits.
     */
    private Buf copeSaturatedTerms(Cope cope, Buf z) {
      Buf sat = ln.allocate("cope_saturated", DType.FLOAT32, qBlock, "local");
      blockRows(r -> ln.store(sat, cope.term(te, te.f32(cope.maxPos() - 1), DType.INT64,
          pp -> z.get(pp.times(c64(qBlock)).plus(r))), r));
      return sat;
    }

    private Buf copePositionLogits(Cope cope, Buf qt) {
      int pCount = cope.maxPos();
      Buf z = ln.allocate("cope_z", DType.FLOAT32, (long) pCount * qBlock, "local");
      ln.loop("p", pCount, Kind.SERIAL, p -> {
        blockRows(r -> ln.store(z, te.f32(0), p.times(c64(qBlock)).plus(r)));
        ln.loop("c", d, Kind.SERIAL, c -> {
          Expr e = cope.table().get(p, c);
          Expr row = packedDim(c).times(c64(qBlock));
          blockRows(r -> {
            Expr at = p.times(c64(qBlock)).plus(r);
            ln.store(z, z.get(at).plus(qt.get(row.plus(r)).times(e)), at);
          });
        });
        blockRows(r -> {
          Expr at = p.times(c64(qBlock)).plus(r);
          ln.store(z, z.get(at).times(1 / spec.getScale()), at);
        });
      });
      return z;
    }

    /**
     * Score slot and mask, the CoPE row scan when present, then the online softmax update, all vectorised across
     * the block's rows (the reductions over keys are vertical). With CoPE the tile's keys are scanned from the
     * last to the first, {@code gates[r]} carrying row r's gate sum over the keys already seen (every later key:
     * the tiles are visited backwards).
     */
    private void softmax(Buf st, Buf mx, Buf mNew, @Nullable Buf alpha, Buf sum, Buf acc, Var bb, Var hh, Var i0, Var j0,
        Var kEnd, Var keys, @Nullable Buf copeZ, @Nullable Buf gates, @Nullable Buf copeSat) {
      Cope cope = slots.cope();
      blockRows(r -> ln.store(mNew, mx.get(r), r));
      if (cope == null) {
        scan(st, mNew, bb, hh, i0, j0, kEnd, keys, null, null, null, false);
      } else {
        // once every row's gate sum has reached P - 1 (the keys scanned so far are all later ones), every earlier
        // key sits at p = P - 1: the tile takes the rows' saturated terms, without gates or gathers
        Buf gmin = ln.allocate("cope_gate_min", DType.FLOAT32, 1, "local");
        ln.store(gmin, gates.get(c64(0)), c64(0));
        ln.loop("r", qBlock, Kind.SERIAL, r -> ln.store(gmin, te.minimum(gmin.get(c64(0)), gates.get(r)), c64(0)));
        Var saturated = ln.let("cope_saturated_tile", gmin.get(c64(0)).ge(te.f32(cope.maxPos() - 1)));
        ln.ifThen(saturated, () -> scan(st, mNew, bb, hh, i0, j0, kEnd, keys, copeZ, gates, copeSat, true));
        ln.ifThen(saturated.not(), () -> scan(st, mNew, bb, hh, i0, j0, kEnd, keys, copeZ, gates, copeSat, false));
      }
      normalize(st, mx, mNew, alpha, sum, acc, keys, false);
    }

    /**
     * The tile's scores after the slots and masks, the CoPE term when present (from the saturated terms when
     * {@code saturated}), into {@code st}, and the running max into {@code mNew}.
     */
    private void scan(Buf st, Buf mNew, Var bb, Var hh, Var i0, Var j0, Var kEnd, Var keys, @Nullable Buf copeZ,
        @Nullable Buf gates, @Nullable Buf copeSat, boolean saturated) {
      Cope cope = slots.cope();
      ln.loop("jj", keys, Kind.SERIAL, jx -> {
        Var jj = cope == null ? jx : ln.let("jj_rev", keys.minus(c64(1)).minus(jx));
        Var j = ln.let("j", j0.plus(jj));
        blockRows(r -> {
          Expr at = jj.times(c64(qBlock)).plus(r);
          Expr[] sv0 = scored(st.get(at), bb, hh, i0.plus(r), j, kEnd);
          Expr logit = sv0[0];
          Expr visible = sv0[1];
          if (cope != null && saturated) {
            logit = logit.plus(copeSat.get(r));
          } else if (cope != null) {
            // (5) CoPE: g = sigmoid(ŝ) on visible keys, p = min(Σ_{t >= j} g, P - 1), ŝ += c(z_r, p)
            Var sc = ln.let("s_cope", logit);
            ln.store(gates, gates.get(r).plus(cope.gate(te, sc, visible)), r);
            Var pos = ln.let("cope_p", cope.position(te, gates.get(r)));
            logit = sc.plus(cope.term(te, pos, DType.INT64, pp -> copeZ.get(pp.times(c64(qBlock)).plus(r))));
          }
          // bound once: the max below must read the masked value, not reload the tile
          if (sigmoid != null) {
            ln.store(st, te.select(visible, sigmoid.weight(logit), te.f32(0)), at);
            return;
          }
          Var sv = ln.let("sv", te.select(visible, logit, low));
          ln.store(st, sv, at);
          ln.store(mNew, te.maximum(mNew.get(r), sv), r);
        });
      });
    }

    /**
     * The online softmax update of the tile: the rows' rescale factors {@code alpha = e^(max - max')}, the
     * exponentials (the softmax's own {@link Te#expNonPositive}: every argument is a logit minus a max that covers
     * it) and their sums. The accumulators are rescaled by {@code alpha} here only when {@code rescaleAcc};
     * otherwise {@link #accumulate} does it as it loads them.
     */
    private void normalize(Buf st, Buf mx, Buf mNew, @Nullable Buf alpha, Buf sum, Buf acc, Var keys,
        boolean rescaleAcc) {
      if (sigmoid != null) {
        return; // no normalisation: P = sigmoid(s + β) goes straight into P·V
      }
      blockRows(r -> {
        ln.store(alpha, te.expNonPositive(mx.get(r).minus(mNew.get(r))), r);
        ln.store(sum, sum.get(r).times(alpha.get(r)), r);
        ln.store(mx, mNew.get(r), r);
      });
      ln.loop("jj", keys, Kind.SERIAL, jj -> blockRows(r -> {
        Expr at = jj.times(c64(qBlock)).plus(r);
        Expr x = st.get(at);
        Var p = ln.let("p", te.select(x.gt(low), te.expNonPositive(x.minus(mNew.get(r))), te.f32(0)));
        ln.store(st, p, at);
        ln.store(sum, sum.get(r).plus(p), r);
      }));
      if (rescaleAcc) {
        ln.loop("r", qBlock, Kind.SERIAL, r -> {
          Expr a = alpha.get(r);
          ln.loop("c", d, Kind.VECTORIZED, c -> {
            Expr at = r.times(c64(d)).plus(c);
            ln.store(acc, acc.get(at).times(a), at);
          });
        });
      }
    }

    /** {@code vt[jj, :] = valueMix(v[j0 + jj, :])} for the tile's live keys. */
    private void mixValues(Buf vt, Var bb, Var kh, Var j0, Var keys) {
      ln.loop("jj", keys, Kind.SERIAL, jj -> ln.loop("c", d, Kind.VECTORIZED, c ->
          ln.store(vt, loadValue(bb, kh, j0.plus(jj), c), jj.times(c64(d)).plus(c))));
    }

    /**
     * acc[r, :] = alpha[r]·acc[r, :] + Σ_jj st[jj, r] · v[j0 + jj, :] (or the mixed tile {@code vt}): micro-tiles of
     * {@link #pvRows} rows × {@link #pvChunk} dims of accumulators held in registers (the rescale rides on their
     * load; no alpha: sigmoid), each key's V chunk loaded once per micro-tile and its P broadcast per row.
     */
    private void accumulate(Buf st, Buf acc, @Nullable Buf alpha, @Nullable Buf vt, Var bb, Var kh, Var i0, Var j0,
        Var keys, Var live) {
      int rows = pvRows();
      int chunk = pvChunk();
      ln.loop("r0", live.plus(c64(rows - 1)).div(c64(rows)), Kind.SERIAL, r0 -> {
        Expr row0 = r0.times(c64(rows));
        // causal: the keys past the last one these rows see have P = 0 and are left out
        Expr seen = keys;
        if (spec.getCausal() == org.attn4j.attention.Causal.BOTTOM_RIGHT) {
          seen = te.minimum(keys, te.maximum(i0.plus(row0).plus(c64(rows)).plus(m).minus(n).minus(j0), c64(0)));
        }
        Var seenF = ln.let("seen", seen);
        // chunk <= d: at least one whole chunk, then the remainder of d if any
        ln.loop("cc", d / chunk, Kind.SERIAL, cc ->
            pvMicroKernel(st, acc, alpha, vt, bb, kh, j0, seenF, row0, rows, cc.times(c64(chunk)), chunk));
        if (d % chunk != 0) {
          pvMicroKernel(st, acc, alpha, vt, bb, kh, j0, seenF, row0, rows, c64(d - d % chunk), d % chunk);
        }
      });
    }

    /** One P·V micro-tile: rows {@code row0..+rows} × dims {@code c0..+width} over the tile's first {@code seen} keys. */
    private void pvMicroKernel(Buf st, Buf acc, @Nullable Buf alpha, @Nullable Buf vt, Var bb, Var kh, Var j0,
        Var seen, Expr row0, int rows, Expr c0, int width) {
      Buf a = ln.allocate("o_acc", DType.FLOAT32, (long) rows * width, "local");
      ln.loop("ri", rows, Kind.UNROLLED, ri -> ln.loop("c", width, Kind.VECTORIZED, c -> {
        Expr old = acc.get(row0.plus(ri).times(c64(d)).plus(c0).plus(c));
        ln.store(a, alpha == null ? old : old.times(alpha.get(row0.plus(ri))), ri.times(c64(width)).plus(c));
      }));
      ln.loop("jj", seen, Kind.SERIAL, jj -> ln.loop("ri", rows, Kind.UNROLLED, ri -> {
        Expr p = st.get(jj.times(c64(qBlock)).plus(row0).plus(ri));
        ln.loop("c", width, Kind.VECTORIZED, c -> {
          Expr at = ri.times(c64(width)).plus(c);
          Expr val = vt != null ? vt.get(jj.times(c64(d)).plus(c0).plus(c)) : loadValue(bb, kh, j0.plus(jj), c0.plus(c));
          ln.store(a, a.get(at).plus(p.times(val)), at);
        });
      }));
      ln.loop("ri", rows, Kind.UNROLLED, ri -> ln.loop("c", width, Kind.VECTORIZED, c ->
          ln.store(acc, a.get(ri.times(c64(width)).plus(c)), row0.plus(ri).times(c64(d)).plus(c0).plus(c))));
    }

    /**
     * Dims per P·V micro-tile: 4 vectors with AVX-512's 32 registers, 2 with AVX2's 16 (or all of {@code d} when
     * smaller).
     */
    private int pvChunk() {
      return Math.min(d, (vectorWidth >= 16 ? 4 : 2) * vectorWidth);
    }

    /**
     * Rows per P·V micro-tile: the most rows, up to 6, that divide {@code qBlock}; with {@link #pvChunk} that is
     * 24 accumulators of AVX-512's 32 registers (12 of AVX2's 16), besides a V chunk and a broadcast.
     */
    private int pvRows() {
      int vectors = Math.max(1, (pvChunk() + vectorWidth - 1) / vectorWidth);
      int rows = Math.max(1, Math.min(6, (vectorWidth >= 16 ? 24 : 12) / vectors));
      while (qBlock % rows != 0) {
        rows--;
      }
      return rows;
    }

    private void epilogue(Buf mx, Buf sum, Buf acc, Var bb, Var hh, Var i0) {
      ln.loop("r", te.minimum(c64(qBlock), n.minus(i0)), Kind.SERIAL, r -> {
        Var l = ln.let("l", sum.get(r));
        Var mu = ln.let("mu", mx.get(r));
        Normalizer norm = slots.normalizer();
        ln.loop("c", d, Kind.VECTORIZED, c ->
            ln.store(out, norm.output(acc.get(r.times(c64(d)).plus(c)), mu, l, hh), bb, hh, i0.plus(r), c));
        if (lse != null) {
          ln.store(lse, norm.lse(mu, l, hh), bb, hh, i0.plus(r));
        }
      });
    }
  }
}
