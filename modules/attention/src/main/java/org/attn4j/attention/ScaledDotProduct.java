package org.attn4j.attention;

import static org.attn4j.attention.AttentionStages.ACC;
import static org.attn4j.attention.AttentionStages.COPE_POS;
import static org.attn4j.attention.AttentionStages.COPE_Z;
import static org.attn4j.attention.AttentionStages.EXP;
import static org.attn4j.attention.AttentionStages.K_ROPE;
import static org.attn4j.attention.AttentionStages.LSE;
import static org.attn4j.attention.AttentionStages.MAX;
import static org.attn4j.attention.AttentionStages.MEM_ACC;
import static org.attn4j.attention.AttentionStages.MEM_EXP;
import static org.attn4j.attention.AttentionStages.MEM_MAX;
import static org.attn4j.attention.AttentionStages.MEM_SCORES;
import static org.attn4j.attention.AttentionStages.MEM_SUM;
import static org.attn4j.attention.AttentionStages.OUT;
import static org.attn4j.attention.AttentionStages.Q_ROPE;
import static org.attn4j.attention.AttentionStages.SCORES;
import static org.attn4j.attention.AttentionStages.SUM;

import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.IterVar;
import org.attn4j.te.Te;
import org.attn4j.te.Tensor;
import org.attn4j.te.Var;
import org.jspecify.annotations.Nullable;

/**
 * The core attention (VARIANTS.md §0) as a tensor expression:
 * {@code o_i = Σ_j softmax_j(τ·q_i·k_j | visible) v_j}, with right-aligned causal masking, key-padding
 * lengths, grouped-query heads (both mappings), an optional log-sum-exp output, and rows with no visible key
 * giving 0. Softmax and accumulation are in float32 whatever the input type. Stage names:
 * {@link AttentionStages}.
 */
public final class ScaledDotProduct {
  private ScaledDotProduct() {}

  /** The core with empty slots. */
  public static AttentionGraph define(Te te, AttentionSpec spec) {
    return define(te, spec, Slots.none());
  }

  /** The core with the variant's {@code slots} filled in (slots that capture no tensor). */
  public static AttentionGraph define(Te te, AttentionSpec spec, Slots slots) {
    return define(te, Variant.of(spec, ctx -> slots));
  }

  /**
   * The core with the variant's modifiers: their captured tensors become inputs after
   * {@code q, k, v, [key_lengths]} ({@link AttentionGraph#getArguments()}).
   *
   * @throws IllegalArgumentException if a modifier's parameters or captures are invalid, or the spec asks for
   *     the lse of sigmoid attention
   */
  public static AttentionGraph define(Te te, Variant variant) {
    AttentionSpec spec = variant.getSpec();
    DType t = spec.getDtype();
    Var b = te.sizeVar("b");
    Var n = te.sizeVar("n");
    Var m = te.sizeVar("m");
    Tensor q = te.placeholder("q", t, b, spec.getHeads(), n, spec.getHeadDim());
    Tensor k = te.placeholder("k", t, b, spec.getKvHeads(), m, spec.getHeadDim());
    Tensor v = te.placeholder("v", t, b, spec.getKvHeads(), m, spec.getHeadDim());
    return define(te, variant, b, n, m, q, k, v);
  }

  /**
   * The core reading {@code q, k, v} that the caller made, e.g. compute stages of a layer's projections
   * ({@link AttentionLayer}), with the same stage names as {@link #define(Te, Variant)}. Self-attention passes the
   * same variable as {@code n} and {@code m}. The returned graph's {@link AttentionGraph#getArguments()} lists
   * {@code q, k, v} as given, so a caller whose q/k/v are not inputs builds its own argument list.
   *
   * @param b the batch size
   * @param n the query length
   * @param m the key length ({@code n} itself for self-attention)
   * @param q {@code [b, h, n, d]} of the spec's dtype
   * @param k {@code [b, h_kv, m, d]}
   * @param v {@code [b, h_kv, m, d]}
   * @throws IllegalArgumentException as {@link #define(Te, Variant)}, or if q/k/v have another dtype or rank
   */
  public static AttentionGraph define(Te te, Variant variant, Var b, Var n, Var m, Tensor q, Tensor k, Tensor v) {
    return define(te, variant, b, n, m, q, k, v, java.util.Map.of());
  }

  /**
   * {@link #define(Te, Variant, Var, Var, Var, Tensor, Tensor, Tensor)} where the caller computes some of the
   * tensors that the modifiers capture: a capture named in {@code provided} reads that tensor (e.g. a layer's
   * {@code forget_cumsum} stage) instead of becoming a kernel input, and is not listed in
   * {@link AttentionGraph#captured()}. Each provided tensor must have the captured dtype and shape (the same
   * {@code b}, {@code n}, {@code m} variables) and must be read by some modifier.
   *
   * @throws IllegalArgumentException as the other overload, if a provided tensor's dtype or shape differs from
   *     the capture's, or if no modifier captures a provided name
   */
  public static AttentionGraph define(Te te, Variant variant, Var b, Var n, Var m, Tensor q, Tensor k, Tensor v,
      java.util.Map<String, Tensor> provided) {
    AttentionSpec spec = variant.getSpec();
    int h = spec.getHeads();
    int hKv = spec.getKvHeads();
    int d = spec.getHeadDim();
    DType t = spec.getDtype();
    DType acc = DType.FLOAT32;
    for (Tensor x : new Tensor[] {q, k, v}) {
      if (x.getDtype() != t || x.getRank() != 4) {
        throw new IllegalArgumentException(x.getName() + ": expected a rank-4 " + t + " tensor, got rank "
            + x.getRank() + " " + x.getDtype());
      }
    }
    @Nullable Tensor lens = spec.hasKeyLengths() ? te.placeholder("key_lengths", DType.INT32, b) : null;
    Modifier.Context ctx = new Modifier.Context(te, spec, b, n, m, provided);
    Slots slots = variant.define(ctx);
    for (String name : provided.keySet()) {
      if (!ctx.getSupplied().contains(name)) {
        throw new IllegalArgumentException("provided " + name + ": expected a modifier of " + variant.getName()
            + " to capture it, got none that does");
      }
    }
    Normalizer norm = slots.normalizer();
    Normalizer.@Nullable Sigmoid sigmoid = norm instanceof Normalizer.Sigmoid sg ? sg : null;
    if (sigmoid != null && spec.hasLse()) {
      throw new IllegalArgumentException("lse: not defined for sigmoid attention, expected lse(false) with "
          + variant.getName());
    }

    Expr hE = te.i32(h);
    Expr dE = te.i32(d);
    // (0) q/k prologue: rotary (the generic form materialises the rotated q and k; loop nests rotate on load)
    Rotation rot = slots.rotation();
    Tensor qr = q;
    Tensor kr = k;
    if (rot != null) {
      // TIR's exact sin/cos here (te.sinCos let-binds its argument, which TE's region analysis cannot see into)
      qr = te.compute(Q_ROPE, "attn", new Expr[] {b, hE, n, dE}, (bb, hh, i, cc) -> {
        Expr phi = rot.elementAngle(te, rot.queryPosition(te, bb, i, n, m), cc);
        return rot.rotate(te, x -> q.get(bb, hh, i, x), cc, te.sin(phi), te.cos(phi));
      });
      kr = te.compute(K_ROPE, "attn", new Expr[] {b, te.i32(hKv), m, dE}, (bb, hh, j, cc) -> {
        Expr phi = rot.elementAngle(te, rot.keyPosition(te, bb, j), cc);
        return rot.rotate(te, x -> k.get(bb, hh, j, x), cc, te.sin(phi), te.cos(phi));
      });
    }
    Tensor qs = qr;
    Tensor ks = kr;
    // (1) scores
    IterVar c = te.reduceAxis("c", d);
    Tensor s = te.compute(SCORES, "attn", new Expr[] {b, hE, n, m}, (bb, hh, i, j) -> {
      Expr kv = kvHead(te, spec, hh);
      Var cv = c.getVar();
      Expr prod = qs.get(bb, hh, i, cv).cast(acc).times(ks.get(bb, kv, j, cv).cast(acc));
      Expr exempt = rot == null ? null : rot.exempt(te, i.plus(m.minus(n)), j);
      if (exempt != null) {
        // PAIRWISE_EXEMPT: the raw product where the query or the key is special
        prod = te.select(exempt, q.get(bb, hh, i, cv).cast(acc).times(k.get(bb, kv, j, cv).cast(acc)), prod);
      }
      return te.sum(prod, c);
    });
    double tau = spec.getScale();
    // the scale and score terms are applied where scores are read, so the reduction stays a pure dot product
    Index4 scored = (bb, hh, i, j) -> {
      Expr x = s.get(bb, hh, i, j).times(tau);
      return slots.scoreMod() != null ? onKeyAxis(te, m, n, i, p -> slots.scoreMod().apply(x, bb, hh, p, j)) : x;
    };
    Mask visible = (bb, hh, i, j) -> visible(te, spec, slots, lens, n, m, bb, hh, i, j);
    Index4 logit;
    Cope cope = slots.cope();
    if (cope != null) {
      // (1b) row scan, CoPE: z_ip = q'_i·E_p (rotated, unscaled q), p_ij = min(Σ_{t >= j} g_it, P - 1) as a
      // reduction over t (O(n m²): this compute is the correctness baseline, the flash schedules scan the row)
      Tensor table = cope.table();
      IterVar cz = te.reduceAxis("c", d);
      Tensor z = te.compute(COPE_Z, "attn", new Expr[] {b, hE, n, te.i32(cope.maxPos())}, (bb, hh, i, pp) ->
          te.sum(qs.get(bb, hh, i, cz.getVar()).cast(acc).times(table.get(pp, cz.getVar())), cz));
      IterVar tg = te.reduceAxis("t", m);
      Tensor pos = te.compute(COPE_POS, "attn", new Expr[] {b, hE, n, m}, (bb, hh, i, j) -> {
        Var t2 = tg.getVar();
        Expr g = cope.gate(te, scored.apply(bb, hh, i, t2), visible.apply(bb, hh, i, t2));
        return te.sum(te.select(t2.ge(j), g, te.f32(0)), tg);
      });
      logit = (bb, hh, i, j) -> scored.apply(bb, hh, i, j).plus(cope.term(te,
          cope.position(te, pos.get(bb, hh, i, j)), DType.INT32, pp -> z.get(bb, hh, i, pp)));
    } else {
      logit = scored;
    }
    // learned memory keys: their own stages, combined with the keys' max, sum and accumulator
    Slots.Memory mem = slots.memory();
    boolean hasMem = mem != null;
    @Nullable Tensor memS = null;
    if (mem != null) {
      IterVar cm = te.reduceAxis("c", d);
      memS = te.compute(MEM_SCORES, "attn", new Expr[] {b, hE, n, te.i32(mem.count())}, (bb, hh, i, jj) -> {
        Var cv = cm.getVar();
        Expr qv = qs.get(bb, hh, i, cv);
        Expr exempt = rot == null ? null : rot.exempt(te, i.plus(m.minus(n)), te.i32(Integer.MAX_VALUE));
        if (exempt != null) {
          // a special query (PAIRWISE_EXEMPT) meets the (unrotated) memory keys with its raw vector
          qv = te.select(exempt, q.get(bb, hh, i, cv), qv);
        }
        return te.sum(qv.cast(acc).times(mem.keys().get(kvHead(te, spec, hh), jj, cv).cast(acc)), cm);
      });
    }
    Tensor memScores = memS;

    // (2) row max over visible keys (not for sigmoid)
    IterVar jm = te.reduceAxis("j", m);
    // masked logits also become the lowest value in the body: the reduction's condition alone let masked logits
    // into the generic CPU schedule's max, harmless while they are ordinary scores (softmax is shift-invariant) but
    // not when a score term makes them large (FoX's F_i - F_j > 0 above the diagonal: every weight underflowed)
    @Nullable Tensor mx = sigmoid != null ? null : te.compute(hasMem ? MAX + "_keys" : MAX, "attn",
        new Expr[] {b, hE, n}, (bb, hh, i) ->
        te.max(te.select(visible.apply(bb, hh, i, jm.getVar()), logit.apply(bb, hh, i, jm.getVar()), te.lowest(acc)),
            visible.apply(bb, hh, i, jm.getVar()), jm));
    if (mem != null && mx != null) {
      IterVar jmm = te.reduceAxis("jm", mem.count());
      Tensor memMax = te.compute(MEM_MAX, "attn", new Expr[] {b, hE, n}, (bb, hh, i) ->
          te.max(memScores.get(bb, hh, i, jmm.getVar()).times(tau), jmm));
      Tensor keysMax = mx;
      mx = te.compute(MAX, "attn", new Expr[] {b, hE, n}, (bb, hh, i) ->
          te.maximum(keysMax.get(bb, hh, i), memMax.get(bb, hh, i)));
    }
    Tensor mxF = mx;
    // (3) p = exp(s - max) (sigmoid: sigmoid(s + β)), 0 where masked
    Tensor p = te.compute(EXP, "attn", new Expr[] {b, hE, n, m}, (bb, hh, i, j) ->
        te.select(visible.apply(bb, hh, i, j), sigmoid != null ? sigmoid.weight(logit.apply(bb, hh, i, j))
            : te.exp(logit.apply(bb, hh, i, j).minus(mxF.get(bb, hh, i))), te.f32(0)));
    @Nullable Tensor memP = mem == null ? null : te.compute(MEM_EXP, "attn",
        new Expr[] {b, hE, n, te.i32(mem.count())}, (bb, hh, i, jj) -> {
          Expr x = memScores.get(bb, hh, i, jj).times(tau);
          return sigmoid != null ? sigmoid.weight(x) : te.exp(x.minus(mxF.get(bb, hh, i)));
        });
    // (4) row sum (not for sigmoid)
    IterVar js = te.reduceAxis("j", m);
    @Nullable Tensor l = sigmoid != null ? null : te.compute(hasMem ? SUM + "_keys" : SUM, "attn",
        new Expr[] {b, hE, n}, (bb, hh, i) -> te.sum(p.get(bb, hh, i, js.getVar()), js));
    if (mem != null && l != null) {
      IterVar jms = te.reduceAxis("jm", mem.count());
      Tensor memSum = te.compute(MEM_SUM, "attn", new Expr[] {b, hE, n}, (bb, hh, i) ->
          te.sum(memP.get(bb, hh, i, jms.getVar()), jms));
      Tensor keysSum = l;
      l = te.compute(SUM, "attn", new Expr[] {b, hE, n}, (bb, hh, i) ->
          keysSum.get(bb, hh, i).plus(memSum.get(bb, hh, i)));
    }
    Tensor lF = l;
    // (5) aggregate
    IterVar ja = te.reduceAxis("j", m);
    Slots.ValueMix mix = slots.valueMix();
    Tensor a = te.compute(hasMem ? ACC + "_keys" : ACC, "attn", new Expr[] {b, hE, n, dE}, (bb, hh, i, cc) -> {
      Expr kv = kvHead(te, spec, hh);
      Expr val = v.get(bb, kv, ja.getVar(), cc).cast(acc);
      if (mix != null) {
        val = mix.apply(val, bb, kv, ja.getVar(), cc);
      }
      return te.sum(p.get(bb, hh, i, ja.getVar()).times(val), ja);
    });
    if (mem != null) {
      IterVar jma = te.reduceAxis("jm", mem.count());
      Tensor memAcc = te.compute(MEM_ACC, "attn", new Expr[] {b, hE, n, dE}, (bb, hh, i, cc) ->
          te.sum(memP.get(bb, hh, i, jma.getVar()).times(mem.values().get(kvHead(te, spec, hh), jma.getVar(), cc)
              .cast(acc)), jma));
      Tensor keysAcc = a;
      a = te.compute(ACC, "attn", new Expr[] {b, hE, n, dE}, (bb, hh, i, cc) ->
          keysAcc.get(bb, hh, i, cc).plus(memAcc.get(bb, hh, i, cc)));
    }
    Tensor aF = a;
    // (6) normalise, zero empty rows
    Tensor o = te.compute(OUT, "attn", new Expr[] {b, hE, n, dE}, (bb, hh, i, cc) -> (sigmoid != null
        ? aF.get(bb, hh, i, cc) : norm.output(aF.get(bb, hh, i, cc), mxF.get(bb, hh, i), lF.get(bb, hh, i), hh))
        .cast(t));
    // (7) optional log-sum-exp
    @Nullable Tensor lse = null;
    if (spec.hasLse()) {
      lse = te.compute(LSE, "attn", new Expr[] {b, hE, n}, (bb, hh, i) ->
          norm.lse(mxF.get(bb, hh, i), lF.get(bb, hh, i), hh));
    }
    return new AttentionGraph(spec, b, n, m, q, k, v, lens, ctx.getCaptured(), o, lse, slots);
  }

  private static Expr kvHead(Te te, AttentionSpec spec, Var hh) {
    int h = spec.getHeads();
    int hKv = spec.getKvHeads();
    if (h == hKv) {
      return hh;
    }
    return spec.getHeadMapping() == HeadMapping.TILED ? hh.rem(hKv) : hh.div(te.i32(h / hKv));
  }

  private static Expr visible(Te te, AttentionSpec spec, Slots slots, @Nullable Tensor lens, Var n, Var m,
      Var bb, Var hh, Var i, Var j) {
    Expr ok = te.constant(1, DType.BOOL);
    if (spec.getCausal() == Causal.BOTTOM_RIGHT) {
      ok = j.le(i.plus(m.minus(n)));
    }
    if (lens != null) {
      ok = ok.and(j.lt(lens.get(bb)));
    }
    if (slots.maskMod() != null) {
      ok = ok.and(onKeyAxis(te, m, n, i, p -> slots.maskMod().apply(bb, hh, p, j)));
    }
    return ok;
  }

  /**
   * {@code slot(p)} with {@code p = i + (m - n)}: slots see the query's position on the key axis (right-aligned
   * like the causal mask), see {@link Slots}.
   */
  static Expr onKeyAxis(Te te, Expr m, Expr n, Var i, java.util.function.Function<Var, Expr> slot) {
    // substituted, not let-bound: TE's read-region analysis of captured tensors cannot see through a Let
    Var p = te.var("i_pos", i.getDtype());
    return te.substitute(slot.apply(p), p, i.plus(m.minus(n)));
  }

  @FunctionalInterface
  private interface Index4 {
    Expr apply(Var b, Var h, Var i, Var j);
  }

  @FunctionalInterface
  private interface Mask {
    Expr apply(Var b, Var h, Var i, Var j);
  }
}
