package org.attn4j.reference;

import java.util.Objects;

/**
 * The score and mask modifiers FlexAttention users know ({@code VARIANTS.md} section 7), ready to pass to
 * {@link AttentionOracle.Spec.Builder#scoreMod(ScoreMod)} and {@link AttentionOracle.Spec.Builder#maskMod(MaskMod)}.
 * Indices follow {@link ScoreMod}: {@code i} is the query's key-axis position, {@code row + (m - n)}. The other
 * gallery entries are slots of their own: the logit soft-cap ({@link AttentionOracle.Spec.Builder#softCap(double)}),
 * learned sinks, softmax+1 and sigmoid attention ({@link Normalizer}), the LSE output ({@link AttentionOracle}).
 *
 * <p>Example: {@code Spec.builder(o).scoreMod(Gallery.alibi(h)).maskMod(Gallery.slidingWindow(256, 0)).build()}.
 */
public final class Gallery {
  private Gallery() {}

  /**
   * ALiBi slopes exactly as x-transformers' {@code AlibiPositionalBias._get_slopes}: for a power of two
   * {@code H}, {@code slope_h = 2^(-8 (h + 1) / H)}; otherwise the slopes of the closest lower power of two
   * {@code P}, then every other slope of {@code 2P} until there are {@code H}.
   *
   * @param heads {@code H >= 1}
   * @return the slopes {@code [H]}
   */
  public static double[] alibiSlopes(int heads) {
    if (heads < 1) {
      throw new IllegalArgumentException("heads = " + heads + ": expected >= 1");
    }
    int power = Integer.highestOneBit(heads);
    double[] slopes = new double[heads];
    for (int hh = 0; hh < heads; hh++) {
      slopes[hh] = hh < power ? Math.pow(2, -8.0 * (hh + 1) / power)
          : Math.pow(2, -8.0 * (2 * (hh - power) + 1) / (2 * power));
    }
    return slopes;
  }

  /**
   * ALiBi with {@link #alibiSlopes(int)}: {@code s - slope_h |i - j|} (x-transformers' symmetric form; the causal
   * mask hides {@code j > i}).
   *
   * @param heads the query heads {@code h}
   * @return the score term
   */
  public static ScoreMod alibi(int heads) {
    return alibi(alibiSlopes(heads));
  }

  /**
   * ALiBi with given slopes: {@code s - slopes[h] |i - j|}. Copies the array.
   *
   * @param slopes {@code [h]}
   * @return the score term
   */
  public static ScoreMod alibi(double[] slopes) {
    double[] copy = Objects.requireNonNull(slopes, "slopes").clone();
    return new Checked() {
      @Override
      public double apply(double s, int b, int h, int i, int j) {
        return s - copy[h] * Math.abs((double) i - j);
      }

      @Override
      public void check(CoreAttentionOracle.Options o, AttentionKind kind) {
        Checks.equal("alibi slopes", "h", o.getH(), copy.length);
      }
    };
  }

  /**
   * The logit soft-cap {@code c tanh(s / c)} (Gemma 2, x-transformers' {@code softclamp}).
   *
   * @param s the logit
   * @param cap {@code c > 0}
   * @return the capped logit
   */
  public static double softCap(double s, double cap) {
    return cap * Math.tanh(s / cap);
  }

  /**
   * A sliding window: key {@code j} is visible iff {@code i - left <= j <= i + right}. x-transformers'
   * {@code max_attend_past = L} with a causal mask is {@code slidingWindow(L, 0)}.
   *
   * @param left keys before the query, {@code >= 0}
   * @param right keys after the query, {@code >= 0}
   * @return the mask
   */
  public static MaskMod slidingWindow(int left, int right) {
    if (left < 0 || right < 0) {
      throw new IllegalArgumentException("sliding window: expected left >= 0 and right >= 0, got left = " + left
          + ", right = " + right);
    }
    return (b, h, i, j) -> (long) i - left <= j && j <= (long) i + right;
  }

  /**
   * Packed sequences: a key is visible iff it belongs to the query's document. Self-attention; a query outside the
   * key axis ({@code n > m}) sees nothing. Copies the array.
   *
   * @param documentIds the document of every token {@code [b, m]}
   * @param m the number of keys
   * @return the mask
   */
  public static MaskMod documents(int[] documentIds, int m) {
    int[] ids = Objects.requireNonNull(documentIds, "documentIds").clone();
    return new CheckedMask() {
      @Override
      public boolean isVisible(int b, int h, int i, int j) {
        return i >= 0 && i < m && ids[b * m + i] == ids[b * m + j];
      }

      @Override
      public void check(CoreAttentionOracle.Options o, AttentionKind kind) {
        if (kind != AttentionKind.SELF) {
          throw new IllegalArgumentException("documents: expected SELF attention, got " + kind);
        }
        Checks.equal("documents", "m", o.getM(), m);
        Checks.equal("documents", "b*m ids", o.getB() * o.getM(), ids.length);
      }
    };
  }

  /**
   * Prefix-LM: the first {@code prefix} keys are visible to every query, the rest causally ({@code j <= i ||
   * j < prefix}). Use it with {@link Causal#NONE}: it replaces the causal mask. As x-transformers'
   * {@code PrefixDecoder} ({@code ~triu(1) | arange(n) < prefix_attn_len}).
   *
   * @param prefix the prefix length, {@code >= 0}
   * @return the mask
   */
  public static MaskMod prefixLm(int prefix) {
    if (prefix < 0) {
      throw new IllegalArgumentException("prefix = " + prefix + ": expected >= 0");
    }
    return (b, h, i, j) -> j <= i || j < prefix;
  }

  /**
   * The T5 relative-position bucket, exactly as x-transformers' {@code RelativePositionBias._relative_position_bucket}
   * (and Mesh TensorFlow's T5), with the logarithm in fp32 as there. With {@code n = i - j} (the query's distance
   * back to the key): {@link Causal#NONE} (bidirectional) halves the buckets, puts keys after the query
   * ({@code n < 0}) in the upper half and uses {@code |n|}; {@link Causal#BOTTOM_RIGHT} uses {@code max(n, 0)}. Then
   * with {@code e = buckets / 2}: {@code n < e} gives bucket {@code n}; otherwise {@code e + (long) (log(n / e) /
   * log(maxDistance / e) * (buckets - e))}, capped at {@code buckets - 1}.
   *
   * @param relativePosition {@code j - i} (x-transformers' {@code k_pos - q_pos})
   * @param causal the bucketing
   * @param numBuckets the buckets, {@code >= 2} (x-transformers: 32)
   * @param maxDistance the distance of the last bucket (x-transformers: 128)
   * @return the bucket, in {@code [0, numBuckets)}
   */
  public static int t5Bucket(int relativePosition, Causal causal, int numBuckets, int maxDistance) {
    int buckets = numBuckets;
    int bucket = 0;
    long n = -(long) relativePosition;
    if (causal == Causal.NONE) {
      buckets /= 2;
      bucket += n < 0 ? buckets : 0;
      n = Math.abs(n);
    } else {
      n = Math.max(n, 0);
    }
    int exact = buckets / 2;
    if (n < exact) {
      return bucket + (int) n;
    }
    float log = (float) Math.log((float) n / exact) / (float) Math.log((double) maxDistance / exact);
    long large = exact + (long) (log * (buckets - exact));
    return bucket + (int) Math.min(large, buckets - 1);
  }

  /**
   * The T5 relative-position bias: {@code s + scale * table[bucket(j - i), h]}, as x-transformers'
   * {@code RelativePositionBias} (which uses {@code scale = sqrt(d)} and an {@code Embedding(num_buckets, heads)}
   * table). Copies the table.
   *
   * @param table {@code [numBuckets, h]}
   * @param causal the bucketing, see {@link #t5Bucket}
   * @param numBuckets the buckets
   * @param maxDistance the distance of the last bucket
   * @param scale the multiplier of the table
   * @return the score term
   */
  public static ScoreMod t5Bias(float[] table, Causal causal, int numBuckets, int maxDistance, double scale) {
    float[] copy = Objects.requireNonNull(table, "table").clone();
    Objects.requireNonNull(causal, "causal");
    if (numBuckets < 2 || maxDistance < numBuckets / (causal == Causal.NONE ? 4 : 2) + 1) {
      throw new IllegalArgumentException("t5 bias: expected numBuckets >= 2 and maxDistance > the exact buckets, got"
          + " numBuckets = " + numBuckets + ", maxDistance = " + maxDistance);
    }
    int heads = copy.length / numBuckets;
    return new Checked() {
      @Override
      public double apply(double s, int b, int h, int i, int j) {
        return s + scale * copy[t5Bucket(j - i, causal, numBuckets, maxDistance) * heads + h];
      }

      @Override
      public void check(CoreAttentionOracle.Options o, AttentionKind kind) {
        Checks.equal("t5 table", "numBuckets*h", numBuckets * o.getH(), copy.length);
      }
    };
  }

  /** A score term with a shape check. */
  private interface Checked extends ScoreMod, ShapeCheck {}

  /** A mask with a shape check. */
  private interface CheckedMask extends MaskMod, ShapeCheck {}
}
