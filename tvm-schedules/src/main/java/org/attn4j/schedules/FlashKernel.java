package org.attn4j.schedules;

import org.attn4j.attention.AttentionGraph;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.HeadMapping;
import org.attn4j.attention.Normalizer;
import org.attn4j.attention.Rotation;
import org.attn4j.attention.Slots;
import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.LoopNest;
import org.attn4j.te.LoopNest.Buf;
import org.attn4j.te.Te;
import org.attn4j.te.Tensor;
import org.attn4j.te.Var;
import org.attn4j.tvm.TvmObject;
import org.jspecify.annotations.Nullable;

/**
 * What the flash-style loop-nest kernels (CPU and CUDA) share: int64 sizes, the arguments in the template's order
 * (captured tensors bound as buffers, see {@link Te#bind}), the kv-head mapping, the keys a query block can see,
 * and the masked, slot-modified logit. A subclass writes its loops between {@link #declareArguments} and
 * {@link #finish}.
 */
abstract class FlashKernel {
  static final int ALIGN = 16;
  final Te te;
  final AttentionSpec spec;
  final AttentionGraph g;
  final Slots slots;
  final Normalizer.@Nullable Sigmoid sigmoid;
  final LoopNest ln;
  final int h;
  final int d;
  final Var b;
  final Var n;
  final Var m;
  final Expr low;
  Buf q;
  Buf k;
  Buf v;
  @Nullable Buf lens;
  Buf out;
  @Nullable Buf lse;

  FlashKernel(Te te, AttentionGraph g) {
    this.te = te;
    this.g = g;
    this.spec = g.spec();
    this.slots = g.slots();
    this.sigmoid = slots.normalizer() instanceof Normalizer.Sigmoid sg ? sg : null;
    this.ln = new LoopNest(te);
    this.h = spec.getHeads();
    this.d = spec.getHeadDim();
    this.b = te.sizeVar("b", DType.INT64);
    this.n = te.sizeVar("n", DType.INT64);
    this.m = te.sizeVar("m", DType.INT64);
    this.low = te.lowest(DType.FLOAT32);
  }

  final Expr c64(long v) {
    return te.constant(v, DType.INT64);
  }

  /** q, k, v, [key_lengths], captured tensors, out, [lse]: the order of {@link AttentionGraph#getArguments()}. */
  final void declareArguments() {
    DType t = spec.getDtype();
    q = ln.param("q", t, ALIGN, b, c64(h), n, c64(d));
    k = ln.param("k", t, ALIGN, b, c64(spec.getKvHeads()), m, c64(d));
    v = ln.param("v", t, ALIGN, b, c64(spec.getKvHeads()), m, c64(d));
    lens = spec.hasKeyLengths() ? ln.param("key_lengths", DType.INT32, ALIGN, b) : null;
    for (Tensor c : g.captured()) {
      te.bind(c, ln.param(c.getName(), c.getDtype(), ALIGN,
          c.getShape().stream().map(this::dim).toArray(Expr[]::new)));
    }
    out = ln.param("attn_out", t, ALIGN, b, c64(h), n, c64(d));
    lse = spec.hasLse() ? ln.param("attn_lse", DType.FLOAT32, ALIGN, b, c64(h), n) : null;
  }

  /** The function, with the captured tensors unbound again. */
  final TvmObject finish(String name) {
    try {
      return ln.function(name);
    } finally {
      g.captured().forEach(te::unbind);
    }
  }

  /** A captured tensor's dim in the loop nest's int64 sizes. */
  private Expr dim(Expr e) {
    if (e instanceof Var var && (var == g.b() || var == g.n() || var == g.m())) {
      return var == g.b() ? b : var == g.n() ? n : m;
    }
    return c64(e.getIntConstant().orElseThrow(() -> new IllegalArgumentException("capture dim " + e
        + ": expected an integer or one of b, n, m")));
  }

  /**
   * Query element {@code (row, c)} as float32, after the q prologue (rotary), unscaled. With rotary it emits a
   * let (the angle) into the current loop body.
   */
  final Expr queryElement(Expr bb, Expr hh, Expr row, Expr c) {
    Rotation rot = slots.rotation();
    if (rot == null) {
      return q.get(bb, hh, row, c).cast(DType.FLOAT32);
    }
    Expr[] sc = sinCos("q_angle", rot.elementAngle(te, rot.queryPosition(te, bb, row, n, m), c));
    return rot.rotate(te, x -> q.get(bb, hh, row, x), c, sc[0], sc[1]);
  }

  /** Key element {@code (key, c)} of kv head {@code kh} as float32, after the k prologue (rotary). */
  final Expr keyElement(Expr bb, Expr kh, Expr key, Expr c) {
    Rotation rot = slots.rotation();
    if (rot == null) {
      return k.get(bb, kh, key, c).cast(DType.FLOAT32);
    }
    Expr[] sc = sinCos("k_angle", rot.elementAngle(te, rot.keyPosition(te, bb, key), c));
    return rot.rotate(te, x -> k.get(bb, kh, key, x), c, sc[0], sc[1]);
  }

  /**
   * {@code [sin φ, cos φ]} for the rotary prologue: by default the angle is let-bound (as {@code name}) in the
   * current body and goes through the vectorisable {@link Te#sinCos}.
   */
  Expr[] sinCos(String name, Expr phi) {
    return te.sinCos(ln.let(name, phi));
  }

  /**
   * For PAIRWISE_EXEMPT rotation: whether logit (row, j) takes the raw product ({@code row} a query row); null
   * when no pair is exempt.
   */
  final @Nullable Expr exempt(Expr row, Expr j) {
    Rotation rot = slots.rotation();
    return rot == null ? null : rot.exempt(te, row.plus(m).minus(n), j);
  }

  /** Stores {@code τ·q[row]·k[j]} (raw, unrotated) into {@code buf[at]}: the logit of an exempt pair. */
  final void storeRawLogit(Buf buf, Expr at, Expr bb, Expr hh, Expr kh, Expr row, Expr j) {
    ln.store(buf, te.f32(0), at);
    ln.loop("c", d, org.attn4j.te.LoopNest.Kind.SERIAL, c -> ln.store(buf, buf.get(at).plus(
        q.get(bb, hh, row, c).cast(DType.FLOAT32).times(k.get(bb, kh, j, c).cast(DType.FLOAT32))), at));
    ln.store(buf, buf.get(at).times(spec.getScale()), at);
  }

  final Expr kvHead(Var hh) {
    int hKv = spec.getKvHeads();
    if (hKv == h) {
      return hh;
    }
    return spec.getHeadMapping() == HeadMapping.TILED ? hh.rem(hKv) : hh.div(c64(h / hKv));
  }

  /**
   * {@code [start, end)}: the keys any of the query rows {@code [i0, i0 + rows)} may see, from the causal mask,
   * the key length and a declared {@link Slots.KeyRange}; {@code end >= start >= 0} after clamping.
   */
  final Expr[] keyWindow(Var bb, Var hh, Var i0, long rows) {
    Expr end = m;
    if (spec.getCausal() == Causal.BOTTOM_RIGHT) {
      end = te.minimum(end, i0.plus(c64(rows)).plus(m).minus(n));
    }
    if (lens != null) {
      end = te.minimum(end, lens.get(bb).cast(DType.INT64));
    }
    Expr start = c64(0);
    Slots.KeyRange range = slots.keyRange();
    if (range != null) {
      // the block's rows span key-axis positions [p_first, p_last]; the range is monotone in i
      Var pFirst = ln.let("p_first", i0.plus(m).minus(n));
      Var pLast = ln.let("p_last", te.minimum(i0.plus(c64(rows)), n).minus(c64(1)).plus(m).minus(n));
      start = te.maximum(start, range.first().apply(bb, hh, pFirst).cast(DType.INT64));
      end = te.minimum(end, range.last().apply(bb, hh, pLast).cast(DType.INT64).plus(c64(1)));
    }
    Var kEnd = ln.let("k_end", te.maximum(end, c64(0)));
    return new Expr[] {te.minimum(start, kEnd), kEnd};
  }

  /** {@code v[bb, kh, j, c]} in float32 after the v prologue (slot 2, e.g. the value residual's blend). */
  final Expr loadValue(Expr bb, Expr kh, Expr j, Expr c) {
    Expr val = v.get(bb, kh, j, c).cast(DType.FLOAT32);
    Slots.ValueMix mix = slots.valueMix();
    return mix == null ? val : mix.apply(val, bb, kh, j, c);
  }

  /**
   * Whether the query block {@code [i0, i0 + rows)} may skip the keys up to {@code jLast} (a whole tile), from the
   * variant's {@link Slots.Negligible} promise checked at the block's first row (the promise is monotone, so it
   * then holds for every row); null when the variant makes no promise. The promise bounds a key's weight relative
   * to the query's own key, so a block with a row past its key length (whose own key is masked) never skips.
   */
  final @Nullable Expr skippable(Var bb, Var hh, Var i0, long rows, Expr jLast) {
    Slots.Negligible promise = slots.negligible();
    if (promise == null) {
      return null;
    }
    Expr skip = promise.apply(bb, hh, i0.plus(m).minus(n), jLast);
    if (lens != null) {
      Expr pLast = te.minimum(i0.plus(c64(rows)), n).minus(c64(1)).plus(m).minus(n);
      skip = skip.and(pLast.lt(lens.get(bb).cast(DType.INT64)));
    }
    // bound to a variable: TVM's passes hoisting the loop-invariant part of an if condition lost the key window's
    // let scope (k_end) when the key-length clause was inline
    return ln.let("skip_tile", skip);
  }

  /** Runs {@code tile} unless {@code skip} holds ({@code skip} null: always). */
  final void unlessSkipped(@Nullable Expr skip, Runnable tile) {
    if (skip == null) {
      tile.run();
    } else {
      ln.ifThen(skip.not(), tile);
    }
  }

  /**
   * The logit of query row {@code i} and key {@code j} after the score slot, and whether the key is visible
   * (below {@code kEnd}, causal, the mask slot). Slots see the query on the key axis ({@link Slots}).
   */
  final Expr[] scored(Expr logit, Var bb, Var hh, Expr i, Expr j, Expr kEnd) {
    Var iv = te.var("i", DType.INT64);
    // rows past n (padding of a query block, never stored) read the slots at the last row: no read out of bounds
    Expr pos = te.minimum(i, n.minus(c64(1))).plus(m).minus(n);
    Expr s = logit;
    if (slots.scoreMod() != null) {
      s = te.substitute(slots.scoreMod().apply(s, bb, hh, iv, asVar(j)), iv, pos);
    }
    Expr visible = j.lt(kEnd);
    if (spec.getCausal() == Causal.BOTTOM_RIGHT) {
      visible = visible.and(j.le(pos));
    }
    if (slots.maskMod() != null) {
      visible = visible.and(te.substitute(slots.maskMod().apply(bb, hh, iv, asVar(j)), iv, pos));
    }
    return new Expr[] {s, visible};
  }

  private static Var asVar(Expr j) {
    if (j instanceof Var var) {
      return var;
    }
    throw new IllegalArgumentException("key index: expected a variable, got " + j);
  }
}
