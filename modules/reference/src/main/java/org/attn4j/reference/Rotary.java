package org.attn4j.reference;

import java.util.Objects;

/**
 * Rotary position embedding (RoPE, {@code VARIANTS.md} section 1): the q/k prologue that rotates pairs of the first
 * {@code r} dims of every query and key row by angles proportional to the row's position. Immutable.
 *
 * <p>With rotary dim {@code r} (even, {@code 2 <= r <= d}), base {@code B}, NTK factor {@code γ} and interpolation
 * factor {@code ι >= 1}, for {@code k = 0 .. r/2 - 1} and a (possibly fractional) position {@code t}:
 * <pre>
 *   B'      = B * γ^(r / (r - 2))                       (NTK-aware base rescale; γ = 1 leaves B)
 *   ω_k     = 1 / B'^(2k / r)
 *   φ_{t,k} = t * ω_k / ι
 *   INTERLEAVED pairs (x_2k, x_2k+1), ROTATE_HALF pairs (x_k, x_{k + r/2}); for a pair (a, b):
 *   a' = a cos φ - b sin φ,   b' = b cos φ + a sin φ;   dims c >= r pass through unchanged.
 * </pre>
 * As in x-transformers, {@code ω_k} and {@code φ} are computed in fp32 in that order (the kernel does the same, so
 * the two agree at large positions, where an fp32 angle is off by up to half an ulp of {@code t ω_k}); the rotation
 * itself is computed in double. Checked against x-transformers' {@code RotaryEmbedding} ({@code inv_freq = 1 /
 * base ** (arange(0, dim, 2) / dim)}, {@code base *= base_rescale_factor ** (dim / (dim - 2))}, {@code freqs =
 * t * inv_freq / interpolation_factor} stacked {@code (freqs, freqs)} per pair) and {@code apply_rotary_pos_emb}
 * with its {@code rotate_half}, which pairs interleaved dims {@code (x_2k, x_2k+1) -> (-x_2k+1, x_2k)} and rotates
 * only the first {@code rot_dim} dims. x-transformers' default is {@code r = d / 2} ({@code rotary_emb_dim =
 * dim_head // 2}): see {@link #halfOf(int)}.
 *
 * <p>Example: {@code float[] qr = Rotary.halfOf(64).rotate(q, b, h, n, 64, positions);}
 */
public final class Rotary {
  /** How the rotated dims are paired. */
  public enum Layout {
    /** x-transformers' (and GPT-J's, Meta LLaMA's) pairs {@code (x_2k, x_2k+1)}; attn4j's default. */
    INTERLEAVED,
    /** GPT-NeoX's (and Hugging Face LLaMA's) "rotate half": pairs {@code (x_k, x_{k + r/2})}. */
    ROTATE_HALF
  }

  /** x-transformers' default base. */
  public static final double DEFAULT_BASE = 10000;

  private final int dim;
  private final Layout layout;
  private final double base;
  private final double ntkFactor;
  private final double interpolation;
  private final float[] inverseFrequencies;

  private Rotary(int dim, Layout layout, double base, double ntkFactor, double interpolation) {
    if (dim < 2 || dim % 2 != 0) {
      throw new IllegalArgumentException("rotary dim r = " + dim + ": expected an even number >= 2");
    }
    if (!(base > 1) || Double.isInfinite(base)) {
      throw new IllegalArgumentException("rotary base = " + base + ": expected a finite value > 1");
    }
    if (!(ntkFactor > 0) || Double.isInfinite(ntkFactor)) {
      throw new IllegalArgumentException("rotary NTK factor γ = " + ntkFactor + ": expected a finite value > 0");
    }
    if (ntkFactor != 1 && dim == 2) {
      throw new IllegalArgumentException("rotary NTK factor γ = " + ntkFactor
          + ": expected γ = 1 with r = 2 (the exponent r / (r - 2) is undefined)");
    }
    if (!(interpolation >= 1) || Double.isInfinite(interpolation)) {
      throw new IllegalArgumentException("rotary interpolation ι = " + interpolation + ": expected a finite value >= 1");
    }
    this.dim = dim;
    this.layout = Objects.requireNonNull(layout, "layout");
    this.base = base;
    this.ntkFactor = ntkFactor;
    this.interpolation = interpolation;
    float rescaled = (float) (base * (ntkFactor == 1 ? 1 : Math.pow(ntkFactor, dim / (dim - 2.0))));
    this.inverseFrequencies = new float[dim / 2];
    for (int k = 0; k < dim / 2; k++) {
      inverseFrequencies[k] = 1f / (float) Math.pow(rescaled, (float) (2 * k) / dim);
    }
  }

  /**
   * Rotary on the first {@code r} dims with x-transformers' defaults: {@link Layout#INTERLEAVED}, base 10000, no NTK
   * rescale, no interpolation.
   *
   * @param r the rotary dim, even and {@code >= 2}
   * @return the rotary
   * @throws IllegalArgumentException if {@code r} is odd or below 2
   */
  public static Rotary of(int r) {
    return new Rotary(r, Layout.INTERLEAVED, DEFAULT_BASE, 1, 1);
  }

  /**
   * x-transformers' default rotary for head dim {@code d}: {@code r = d / 2}. Equivalent to {@code of(d / 2)}.
   *
   * @param d the head dim, a multiple of 4
   * @return the rotary
   * @throws IllegalArgumentException if {@code d / 2} is odd or below 2
   */
  public static Rotary halfOf(int d) {
    return of(d / 2);
  }

  /** {@return a copy with this pairing layout} @param layout the layout */
  public Rotary withLayout(Layout layout) {
    return new Rotary(dim, layout, base, ntkFactor, interpolation);
  }

  /** {@return a copy with this base (default 10000)} @param base a finite value > 1 */
  public Rotary withBase(double base) {
    return new Rotary(dim, layout, base, ntkFactor, interpolation);
  }

  /**
   * {@return a copy with the NTK-aware base rescale {@code B' = B γ^(r/(r-2))} (x-transformers'
   * {@code rotary_base_rescale_factor})} @param gamma a finite value > 0; must be 1 when {@code r = 2}
   */
  public Rotary withNtkFactor(double gamma) {
    return new Rotary(dim, layout, base, gamma, interpolation);
  }

  /**
   * {@return a copy with position interpolation: angles divided by {@code ι} (x-transformers'
   * {@code rotary_interpolation_factor})} @param iota a finite value >= 1
   */
  public Rotary withInterpolation(double iota) {
    return new Rotary(dim, layout, base, ntkFactor, iota);
  }

  /** {@return the rotary dim {@code r}} */
  public int getDim() {
    return dim;
  }

  /** {@return the pairing layout} */
  public Layout getLayout() {
    return layout;
  }

  /** {@return the base {@code B}, before the NTK rescale} */
  public double getBase() {
    return base;
  }

  /** {@return the NTK factor {@code γ}} */
  public double getNtkFactor() {
    return ntkFactor;
  }

  /** {@return the interpolation factor {@code ι}} */
  public double getInterpolation() {
    return interpolation;
  }

  /**
   * The angle {@code φ_{t,k} = t ω_k / ι}, rounded to fp32 as x-transformers computes it.
   *
   * @param position the position {@code t}
   * @param k the pair index, in {@code [0, r/2)}
   * @return the angle in radians
   */
  public float angle(float position, int k) {
    if (k < 0 || k >= dim / 2) {
      throw new IllegalArgumentException("k = " + k + " is outside [0, r/2 = " + dim / 2 + ")");
    }
    return position * inverseFrequencies[k] / (float) interpolation;
  }

  /**
   * Rotates every row of a {@code [b, heads, rows, d]} tensor (q or k) by its position; returns a new array.
   * Borrows {@code x} and {@code positions}.
   *
   * @param x the tensor {@code [b, heads, rows, d]}
   * @param b batch size
   * @param heads heads ({@code h} for q, {@code h_kv} for k)
   * @param rows rows ({@code n} for q, {@code m} for k)
   * @param d head dim, {@code >= r}
   * @param positions {@code [rows]} shared by the batch, or {@code [b, rows]}
   * @return the rotated tensor, owned by the caller
   * @throws IllegalArgumentException if {@code d < r} or a length does not match
   */
  public float[] rotate(float[] x, int b, int heads, int rows, int d, float[] positions) {
    checkHeadDim(d);
    Checks.length("x", "b*heads*rows*d", (long) b * heads * rows * d, x);
    checkPositions("positions", positions, b, rows);
    return rotate(x, b, heads, rows, d, (bi, row) -> position(positions, bi, row, rows));
  }

  /** The position of a row, or NaN to leave the row unrotated. */
  @FunctionalInterface
  interface RowPosition {
    float of(int bi, int row);
  }

  /** Rotates every row of {@code x [b, heads, rows, d]} by its position into a new array, skipping NaN positions. */
  float[] rotate(float[] x, int b, int heads, int rows, int d, RowPosition positions) {
    float[] out = x.clone();
    for (int bi = 0; bi < b; bi++) {
      for (int hh = 0; hh < heads; hh++) {
        for (int row = 0; row < rows; row++) {
          float position = positions.of(bi, row);
          if (!Float.isNaN(position)) {
            rotateRow(out, ((bi * heads + hh) * rows + row) * d, position);
          }
        }
      }
    }
    return out;
  }

  /** Rotates {@code x[offset .. offset + r)} in place by the angle of {@code position}. */
  void rotateRow(float[] x, int offset, float position) {
    int half = dim / 2;
    for (int k = 0; k < half; k++) {
      int first = offset + (layout == Layout.INTERLEAVED ? 2 * k : k);
      int second = offset + (layout == Layout.INTERLEAVED ? 2 * k + 1 : k + half);
      double phi = angle(position, k);
      double cos = Math.cos(phi);
      double sin = Math.sin(phi);
      double a = x[first];
      double c = x[second];
      x[first] = (float) (a * cos - c * sin);
      x[second] = (float) (c * cos + a * sin);
    }
  }

  void checkHeadDim(int d) {
    if (dim > d) {
      throw new IllegalArgumentException("rotary dim r = " + dim + ": expected r <= d = " + d);
    }
  }

  /** Checks that {@code positions} is {@code [rows]} or {@code [b, rows]}. */
  static void checkPositions(String name, float[] positions, int b, int rows) {
    Objects.requireNonNull(positions, name);
    if (positions.length != rows && positions.length != (long) b * rows) {
      throw new IllegalArgumentException(name + ": expected [" + rows + "] or [b, " + rows + "] = "
          + (long) b * rows + " floats, got " + positions.length);
    }
  }

  /** The position of {@code row} in batch row {@code bi}, from a {@code [rows]} or {@code [b, rows]} array. */
  static float position(float[] positions, int bi, int row, int rows) {
    return positions.length == rows ? positions[row] : positions[bi * rows + row];
  }
}
