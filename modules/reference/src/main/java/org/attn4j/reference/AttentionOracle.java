package org.attn4j.reference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.attn4j.reference.CoreAttentionOracle.Options;
import org.jspecify.annotations.Nullable;

/**
 * The oracle of every attention variant ({@code VARIANTS.md} sections 0 to 7), organised by the kernel template's
 * slots (section 8) and accumulated in {@code double}. A {@link Spec} makes one choice per slot:
 * <ol>
 *   <li>q/k prologue: {@link Rotary} with {@link RotaryPositions} and {@link SpecialTokens};</li>
 *   <li>v prologue: {@link ValueResidual};</li>
 *   <li>pointwise score terms: {@link ScoreMod}s ({@link Gallery}'s ALiBi and T5 bias, {@link Forgetting}, your
 *       own), then the soft-cap {@code c tanh(s / c)};</li>
 *   <li>masks: the causal mask, the key lengths, {@link MaskMod}s, and {@link MemoryKv}'s always-visible prefix;</li>
 *   <li>row scans: {@link Cope};</li>
 *   <li>normaliser: {@link Normalizer} (softmax, sinks / softmax+1, sigmoid);</li>
 *   <li>epilogue: the log-sum-exp output, and zeros for rows with no visible key.</li>
 * </ol>
 * For batch row {@code bi}, query head {@code hh} reading kv head {@code hk}, query {@code row} at key-axis position
 * {@code i = row + (m - n)}, with {@code q', k'} after the prologue and the keys {@code [memory (M) | k (m)]}:
 * <pre>
 *   s_ij  = τ q'_i · k'_j                          (scale; a PAIRWISE_EXEMPT special pair uses the raw q, k)
 *   s_ij  = mod_r(... mod_1(s_ij, bi, hh, i, j))   (score terms, in the order added; not for memory keys)
 *   s_ij  = c tanh(s_ij / c)                       (soft-cap, when set; memory keys too)
 *   V(i)  = memory keys + {j : j < len_bi, causal(i, j), every mask mod}
 *   s_ij += c_ij                                   (CoPE row scan, when set)
 *   P_ij  = normaliser(s_i., V(i)),   out_i = sum_{j in V(i)} P_ij v'_j,   lse_i (softmax kinds)
 *   V(i) empty: out_i = 0, lse_i = -Infinity
 * </pre>
 * Order of operations, as {@code VARIANTS.md} requires: scale, score terms, soft-cap, masks, CoPE, normaliser,
 * aggregate, zero empty rows. Layouts as {@link CoreAttentionOracle}: {@code q, out [b, h, n, d]}, {@code k, v
 * [b, h_kv, m, d]}, {@code lse [b, h, n]}, row-major BHSD.
 *
 * <p>Example: rotary self-attention with a causal sliding window and a sink per head.
 * <pre>{@code
 * Options o = Options.builder().shape(1, 4, 2, 16, 16, 32).causal(Causal.BOTTOM_RIGHT).build();
 * AttentionOracle.Spec spec = AttentionOracle.Spec.builder(o)
 *     .rotary(Rotary.halfOf(32))
 *     .maskMod(Gallery.slidingWindow(8, 0))
 *     .normalizer(Normalizer.sinks(new float[] {0, 0.5f, 1, -1}))
 *     .build();
 * float[] out = AttentionOracle.run(spec, q, k, v);
 * }</pre>
 */
public final class AttentionOracle {
  private AttentionOracle() {}

  /**
   * Computes the attention into caller-supplied arrays. Borrows every array; writes only {@code out} and
   * {@code lse}, and nothing if a check fails.
   *
   * @param spec what to compute
   * @param q queries {@code [b, h, n, d]}
   * @param k keys {@code [b, h_kv, m, d]}, not rotated
   * @param v values {@code [b, h_kv, m, d]}
   * @param out receives {@code [b, h, n, d]}; must not be an input
   * @param lse receives the log-sum-exp {@code [b, h, n]}, or {@code null}; must be null for a sigmoid normaliser
   * @throws IllegalArgumentException if an array has the wrong length or aliases another, or {@code lse} is asked
   *     of a sigmoid normaliser
   */
  public static void run(Spec spec, float[] q, float[] k, float[] v, float[] out, float @Nullable [] lse) {
    Options o = checkInputs(spec, q, k, v);
    Checks.outputs(o, out, lse, q, k, v);
    if (lse != null) {
      if (!spec.normalizer.hasLse()) {
        throw new IllegalArgumentException("lse: not defined for the " + spec.normalizer.getKind()
            + " normaliser, expected null");
      }
    }
    Prologue pro = new Prologue(spec, q, k, v);
    int d = o.getD();
    int width = pro.width;
    double[] s = new double[width];
    boolean[] visible = new boolean[width];
    double[] p = new double[width];
    double[] acc = new double[d];
    for (int bi = 0; bi < o.getB(); bi++) {
      for (int hh = 0; hh < o.getH(); hh++) {
        for (int row = 0; row < o.getN(); row++) {
          int outRow = (bi * o.getH() + hh) * o.getN() + row;
          if (!pro.scores(bi, hh, row, s, visible)) {
            // (7) epilogue: a row with no visible key gives zeros, and the log of an empty sum.
            Arrays.fill(out, outRow * d, outRow * d + d, 0f);
            if (lse != null) {
              lse[outRow] = Float.NEGATIVE_INFINITY;
            }
            continue;
          }
          // (6) normaliser, then aggregate.
          double rowLse = spec.normalizer.weights(s, visible, width, hh, p);
          Arrays.fill(acc, 0);
          for (int j = 0; j < width; j++) {
            if (visible[j]) {
              pro.addValue(bi, o.kvHead(hh), j, p[j], acc);
            }
          }
          for (int c = 0; c < d; c++) {
            out[outRow * d + c] = (float) acc[c];
          }
          if (lse != null) {
            lse[outRow] = (float) rowLse;
          }
        }
      }
    }
  }

  /**
   * Computes the attention and returns a new output; no lse. Equivalent to
   * {@code run(spec, q, k, v, new float[b*h*n*d], null)}.
   *
   * @param spec what to compute
   * @param q queries {@code [b, h, n, d]}
   * @param k keys {@code [b, h_kv, m, d]}
   * @param v values {@code [b, h_kv, m, d]}
   * @return the output {@code [b, h, n, d]}, owned by the caller
   */
  public static float[] run(Spec spec, float[] q, float[] k, float[] v) {
    float[] out = new float[Objects.requireNonNull(spec, "spec").options.getQSize()];
    run(spec, q, k, v, out, null);
    return out;
  }

  /**
   * The final logits, the normaliser's input: after scale, score terms, soft-cap, masks and CoPE, with
   * {@code -Infinity} for a masked key (the {@code attn.scores} stage, for tests and debugging). Borrows the arrays.
   *
   * @param spec what to compute
   * @param q queries {@code [b, h, n, d]}
   * @param k keys {@code [b, h_kv, m, d]}
   * @return {@code [b, h, n, M + m]}, memory keys first, owned by the caller
   */
  public static double[] scores(Spec spec, float[] q, float[] k) {
    Options o = checkInputs(spec, q, k, k);
    Prologue pro = new Prologue(spec, q, k, k);
    int width = pro.width;
    double[] all = new double[o.getLseSize() * width];
    double[] s = new double[width];
    boolean[] visible = new boolean[width];
    for (int bi = 0; bi < o.getB(); bi++) {
      for (int hh = 0; hh < o.getH(); hh++) {
        for (int row = 0; row < o.getN(); row++) {
          pro.scores(bi, hh, row, s, visible);
          int base = ((bi * o.getH() + hh) * o.getN() + row) * width;
          for (int j = 0; j < width; j++) {
            all[base + j] = visible[j] ? s[j] : Double.NEGATIVE_INFINITY;
          }
        }
      }
    }
    return all;
  }

  private static Options checkInputs(Spec spec, float[] q, float[] k, float[] v) {
    Options o = Objects.requireNonNull(spec, "spec").options;
    Checks.length("q", "b*h*n*d", o.getQSize(), q);
    Checks.length("k", "b*h_kv*m*d", o.getKvSize(), k);
    Checks.length("v", "b*h_kv*m*d", o.getKvSize(), v);
    return o;
  }

  /** The inputs after slots (1) and (2), and the per-row score computation of slots (3) to (5). */
  private static final class Prologue {
    private final Spec spec;
    private final Options o;
    private final float[] q;
    private final float[] k;
    private final float[] qr;
    private final float[] kr;
    private final float[] v;
    private final int memory;
    final int width;

    Prologue(Spec spec, float[] q, float[] k, float[] v) {
      this.spec = spec;
      this.o = spec.options;
      this.q = q;
      this.k = k;
      // (1) q/k prologue: rotary at each row's position; NaN marks a row left unrotated.
      int n = o.getN();
      int m = o.getM();
      Rotary rotary = spec.rotary;
      RotaryPositions positions = spec.positions;
      SpecialTokens special = spec.specialTokens;
      if (rotary == null || positions == null) {
        this.qr = q;
        this.kr = k;
      } else {
        this.qr = rotary.rotate(q, o.getB(), o.getH(), n, o.getD(),
            (bi, row) -> position(special, row + (m - n), positions.query(bi, row, n, m)));
        this.kr = rotary.rotate(k, o.getB(), o.getHKv(), m, o.getD(),
            (bi, j) -> position(special, j, positions.key(bi, j, m)));
      }
      // (2) v prologue: value residual.
      this.v = spec.valueResidual == null ? v : spec.valueResidual.blend(v, o.getD());
      this.memory = spec.memoryKv == null ? 0 : spec.memoryKv.getCount();
      this.width = memory + m;
    }

    private static float position(@Nullable SpecialTokens special, long t, float position) {
      return special == null ? position : special.rotatedPosition(t, position);
    }

    /**
     * Writes the final logits of one query row into {@code s} and their visibility into {@code visible}
     * (memory keys first); returns whether any key is visible.
     */
    boolean scores(int bi, int hh, int row, double[] s, boolean[] visible) {
      int n = o.getN();
      int m = o.getM();
      int d = o.getD();
      int hk = o.kvHead(hh);
      int i = row + (m - n);
      int qOffset = ((bi * o.getH() + hh) * n + row) * d;
      SpecialTokens special = spec.specialTokens;
      boolean exempt = special != null && special.getMode() == SpecialTokens.Mode.PAIRWISE_EXEMPT;
      boolean specialQuery = exempt && special.isSpecial(i);
      float[] query = specialQuery ? q : qr;
      boolean any = false;
      for (int jj = 0; jj < width; jj++) {
        double score;
        if (jj < memory) {
          // (4) memory keys: always visible, unrotated, no score term.
          score = o.getScale() * Checks.dot(query, qOffset, spec.memoryKv.keys(), (hk * memory + jj) * d, d);
        } else {
          int j = jj - memory;
          visible[jj] = isVisible(bi, hh, row, i, j);
          if (!visible[jj]) {
            continue;
          }
          boolean raw = specialQuery || exempt && special.isSpecial(j);
          int kOffset = ((bi * o.getHKv() + hk) * m + j) * d;
          score = o.getScale() * Checks.dot(raw ? q : qr, qOffset, raw ? k : kr, kOffset, d);
          // (3) pointwise score terms, in the order given.
          for (ScoreMod mod : spec.scoreMods) {
            score = mod.apply(score, bi, hh, i, j);
          }
        }
        if (!Double.isNaN(spec.softCap)) {
          score = Gallery.softCap(score, spec.softCap);
        }
        s[jj] = score;
        visible[jj] = true;
        any = true;
      }
      // (5) row scan.
      if (any && spec.cope != null) {
        spec.cope.addTerms(s, visible, width, qr, qOffset);
      }
      return any;
    }

    /** (4) masks: the key length, the causal mask and every mask mod must allow key {@code j}. */
    private boolean isVisible(int bi, int hh, int row, int i, int j) {
      if (j >= o.getKeyLength(bi) || !o.getCausal().isVisible(row, j, o.getN(), o.getM())) {
        return false;
      }
      for (MaskMod mask : spec.maskMods) {
        if (!mask.isVisible(bi, hh, i, j)) {
          return false;
        }
      }
      return true;
    }

    /** {@code acc += p * value row jj} (memory values first). */
    void addValue(int bi, int hk, int jj, double p, double[] acc) {
      int d = o.getD();
      float[] values = jj < memory ? spec.memoryKv.values() : v;
      int offset = jj < memory ? (hk * memory + jj) * d : ((bi * o.getHKv() + hk) * o.getM() + jj - memory) * d;
      for (int c = 0; c < d; c++) {
        acc[c] += p * values[offset + c];
      }
    }
  }

  /**
   * What {@link AttentionOracle} computes: the core's {@link Options} plus one choice per template slot. Immutable;
   * build one with {@link #builder(Options)}, derive one with {@link #toBuilder()}.
   */
  public static final class Spec {
    private final Options options;
    private final AttentionKind kind;
    private final @Nullable Rotary rotary;
    private final @Nullable RotaryPositions positions;
    private final @Nullable SpecialTokens specialTokens;
    private final @Nullable MemoryKv memoryKv;
    private final @Nullable ValueResidual valueResidual;
    private final List<ScoreMod> scoreMods;
    private final double softCap;
    private final List<MaskMod> maskMods;
    private final @Nullable Cope cope;
    private final Normalizer normalizer;

    private Spec(Builder b) {
      this.options = b.options;
      this.kind = b.kind;
      this.rotary = b.rotary;
      this.positions = b.positions;
      this.specialTokens = b.specialTokens;
      this.memoryKv = b.memoryKv;
      this.valueResidual = b.valueResidual;
      this.scoreMods = List.copyOf(b.scoreMods);
      this.softCap = b.softCap;
      this.maskMods = List.copyOf(b.maskMods);
      this.cope = b.cope;
      this.normalizer = b.normalizer;
    }

    /**
     * A new builder over the core options, with every slot at its default: SELF attention, no rotary, no value
     * residual, no score term, no soft-cap, no mask mod, no memory, no CoPE, softmax.
     *
     * @param options the dimensions, scale, causal mask, key lengths and head mapping
     * @return a new builder
     */
    public static Builder builder(Options options) {
      return new Builder(Objects.requireNonNull(options, "options"));
    }

    /** {@return a new builder holding this spec's choices} */
    public Builder toBuilder() {
      Builder b = new Builder(options);
      b.kind = kind;
      b.rotary = rotary;
      b.positions = positions;
      b.specialTokens = specialTokens;
      b.memoryKv = memoryKv;
      b.valueResidual = valueResidual;
      b.scoreMods.addAll(scoreMods);
      b.softCap = softCap;
      b.maskMods.addAll(maskMods);
      b.cope = cope;
      b.normalizer = normalizer;
      return b;
    }

    /** {@return the core options} */
    public Options getOptions() {
      return options;
    }

    /** {@return self- or cross-attention} */
    public AttentionKind getKind() {
      return kind;
    }

    /** {@return the normaliser} */
    public Normalizer getNormalizer() {
      return normalizer;
    }

    /** {@return the number of memory keys {@code M} (0 without memory)} */
    public int getMemoryCount() {
      return memoryKv == null ? 0 : memoryKv.getCount();
    }

    /** Builds a {@link Spec}; every setter replaces the slot's previous choice, except the two list slots. */
    public static final class Builder {
      private Options options;
      private AttentionKind kind = AttentionKind.SELF;
      private @Nullable Rotary rotary;
      private @Nullable RotaryPositions positions;
      private @Nullable SpecialTokens specialTokens;
      private @Nullable MemoryKv memoryKv;
      private @Nullable ValueResidual valueResidual;
      private final List<ScoreMod> scoreMods = new ArrayList<>();
      private double softCap = Double.NaN;
      private final List<MaskMod> maskMods = new ArrayList<>();
      private @Nullable Cope cope;
      private Normalizer normalizer = Normalizer.softmax();

      private Builder(Options options) {
        this.options = options;
      }

      /** {@return this builder} @param options replaces the core options */
      public Builder options(Options options) {
        this.options = Objects.requireNonNull(options, "options");
        return this;
      }

      /** {@return this builder} @param kind self- (default) or cross-attention */
      public Builder kind(AttentionKind kind) {
        this.kind = Objects.requireNonNull(kind, "kind");
        return this;
      }

      /**
       * Rotary with the default self-attention positions. Equivalent to
       * {@code rotary(rotary, RotaryPositions.defaults())}.
       *
       * @param rotary the rotary, or {@code null} for none
       * @return this builder
       */
      public Builder rotary(@Nullable Rotary rotary) {
        return rotary(rotary, RotaryPositions.defaults());
      }

      /**
       * Slot (1): rotary applied to q and k (never v) at these positions.
       *
       * @param rotary the rotary, or {@code null} for none
       * @param positions the positions
       * @return this builder
       */
      public Builder rotary(@Nullable Rotary rotary, RotaryPositions positions) {
        this.rotary = rotary;
        this.positions = rotary == null ? null : Objects.requireNonNull(positions, "positions");
        return this;
      }

      /** {@return this builder} @param specialTokens how rotary treats the first S tokens, or {@code null} */
      public Builder specialTokens(@Nullable SpecialTokens specialTokens) {
        this.specialTokens = specialTokens;
        return this;
      }

      /** {@return this builder} @param memoryKv learned memory key/values, or {@code null} */
      public Builder memoryKv(@Nullable MemoryKv memoryKv) {
        this.memoryKv = memoryKv;
        return this;
      }

      /** {@return this builder} @param valueResidual slot (2), or {@code null} */
      public Builder valueResidual(@Nullable ValueResidual valueResidual) {
        this.valueResidual = valueResidual;
        return this;
      }

      /** {@return this builder} @param mod slot (3): a score term applied after the ones already added */
      public Builder scoreMod(ScoreMod mod) {
        scoreMods.add(Objects.requireNonNull(mod, "mod"));
        return this;
      }

      /** {@return this builder} @param cap the logit soft-cap {@code c > 0}, applied after the score terms */
      public Builder softCap(double cap) {
        if (!(cap > 0) || Double.isInfinite(cap)) {
          throw new IllegalArgumentException("softCap = " + cap + ": expected a finite value > 0");
        }
        this.softCap = cap;
        return this;
      }

      /** {@return this builder} @param mask slot (4): a mask ANDed with the others */
      public Builder maskMod(MaskMod mask) {
        maskMods.add(Objects.requireNonNull(mask, "mask"));
        return this;
      }

      /** {@return this builder} @param cope slot (5): the CoPE row scan, or {@code null} */
      public Builder cope(@Nullable Cope cope) {
        this.cope = cope;
        return this;
      }

      /** {@return this builder} @param normalizer slot (6) (default softmax) */
      public Builder normalizer(Normalizer normalizer) {
        this.normalizer = Objects.requireNonNull(normalizer, "normalizer");
        return this;
      }

      /**
       * Checks every combination and builds the spec.
       *
       * @return the spec
       * @throws IllegalArgumentException naming the slot at fault: rotary dim above {@code d}, positions of the
       *     wrong kind or length, special tokens without rotary or in cross-attention, CoPE without the causal
       *     mask, a captured tensor whose shape does not fit, ...
       */
      public Spec build() {
        if (rotary != null && positions != null) {
          rotary.checkHeadDim(options.getD());
          positions.check(options, kind);
        }
        if (specialTokens != null) {
          if (rotary == null) {
            throw new IllegalArgumentException("special tokens: expected a rotary (they only change how rotary"
                + " applies), got none");
          }
          specialTokens.check(options, kind);
        }
        if (memoryKv != null) {
          memoryKv.check(options);
        }
        if (valueResidual != null) {
          valueResidual.check(options);
        }
        for (Object mod : concat(scoreMods, maskMods)) {
          if (mod instanceof ShapeCheck) {
            ((ShapeCheck) mod).check(options, kind);
          }
        }
        if (cope != null) {
          cope.check(options);
        }
        normalizer.check(options);
        return new Spec(this);
      }

      private static List<Object> concat(List<?> a, List<?> b) {
        List<Object> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
      }
    }
  }
}
