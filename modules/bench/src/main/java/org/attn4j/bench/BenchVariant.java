package org.attn4j.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.ForgetDirection;
import org.attn4j.attention.ForgetGate;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.RotaryPositions;
import org.attn4j.attention.Variant;
import org.attn4j.bench.peers.Composition;
import org.attn4j.reference.AttentionKind;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.Causal;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.Forgetting;
import org.attn4j.reference.Gallery;
import org.attn4j.reference.MaskMod;
import org.attn4j.reference.Rotary;
import org.attn4j.reference.ScoreMod;
import org.attn4j.reference.TestData;
import org.attn4j.reference.ValueResidual;
import org.jspecify.annotations.Nullable;

/**
 * The attention variants {@link BenchMain} can time (VARIANTS.md), by the id used on the command line and in
 * reports. Each maps, for one shape, to three things built from the same captured inputs: the attn4j
 * {@link Variant} and its captures (cpu-flash, the default schedule), the oracle's spec ({@link AttentionOracle})
 * the results are checked against, and the peers' {@link Composition} (the same math with what a peer has).
 *
 * <p>The captured inputs are fixed, seeded data: ALiBi's slopes {@code 2^(-8(h+1)/H)}; rotary on the first
 * {@code d/2} dims, interleaved, base 10000, at positions {@code 0..n-1} (rotary-cross: fractional query
 * positions {@code 2i + u + 1} and context positions {@code 2j + u}, {@code u} uniform in {@code [0, 3)}); FoX's
 * data-dependent log gates at FoX's initialisation ({@code fox}: {@code -2/256 ≈ logsigmoid(4.85)} everywhere, no
 * key tile is negligible) or decaying ({@code fox-decay}: uniform in {@code [-1, -0.1]}, multiples of
 * {@code 2^-8}, so that whole key tiles are skipped), cumulated on the host into {@code F} (outside the timing, as
 * a layer would); the value residual's per-token mix uniform in {@code [0, 1]} and {@code v1} uniform in
 * {@code [-1, 1]}; soft-cap {@code c = 1} (small enough to bend logits of inputs in {@code [-1, 1]}); sliding
 * window (256 left, 0 right) when causal, (128, 128) otherwise.
 */
public enum BenchVariant {
  /** The core attention. */
  CORE("core"),
  /** ALiBi, {@code s - slope_h |i - j|}. */
  ALIBI("alibi"),
  /** Rotary on q and k, self-attention positions {@code 0..n-1}. */
  ROTARY("rotary"),
  /** Rotary in cross-attention: queries and keys at their own (fractional) positions. */
  ROTARY_CROSS("rotary-cross"),
  /** Forgetting attention, data-dependent gates at FoX's initialisation; causal only. */
  FOX("fox"),
  /** Forgetting attention with decaying gates (the flash schedules skip negligible key tiles); causal only. */
  FOX_DECAY("fox-decay"),
  /** The per-token value residual {@code v1 + λ (v - v1)}. */
  VALUE_RESIDUAL("value-residual"),
  /** The logit soft-cap {@code c tanh(s / c)}. */
  SOFTCAP("softcap"),
  /** A sliding window. */
  WINDOW("window");

  /** The soft-cap used by {@link #SOFTCAP}. */
  static final double SOFT_CAP = 1;

  private final String id;

  BenchVariant(String id) {
    this.id = id;
  }

  /** {@return the id, e.g. {@code "rotary-cross"}} */
  public String getId() {
    return id;
  }

  /**
   * The variant with this id.
   *
   * @throws IllegalArgumentException listing the ids
   */
  public static BenchVariant parse(String id) {
    String want = id.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    for (BenchVariant v : values()) {
      if (v.id.equals(want) || v.id.replace("-", "").equals(want)) {
        return v;
      }
    }
    throw new IllegalArgumentException("variant: expected one of "
        + Arrays.stream(values()).map(BenchVariant::getId).toList() + ", got '" + id + "'");
  }

  /**
   * One variant on one shape: what attn4j runs, what the oracle computes, what the peers compose.
   *
   * @param variant which
   * @param attn4j the attn4j variant (its spec from the shape)
   * @param captures attn4j's captured inputs, in capture order
   * @param oracle the oracle's spec for the same math on the same captured inputs
   * @param composition the peers' composition
   * @param note what the variant's inputs are, for the report
   */
  public record Case(BenchVariant variant, Variant attn4j, List<float[]> captures, AttentionOracle.Spec oracle,
      Composition composition, String note) {}

  /**
   * Builds the case for a shape.
   *
   * @throws IllegalArgumentException if the variant does not apply to the shape (FoX is causal only)
   */
  public Case setup(Shape s) {
    int b = s.b();
    int h = s.h();
    int n = s.n();
    int m = s.m();
    int d = s.d();
    boolean causal = s.causal();
    AttentionSpec.Builder spec = AttentionSpec.builder().heads(h).headDim(d)
        .causal(causal ? org.attn4j.attention.Causal.BOTTOM_RIGHT : org.attn4j.attention.Causal.NONE);
    CoreAttentionOracle.Options options = CoreAttentionOracle.Options.builder().shape(b, h, h, n, m, d)
        .causal(causal ? Causal.BOTTOM_RIGHT : Causal.NONE).build();
    AttentionOracle.Spec.Builder oracle = AttentionOracle.Spec.builder(options);
    switch (this) {
      case CORE -> {
        return new Case(this, Variant.of(spec.build()), List.of(), oracle.build(), Composition.CORE, "");
      }
      case ALIBI -> {
        float[] slopes = Modifiers.alibiSlopes(h);
        ScoreMod mod = Gallery.alibi(widen(slopes));
        return new Case(this, Variant.of(spec.build(), Modifiers.alibi()), List.of(slopes),
            oracle.scoreMod(mod).build(), biasComposition(id, s, mod, null, 1, h), "slopes 2^(-8(h+1)/H)");
      }
      case ROTARY, ROTARY_CROSS -> {
        boolean cross = this == ROTARY_CROSS;
        Rotary rotary = Rotary.halfOf(d);
        float[] qPos = new float[n];
        float[] kPos = new float[m];
        List<float[]> captures = new ArrayList<>();
        org.attn4j.reference.RotaryPositions positions;
        if (cross) {
          qPos = positions(14, n, 1);
          kPos = positions(15, m, 0);
          captures.add(qPos);
          captures.add(kPos);
          positions = org.attn4j.reference.RotaryPositions.cross(qPos, kPos);
        } else {
          for (int j = 0; j < m; j++) {
            kPos[j] = j;
          }
          for (int i = 0; i < n; i++) {
            qPos[i] = i + (m - n); // the queries take the last n positions
          }
          positions = org.attn4j.reference.RotaryPositions.defaults();
        }
        Variant v = Variant.of(spec.cross(cross).build(), Modifiers.rotary(
            org.attn4j.attention.Rotary.halfOf(d), cross ? RotaryPositions.cross(false) : RotaryPositions.arange()));
        oracle.kind(cross ? AttentionKind.CROSS : AttentionKind.SELF).rotary(rotary, positions);
        Composition c = new Composition(id, causal ? causalBias(s) : null, 1, 1, rotary, qPos, kPos, null, null,
            Double.NaN);
        return new Case(this, v, captures, oracle.build(), c, "r = d/2 interleaved, base 10000, "
            + (cross ? "fractional query and context positions" : "positions 0..n-1"));
      }
      case FOX, FOX_DECAY -> {
        if (!causal) {
          throw new IllegalArgumentException(id + ": forgetting attention is causal here (the bidirectional form "
              + "is not wired into the bench)");
        }
        float[] gates = this == FOX ? filled(b * h * m, -2f / 256) : quantized(TestData.uniform(5, b * h * m, -1,
            -0.1f));
        ScoreMod mod = Forgetting.fromLogGates(gates, b, h);
        return new Case(this, Variant.of(spec.build(), Modifiers.forgetting(ForgetGate.DATA_DEPENDENT,
            ForgetDirection.FORWARD)), List.of(Modifiers.forgetCumsum(gates, b, h)), oracle.scoreMod(mod).build(),
            biasComposition(id, s, mod, null, b, h), this == FOX ? "log gates -2/256 (~FoX init, no tile negligible)"
                : "log gates uniform in [-1, -0.1] (key tiles skipped under log ε)");
      }
      case VALUE_RESIDUAL -> {
        float[] v1 = TestData.uniform(31, b * h * m * d, -1, 1);
        float[] mix = TestData.uniform(32, b * h * m, 0, 1);
        Composition c = new Composition(id, causal ? causalBias(s) : null, 1, 1, null, null, null, v1, mix,
            Double.NaN);
        return new Case(this, Variant.of(spec.build(), Modifiers.valueResidualPerToken()), List.of(v1, mix),
            oracle.valueResidual(ValueResidual.perToken(v1, mix)).build(), c, "per-token mix [b, h, m]");
      }
      case SOFTCAP -> {
        Composition c = new Composition(id, causal ? causalBias(s) : null, 1, 1, null, null, null, null, null,
            SOFT_CAP);
        return new Case(this, Variant.of(spec.build(), Modifiers.softCap(SOFT_CAP)), List.of(),
            oracle.softCap(SOFT_CAP).build(), c, "c = " + SOFT_CAP);
      }
      case WINDOW -> {
        int left = causal ? 256 : 128;
        int right = causal ? 0 : 128;
        MaskMod mask = Gallery.slidingWindow(left, right);
        return new Case(this, Variant.of(spec.build(), Modifiers.slidingWindow(left, right)), List.of(),
            oracle.maskMod(mask).build(), biasComposition(id, s, null, mask, 1, 1),
            "window " + left + " left, " + right + " right");
      }
      default -> throw new AssertionError(this);
    }
  }

  /**
   * A composition whose only part is an additive bias {@code [biasBatch, biasHeads, n, m]}: the score term's
   * value at {@code s = 0} (it must be additive), {@code -inf} where the mask or the causal mask hides the key.
   * Query row {@code r} is at position {@code i = r + m - n} on the key axis (right-aligned), as in the oracle.
   */
  static Composition biasComposition(String id, Shape s, @Nullable ScoreMod mod, @Nullable MaskMod mask, int biasBatch,
      int biasHeads) {
    int n = s.n();
    int m = s.m();
    float[] bias = new float[biasBatch * biasHeads * n * m];
    for (int bi = 0; bi < biasBatch; bi++) {
      for (int hh = 0; hh < biasHeads; hh++) {
        int base = (bi * biasHeads + hh) * n * m;
        for (int row = 0; row < n; row++) {
          int i = row + (m - n); // the query's position on the key axis, as the oracle passes it to the mods
          for (int j = 0; j < m; j++) {
            boolean visible = (!s.causal() || j <= i) && (mask == null || mask.isVisible(bi, hh, i, j));
            bias[base + row * m + j] = !visible ? Float.NEGATIVE_INFINITY
                : mod == null ? 0f : (float) mod.apply(0, bi, hh, i, j);
          }
        }
      }
    }
    return new Composition(id, bias, biasBatch, biasHeads, null, null, null, null, null, Double.NaN);
  }

  /** The right-aligned causal mask as a float bias {@code [1, 1, n, m]}. */
  static float[] causalBias(Shape s) {
    return biasComposition("causal", s, null, null, 1, 1).bias();
  }

  private static float[] positions(int seed, int len, float offset) {
    float[] p = TestData.uniform(seed, len, 0, 3);
    for (int i = 0; i < p.length; i++) {
      p[i] += offset + 2 * i;
    }
    return p;
  }

  private static float[] filled(int count, float value) {
    float[] f = new float[count];
    Arrays.fill(f, value);
    return f;
  }

  /** Rounds to multiples of {@code 2^-8}, so that the cumulative sums are exact in float32. */
  private static float[] quantized(float[] a) {
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.round(a[i] * 256f) / 256f;
    }
    return a;
  }

  private static double[] widen(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
