package org.attn4j.schedules;

import java.util.LinkedHashMap;
import java.util.Map;
import org.attn4j.attention.AttentionGraph;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.HeadMapping;
import org.attn4j.attention.Slots;
import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.LoopNest;
import org.attn4j.te.LoopNest.Buf;
import org.attn4j.te.LoopNest.Kind;
import org.attn4j.te.Schedule;
import org.attn4j.te.Te;
import org.attn4j.te.Var;
import org.attn4j.tvm.TvmObject;

/**
 * The fast CPU kernel: flash-style attention written as a loop nest (FlashAttention-2's forward, laid out for
 * SIMD CPUs).
 *
 * <p>Work items are {@code (b, h, query block)} triples of {@code qBlock} rows, spread over the thread pool (the
 * blocks of one head are visited in a zig-zag order so that causal work is balanced between threads). A work
 * item walks the keys in tiles of {@code kBlock}: the key tile is packed transposed ({@code [d, kBlock]}), the
 * score tile {@code S = Q·Kᵀ} ({@code qBlock × kBlock}, in L1/L2) is computed by a register-blocked micro-kernel
 * ({@code microRows} rows × {@code 2·vectorWidth} keys of accumulators) vectorised along the keys, scaled, passed
 * through the variant's score and mask slots and masked; an online softmax keeps each row's running max and
 * sum (vectorised max/sum reductions, vectorised exp) and rescales the row's output accumulator; the
 * probabilities are multiplied into {@code V} by a second micro-kernel vectorised along {@code d}. Nothing of
 * size {@code n × m} is ever materialised and nothing is allocated per call (tiles live on the worker's stack).
 *
 * <p>Skipping: with right-aligned causal masking a query block stops at its last visible key (whole tiles above
 * the diagonal are never visited); with key lengths, at the row's length. Only tiles that straddle a boundary
 * pay for the element mask.
 *
 * <p>Parameters (recorded in the manifest): {@code qBlock}, {@code kBlock}, {@code vectorWidth} (floats per SIMD
 * register: 16 for AVX-512, 8 for AVX2), {@code microRows}.
 */
public final class CpuFlashSchedule implements AttentionSchedule {
  private static final int ALIGN = 16;
  private final int qBlock;
  private final int kBlock;
  private final int vectorWidth;
  private final int microRows;

  /**
   * The schedule with explicit tile sizes.
   *
   * @throws IllegalArgumentException if a size is not positive, {@code vectorWidth} is not a power of two,
   *     {@code kBlock} is not a multiple of {@code 2·vectorWidth} or {@code qBlock} of {@code microRows}
   */
  public CpuFlashSchedule(int qBlock, int kBlock, int vectorWidth, int microRows) {
    if (qBlock < 1 || kBlock < 1 || microRows < 1 || vectorWidth < 1 || Integer.bitCount(vectorWidth) != 1) {
      throw new IllegalArgumentException("tile sizes: expected positive values and a power-of-two vector width,"
          + " got qBlock=" + qBlock + " kBlock=" + kBlock + " vectorWidth=" + vectorWidth + " microRows="
          + microRows);
    }
    if (kBlock % (2 * vectorWidth) != 0 || qBlock % microRows != 0) {
      throw new IllegalArgumentException("tile sizes: expected kBlock % (2*vectorWidth) == 0 and qBlock % microRows"
          + " == 0, got qBlock=" + qBlock + " kBlock=" + kBlock + " vectorWidth=" + vectorWidth + " microRows="
          + microRows);
    }
    this.qBlock = qBlock;
    this.kBlock = kBlock;
    this.vectorWidth = vectorWidth;
    this.microRows = microRows;
  }

  /** Default tile sizes for a SIMD width of {@code vectorWidth} floats (16: AVX-512, 8: AVX2). */
  public static CpuFlashSchedule forVectorWidth(int vectorWidth) {
    return vectorWidth >= 16 ? new CpuFlashSchedule(32, 64, 16, 8) : new CpuFlashSchedule(32, 64, 8, 4);
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
    p.put("microRows", microRows);
    return p;
  }

  @Override
  public boolean buildsLoopNest() {
    return true;
  }

  @Override
  public void apply(Schedule sch, AttentionGraph graph) {
    throw new UnsupportedOperationException("cpu-flash builds its kernel as a loop nest");
  }

  @Override
  public TvmObject buildFunction(Te te, AttentionGraph g, String name) {
    return new Kernel(te, g).build(name);
  }

  /** One kernel being written; fields are the loop nest's buffers and symbolic sizes. */
  private final class Kernel {
    private final Te te;
    private final AttentionSpec spec;
    private final Slots slots;
    private final LoopNest ln;
    private final int h;
    private final int d;
    private final Var b;
    private final Var n;
    private final Var m;
    private final Expr low;

    Kernel(Te te, AttentionGraph g) {
      this.te = te;
      this.spec = g.spec();
      this.slots = g.slots();
      this.ln = new LoopNest(te);
      this.h = spec.getHeads();
      this.d = spec.getHeadDim();
      this.b = te.sizeVar("b", DType.INT64);
      this.n = te.sizeVar("n", DType.INT64);
      this.m = te.sizeVar("m", DType.INT64);
      this.low = te.lowest(DType.FLOAT32);
    }

    private Expr c64(long v) {
      return te.constant(v, DType.INT64);
    }

    TvmObject build(String name) {
      DType t = spec.getDtype();
      Buf q = ln.param("q", t, ALIGN, b, c64(h), n, c64(d));
      Buf k = ln.param("k", t, ALIGN, b, c64(spec.getKvHeads()), m, c64(d));
      Buf v = ln.param("v", t, ALIGN, b, c64(spec.getKvHeads()), m, c64(d));
      Buf lens = spec.hasKeyLengths() ? ln.param("key_lengths", DType.INT32, ALIGN, b) : null;
      Buf out = ln.param("attn_out", t, ALIGN, b, c64(h), n, c64(d));
      Buf lse = spec.hasLse() ? ln.param("attn_lse", DType.FLOAT32, ALIGN, b, c64(h), n) : null;
      Expr nqb = n.plus(c64(qBlock - 1)).div(c64(qBlock));
      ln.loop("t", b.times(c64(h)).times(nqb), Kind.PARALLEL, t0 -> {
        Var bb = ln.let("bb", t0.div(c64(h).times(nqb)));
        Var hh = ln.let("hh", t0.div(nqb).rem(h));
        Var x = ln.let("x", t0.rem(nqb));
        // zig-zag: consecutive work items alternate cheap (early) and expensive (late) causal blocks
        Var io = ln.let("io", te.select(x.rem(2).eq(c64(0)), x.div(c64(2)), nqb.minus(c64(1)).minus(x.div(c64(2)))));
        Var kh = ln.let("kh", kvHead(hh));
        Var i0 = ln.let("i0", io.times(c64(qBlock)));
        Expr end = m;
        if (spec.getCausal() == Causal.BOTTOM_RIGHT) {
          end = te.minimum(end, i0.plus(c64(qBlock)).plus(m).minus(n));
        }
        if (lens != null) {
          end = te.minimum(end, lens.get(bb).cast(DType.INT64));
        }
        Var kEnd = ln.let("k_end", te.maximum(end, c64(0)));
        Buf s = ln.allocate("s_tile", DType.FLOAT32, (long) qBlock * kBlock, "local");
        Buf kt = ln.allocate("kt_tile", DType.FLOAT32, (long) d * kBlock, "local");
        Buf mx = ln.allocate("row_max", DType.FLOAT32, qBlock, "local");
        Buf sum = ln.allocate("row_sum", DType.FLOAT32, qBlock, "local");
        Buf acc = ln.allocate("acc", DType.FLOAT32, (long) qBlock * d, "local");
        Buf red = ln.allocate("red", DType.FLOAT32, vectorWidth, "local");
        ln.loop("r", qBlock, Kind.SERIAL, r -> {
          ln.store(mx, low, r);
          ln.store(sum, te.f32(0), r);
          ln.loop("c", d, Kind.VECTORIZED, c -> ln.store(acc, te.f32(0), r.times(c64(d)).plus(c)));
        });
        Expr tiles = kEnd.plus(c64(kBlock - 1)).div(c64(kBlock));
        ln.loop("jo", tiles, Kind.SERIAL, jo -> {
          Var j0 = ln.let("j0", jo.times(c64(kBlock)));
          packKeys(k, kt, bb, kh, j0);
          scores(q, kt, s, bb, hh, i0);
          softmax(s, mx, sum, acc, red, bb, hh, i0, j0, kEnd);
          accumulate(v, s, acc, bb, kh, j0, kEnd);
        });
        epilogue(out, lse, mx, sum, acc, bb, hh, i0);
      });
      return ln.function(name);
    }

    private Expr kvHead(Var hh) {
      int hKv = spec.getKvHeads();
      if (hKv == h) {
        return hh;
      }
      return spec.getHeadMapping() == HeadMapping.TILED ? hh.rem(hKv) : hh.div(c64(h / hKv));
    }

    /** kt[c, jj] = k[bb, kh, j0 + jj, c]; keys past m read the last key (masked later). */
    private void packKeys(Buf k, Buf kt, Var bb, Var kh, Var j0) {
      ln.loop("jj", kBlock, Kind.SERIAL, jj -> {
        Expr j = te.minimum(j0.plus(jj), m.minus(c64(1)));
        ln.loop("c", d, Kind.SERIAL, c ->
            ln.store(kt, k.get(bb, kh, j, c).cast(DType.FLOAT32), c.times(c64(kBlock)).plus(jj)));
      });
    }

    /** s[r, jj] = q[i0 + r]·k[j0 + jj], microRows × 2·vectorWidth accumulators at a time. */
    private void scores(Buf q, Buf kt, Buf s, Var bb, Var hh, Var i0) {
      int mk = 2 * vectorWidth;
      ln.loop("r0", qBlock / microRows, Kind.SERIAL, r0 -> {
        Buf sacc = ln.allocate("s_acc", DType.FLOAT32, (long) microRows * mk, "local");
        ln.loop("kb", kBlock / mk, Kind.SERIAL, kb -> {
          ln.loop("ri", microRows, Kind.UNROLLED, ri ->
              ln.loop("u", mk, Kind.VECTORIZED, u -> ln.store(sacc, te.f32(0), ri.times(c64(mk)).plus(u))));
          ln.loop("c", d, Kind.SERIAL, c ->
              ln.loop("ri", microRows, Kind.UNROLLED, ri -> {
                Expr row = te.minimum(i0.plus(r0.times(c64(microRows))).plus(ri), n.minus(c64(1)));
                Expr qv = q.get(bb, hh, row, c).cast(DType.FLOAT32);
                ln.loop("u", mk, Kind.VECTORIZED, u -> {
                  Expr at = ri.times(c64(mk)).plus(u);
                  ln.store(sacc, sacc.get(at).plus(qv.times(kt.get(c.times(c64(kBlock)).plus(kb.times(c64(mk)))
                      .plus(u)))), at);
                });
              }));
          ln.loop("ri", microRows, Kind.UNROLLED, ri ->
              ln.loop("u", mk, Kind.VECTORIZED, u -> ln.store(s,
                  sacc.get(ri.times(c64(mk)).plus(u)),
                  r0.times(c64(microRows)).plus(ri).times(c64(kBlock)).plus(kb.times(c64(mk))).plus(u))));
        });
      });
    }

    /** Scale, score slot, mask, then the online softmax update of each row. */
    private void softmax(Buf s, Buf mx, Buf sum, Buf acc, Buf red, Var bb, Var hh, Var i0, Var j0, Var kEnd) {
      ln.loop("r", qBlock, Kind.SERIAL, r -> {
        Var i = ln.let("i", i0.plus(r));
        Expr rowBase = r.times(c64(kBlock));
        ln.loop("u", kBlock, Kind.VECTORIZED, u -> {
          Expr j = j0.plus(u);
          Expr logit = s.get(rowBase.plus(u)).times(spec.getScale());
          Var jv = te.var("j", DType.INT64);
          if (slots.scoreMod() != null) {
            logit = bind(slots.scoreMod().apply(logit, bb, hh, i, jv), jv, j);
          }
          Expr visible = j.lt(kEnd);
          if (spec.getCausal() == Causal.BOTTOM_RIGHT) {
            visible = visible.and(j.le(i.plus(m).minus(n)));
          }
          if (slots.maskMod() != null) {
            visible = visible.and(bind(slots.maskMod().apply(bb, hh, i, jv), jv, j));
          }
          ln.store(s, te.select(visible, logit, low), rowBase.plus(u));
        });
        reduceRow(s, red, rowBase, true);
        Var mNew = ln.let("m_new", te.maximum(mx.get(r), red.get(c64(0))));
        Var alpha = ln.let("alpha", te.exp(mx.get(r).minus(mNew)));
        ln.loop("u", kBlock, Kind.VECTORIZED, u -> {
          Expr x = s.get(rowBase.plus(u));
          ln.store(s, te.select(x.gt(low), te.exp(x.minus(mNew)), te.f32(0)), rowBase.plus(u));
        });
        reduceRow(s, red, rowBase, false);
        ln.store(sum, sum.get(r).times(alpha).plus(red.get(c64(0))), r);
        ln.store(mx, mNew, r);
        ln.loop("c", d, Kind.VECTORIZED, c -> {
          Expr at = r.times(c64(d)).plus(c);
          ln.store(acc, acc.get(at).times(alpha), at);
        });
      });
    }

    /** red[0] = max (or sum) of s[rowBase : rowBase + kBlock], vector lanes first, then a halving tree. */
    private void reduceRow(Buf s, Buf red, Expr rowBase, boolean max) {
      ln.loop("u", vectorWidth, Kind.VECTORIZED, u -> ln.store(red, max ? low : te.f32(0), u));
      ln.loop("w", kBlock / vectorWidth, Kind.SERIAL, w ->
          ln.loop("u", vectorWidth, Kind.VECTORIZED, u -> {
            Expr x = s.get(rowBase.plus(w.times(c64(vectorWidth))).plus(u));
            ln.store(red, max ? te.maximum(red.get(u), x) : red.get(u).plus(x), u);
          }));
      for (int half = vectorWidth / 2; half >= 1; half /= 2) {
        int hf = half;
        ln.loop("u", hf, hf > 1 ? Kind.VECTORIZED : Kind.SERIAL, u -> {
          Expr x = red.get(u.plus(c64(hf)));
          ln.store(red, max ? te.maximum(red.get(u), x) : red.get(u).plus(x), u);
        });
      }
    }

    /** acc[r, :] += Σ_jj s[r, jj] · v[j0 + jj, :], a few rows × d of accumulators at a time. */
    private void accumulate(Buf v, Buf s, Buf acc, Var bb, Var kh, Var j0, Var kEnd) {
      int rows = pvRows();
      Expr keys = te.minimum(c64(kBlock), kEnd.minus(j0));
      ln.loop("r0", qBlock / rows, Kind.SERIAL, r0 -> {
        Buf a = ln.allocate("o_acc", DType.FLOAT32, (long) rows * d, "local");
        Expr row0 = r0.times(c64(rows));
        ln.loop("ri", rows, Kind.UNROLLED, ri -> ln.loop("c", d, Kind.VECTORIZED, c ->
            ln.store(a, acc.get(row0.plus(ri).times(c64(d)).plus(c)), ri.times(c64(d)).plus(c))));
        ln.loop("jj", keys, Kind.SERIAL, jj -> ln.loop("ri", rows, Kind.UNROLLED, ri -> {
          Expr p = s.get(row0.plus(ri).times(c64(kBlock)).plus(jj));
          ln.loop("c", d, Kind.VECTORIZED, c -> {
            Expr at = ri.times(c64(d)).plus(c);
            ln.store(a, a.get(at).plus(p.times(v.get(bb, kh, j0.plus(jj), c).cast(DType.FLOAT32))), at);
          });
        }));
        ln.loop("ri", rows, Kind.UNROLLED, ri -> ln.loop("c", d, Kind.VECTORIZED, c ->
            ln.store(acc, a.get(ri.times(c64(d)).plus(c)), row0.plus(ri).times(c64(d)).plus(c))));
      });
    }

    /** Rows per P·V micro-tile: about 16 vector accumulators. */
    private int pvRows() {
      int vectorsPerRow = Math.max(1, (d + vectorWidth - 1) / vectorWidth);
      int rows = Math.max(1, 16 / vectorsPerRow);
      while (qBlock % rows != 0) {
        rows--;
      }
      return rows;
    }

    private void epilogue(Buf out, Buf lse, Buf mx, Buf sum, Buf acc, Var bb, Var hh, Var i0) {
      ln.loop("r", te.minimum(c64(qBlock), n.minus(i0)), Kind.SERIAL, r -> {
        Var l = ln.let("l", sum.get(r));
        ln.loop("c", d, Kind.VECTORIZED, c -> ln.store(out,
            te.select(l.gt(0.0), acc.get(r.times(c64(d)).plus(c)).div(l), te.f32(0)), bb, hh, i0.plus(r), c));
        if (lse != null) {
          ln.store(lse, te.select(l.gt(0.0), mx.get(r).plus(te.log(l)), te.f32(Double.NEGATIVE_INFINITY)),
              bb, hh, i0.plus(r));
        }
      });
    }

    /** {@code e} with {@code var} replaced by {@code value}. */
    private Expr bind(Expr e, Var var, Expr value) {
      return te.let(var, value, e);
    }
  }
}
