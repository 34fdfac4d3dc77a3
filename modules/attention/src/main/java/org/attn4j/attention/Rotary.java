package org.attn4j.attention;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Rotary position embedding parameters (RoPE, VARIANTS.md §1), x-transformers' {@code RotaryEmbedding}. Immutable.
 *
 * <p>With rotary dim {@code r} (even, {@code 2 <= r <= d}), base {@code B}, NTK factor {@code γ} and interpolation
 * {@code ι >= 1}, for the pairs {@code k = 0 .. r/2 - 1} of a row at (float) position {@code t}:
 * <pre>
 *   B' = B·γ^(r/(r-2)),   ω_k = 1 / B'^(2k/r),   φ = (t·ω_k) / ι          (all fp32, in that order)
 *   INTERLEAVED pairs (x_2k, x_2k+1), ROTATE_HALF pairs (x_k, x_k+r/2); a pair (a, b) becomes
 *   (a cos φ - b sin φ, b cos φ + a sin φ); dims c >= r pass through.
 * </pre>
 * Rotation applies to q and k (never v), on load: no rotated copy of q or k is written to memory. x-transformers'
 * default is {@code r = d/2} ({@link #halfOf}), interleaved, base 10000.
 */
public final class Rotary {
  /** How the rotated dims are paired. */
  public enum Layout {
    /** Pairs {@code (x_2k, x_2k+1)}: x-transformers, GPT-J, Meta's LLaMA. The default. */
    INTERLEAVED,
    /** Pairs {@code (x_k, x_k+r/2)}: GPT-NeoX's and Hugging Face LLaMA's "rotate half". */
    ROTATE_HALF
  }

  /** x-transformers' base. */
  public static final double DEFAULT_BASE = 10000;

  private final int dim;
  private final Layout layout;
  private final double base;
  private final double ntkFactor;
  private final double interpolation;

  private Rotary(int dim, Layout layout, double base, double ntkFactor, double interpolation) {
    if (dim < 2 || dim % 2 != 0) {
      throw new IllegalArgumentException("rotary dim: expected an even r >= 2, got " + dim);
    }
    if (!(base > 1) || Double.isInfinite(base)) {
      throw new IllegalArgumentException("rotary base: expected a finite B > 1, got " + base);
    }
    if (!(ntkFactor > 0) || Double.isInfinite(ntkFactor) || (ntkFactor != 1 && dim == 2)) {
      throw new IllegalArgumentException("rotary NTK factor: expected a finite γ > 0 (and γ = 1 when r = 2), got "
          + ntkFactor + " with r = " + dim);
    }
    if (!(interpolation >= 1) || Double.isInfinite(interpolation)) {
      throw new IllegalArgumentException("rotary interpolation: expected a finite ι >= 1, got " + interpolation);
    }
    this.dim = dim;
    this.layout = Objects.requireNonNull(layout, "layout");
    this.base = base;
    this.ntkFactor = ntkFactor;
    this.interpolation = interpolation;
  }

  /**
   * Rotary over the first {@code r} dims, x-transformers' defaults otherwise (interleaved, base 10000, γ = ι = 1).
   *
   * @throws IllegalArgumentException if {@code r} is odd or below 2
   */
  public static Rotary of(int r) {
    return new Rotary(r, Layout.INTERLEAVED, DEFAULT_BASE, 1, 1);
  }

  /** x-transformers' default for head dim {@code d}: {@code r = d/2} ({@code rotary_emb_dim = dim_head // 2}). */
  public static Rotary halfOf(int d) {
    return of(d / 2);
  }

  /** A copy with this pairing. */
  public Rotary withLayout(Layout v) {
    return new Rotary(dim, v, base, ntkFactor, interpolation);
  }

  /** A copy with base {@code B} (default 10000). */
  public Rotary withBase(double v) {
    return new Rotary(dim, layout, v, ntkFactor, interpolation);
  }

  /** A copy with the NTK-aware rescale {@code γ} ({@code rotary_base_rescale_factor}). */
  public Rotary withNtkFactor(double v) {
    return new Rotary(dim, layout, base, v, interpolation);
  }

  /** A copy with position interpolation {@code ι} ({@code rotary_interpolation_factor}). */
  public Rotary withInterpolation(double v) {
    return new Rotary(dim, layout, base, ntkFactor, v);
  }

  /** The rotary dim {@code r}. */
  public int getDim() {
    return dim;
  }

  /** The pairing. */
  public Layout getLayout() {
    return layout;
  }

  /** The base {@code B} (before the NTK rescale). */
  public double getBase() {
    return base;
  }

  /** The NTK factor {@code γ}. */
  public double getNtkFactor() {
    return ntkFactor;
  }

  /** The interpolation factor {@code ι}. */
  public double getInterpolation() {
    return interpolation;
  }

  /** The fp32 frequencies {@code ω_k}, {@code k < r/2}, rounded as x-transformers computes them. */
  public float[] inverseFrequencies() {
    float rescaled = (float) (ntkFactor == 1 ? base : base * Math.pow(ntkFactor, dim / (dim - 2.0)));
    float[] w = new float[dim / 2];
    for (int k = 0; k < w.length; k++) {
      w[k] = 1f / (float) Math.pow(rescaled, (float) (2 * k) / dim);
    }
    return w;
  }

  /** Pair index of dim {@code c < r}. */
  public int pairOf(int c) {
    return layout == Layout.INTERLEAVED ? c / 2 : c % (dim / 2);
  }

  /** The other dim of {@code c}'s pair ({@code c < r}). */
  public int partnerOf(int c) {
    return layout == Layout.INTERLEAVED ? c ^ 1 : c < dim / 2 ? c + dim / 2 : c - dim / 2;
  }

  /** Whether {@code c} is the first of its pair (it takes {@code -b sin φ}). */
  public boolean isFirstOfPair(int c) {
    return layout == Layout.INTERLEAVED ? c % 2 == 0 : c < dim / 2;
  }

  /** A short name, e.g. {@code rope32}, {@code rope32h_b500000_ntk2_i4}. */
  public String getName() {
    return "rope" + dim + (layout == Layout.ROTATE_HALF ? "h" : "")
        + (base != DEFAULT_BASE ? "_b" + fmt(base) : "") + (ntkFactor != 1 ? "_ntk" + fmt(ntkFactor) : "")
        + (interpolation != 1 ? "_i" + fmt(interpolation) : "");
  }

  /** The parameters, as recorded in the manifest. */
  public Map<String, Object> getParameters() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("dim", dim);
    p.put("layout", layout.name());
    p.put("base", base);
    p.put("ntkFactor", ntkFactor);
    p.put("interpolation", interpolation);
    return p;
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v).replace('.', 'p');
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Rotary r && r.getParameters().equals(getParameters());
  }

  @Override
  public int hashCode() {
    return getParameters().hashCode();
  }

  @Override
  public String toString() {
    return "Rotary[" + getName() + "]";
  }
}
