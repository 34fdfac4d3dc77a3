package org.attn4j.bench.peers;

import org.attn4j.reference.Rotary;
import org.jspecify.annotations.Nullable;

/**
 * How a peer expresses an attention variant with what it has: its plain attention call plus, where needed, an
 * additive float bias, rotary embeddings of q and k, a blend of the values, or a logit soft-cap. Each peer decides
 * which parts it can run inside its timed call and which it precomputes in {@link AttentionPeer#setInputs} (outside
 * the timing), and says so in its {@link AttentionPeer#getNote()}; a peer that cannot express a part throws
 * {@link IllegalArgumentException} from its constructor (reported as "no composition").
 *
 * @param variant the variant's id, for notes
 * @param bias an additive float bias {@code [biasBatch, biasHeads, n, m]} (row-major), or null. When present it
 *     already holds the causal mask ({@code -inf} above the right-aligned diagonal), so the peer must not also set
 *     its own causal flag. It is built once, before any call: always precomputed outside the timing.
 * @param biasBatch {@code 1} (broadcast over the batch) or {@code b}
 * @param biasHeads {@code 1} (broadcast over the heads) or {@code h}
 * @param rotary the rotary embedding applied to q (at {@code queryPositions}) and k (at {@code keyPositions}), or null
 * @param queryPositions {@code [n]}, when {@code rotary} is set
 * @param keyPositions {@code [m]}, when {@code rotary} is set
 * @param firstValues the value residual's {@code v1 [b, h, m, d]}, or null: the values become
 *     {@code v1 + mix (v - v1)}
 * @param mix the value residual's per-token mix {@code [b, h, m]}, with {@code firstValues}
 * @param softCap the logit soft-cap {@code c} ({@code c tanh(s / c)} after scaling, before the mask), or NaN
 */
public record Composition(String variant, float @Nullable [] bias, int biasBatch, int biasHeads,
    @Nullable Rotary rotary, float @Nullable [] queryPositions, float @Nullable [] keyPositions,
    float @Nullable [] firstValues, float @Nullable [] mix, double softCap) {

  /** The core: nothing added. */
  public static final Composition CORE = new Composition("core", null, 1, 1, null, null, null, null, null,
      Double.NaN);

  /** {@return whether nothing is added to the plain call} */
  public boolean isCore() {
    return bias == null && rotary == null && firstValues == null && Double.isNaN(softCap);
  }

  /** {@return whether the logits are soft-capped} */
  public boolean hasSoftCap() {
    return !Double.isNaN(softCap);
  }

  /** Rotates {@code q [b, h, n, d]} as the oracle does (a new array). */
  public float[] rotateQueries(float[] q, int b, int h, int n, int d) {
    return rotary == null ? q : rotary.rotate(q, b, h, n, d, queryPositions);
  }

  /** Rotates {@code k [b, h, m, d]} as the oracle does (a new array). */
  public float[] rotateKeys(float[] k, int b, int h, int m, int d) {
    return rotary == null ? k : rotary.rotate(k, b, h, m, d, keyPositions);
  }

  /** {@return {@code v1 + mix (v - v1)} in float, or {@code v} itself without a value residual} */
  public float[] blendValues(float[] v, int d) {
    if (firstValues == null || mix == null) {
      return v;
    }
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      float v1 = firstValues[i];
      out[i] = v1 + mix[i / d] * (v[i] - v1);
    }
    return out;
  }

  /**
   * The rotary tables for an in-graph rotation {@code x cos + swap(x) sin}, where {@code swap} exchanges the two
   * elements of each interleaved pair: {@code cos [rows, d]} and {@code sin [rows, d]} (with the sign of the
   * pair's first element folded in), identity ({@code cos = 1, sin = 0}) on the dims past the rotary dim.
   *
   * @return {@code {cos, sin}}
   * @throws IllegalArgumentException if the layout is not interleaved
   */
  public float[][] rotaryTables(float[] positions, int d) {
    if (rotary == null) {
      throw new IllegalStateException("no rotary");
    }
    if (rotary.getLayout() != Rotary.Layout.INTERLEAVED) {
      throw new IllegalArgumentException("rotary tables: only the interleaved layout is encoded");
    }
    int rows = positions.length;
    float[] cos = new float[rows * d];
    float[] sin = new float[rows * d];
    java.util.Arrays.fill(cos, 1f);
    for (int t = 0; t < rows; t++) {
      for (int k = 0; k < rotary.getDim() / 2; k++) {
        double phi = rotary.angle(positions[t], k);
        float c = (float) Math.cos(phi);
        float s = (float) Math.sin(phi);
        cos[t * d + 2 * k] = c;
        cos[t * d + 2 * k + 1] = c;
        sin[t * d + 2 * k] = -s;
        sin[t * d + 2 * k + 1] = s;
      }
    }
    return new float[][] {cos, sin};
  }
}
