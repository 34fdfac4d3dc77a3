package org.attn4j.reference;

import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The oracle of the attention core ({@code VARIANTS.md} section 0), written straight from the formula and
 * accumulated in {@code double}.
 *
 * <p>For batch row {@code bi}, query head {@code hh} reading key/value head {@code hk} (see {@link HeadMapping}) and
 * query {@code i}, with {@code V(i)} the set of keys {@code j} visible to it (the causal mask and the key length of
 * {@code bi}, both must allow {@code j}):
 * <pre>
 *   s_ij  = scale * sum_c q[bi, hh, i, c] * k[bi, hk, j, c]                      (j in V(i))
 *   lse_i = log sum_{j in V(i)} exp(s_ij)
 *   out[bi, hh, i, c] = sum_{j in V(i)} exp(s_ij - lse_i) * v[bi, hk, j, c]
 * </pre>
 * A row with no visible key ({@code V(i)} empty) outputs zeros, never NaN, and {@code lse_i = -Infinity}.
 *
 * <p>This is {@link AttentionOracle} with every variant slot at its default, and delegates to it.
 *
 * <p>Tensors are row-major {@code float[]} in the {@code BHSD} layout: {@code q} and {@code out} are
 * {@code [b, h, n, d]}, {@code k} and {@code v} are {@code [b, h_kv, m, d]} and {@code lse} is {@code [b, h, n]};
 * element {@code q[bi, hh, i, c]} is at {@code ((bi * h + hh) * n + i) * d + c}. Inputs are read as given (no
 * rounding to a lower precision) and non-finite inputs are not rejected: they propagate as the formula says.
 *
 * <p>Example: two heads sharing one key/value head, a KV cache of 3 earlier keys and one new query per row.
 * <pre>{@code
 * CoreAttentionOracle.Options o = CoreAttentionOracle.Options.builder()
 *     .shape(2, 2, 1, 1, 4, 8)             // b, h, h_kv, n, m, d
 *     .causal(Causal.BOTTOM_RIGHT)
 *     .keyLengths(new int[] {4, 2})        // the second row has only 2 valid keys
 *     .build();
 * float[] q = TestData.uniform(1, o.getQSize(), -1, 1);
 * float[] k = TestData.uniform(2, o.getKvSize(), -1, 1);
 * float[] v = TestData.uniform(3, o.getKvSize(), -1, 1);
 * float[] out = CoreAttentionOracle.run(o, q, k, v);   // [b, h, n, d]
 * }</pre>
 */
public final class CoreAttentionOracle {
  private CoreAttentionOracle() {}

  /**
   * Computes the core attention into caller-supplied arrays. Borrows every array; writes only {@code out} and
   * {@code lse}, and writes nothing if a check fails.
   *
   * @param o what to compute
   * @param q queries {@code [b, h, n, d]}
   * @param k keys {@code [b, h_kv, m, d]}
   * @param v values {@code [b, h_kv, m, d]}
   * @param out receives the output {@code [b, h, n, d]}; must not be {@code q}, {@code k} or {@code v}
   * @param lse receives the natural log-sum-exp of the scaled, masked logits {@code [b, h, n]}
   *     ({@code -Infinity} for a row with no visible key), or {@code null} when not wanted; must not be another
   *     argument
   * @throws IllegalArgumentException if an array has the wrong length, naming it, the expected size and the
   *     length found (e.g. {@code "q: expected b*h*n*d = 64 floats, got 60"}), or if {@code out} or {@code lse}
   *     is the same array as another argument
   */
  public static void run(
      Options o, float[] q, float[] k, float[] v, float[] out, float @Nullable [] lse) {
    AttentionOracle.run(AttentionOracle.Spec.builder(Objects.requireNonNull(o, "o")).build(), q, k, v, out, lse);
  }

  /**
   * Computes the core attention and returns a new output array; no log-sum-exp. Borrows {@code q}, {@code k} and
   * {@code v}. Equivalent to {@code run(o, q, k, v, new float[o.getQSize()], null)}.
   *
   * @param o what to compute
   * @param q queries {@code [b, h, n, d]}
   * @param k keys {@code [b, h_kv, m, d]}
   * @param v values {@code [b, h_kv, m, d]}
   * @return the output {@code [b, h, n, d]}, owned by the caller
   * @throws IllegalArgumentException if an array has the wrong length
   */
  public static float[] run(Options o, float[] q, float[] k, float[] v) {
    float[] out = new float[Objects.requireNonNull(o, "o").getQSize()];
    run(o, q, k, v, out, null);
    return out;
  }

  /**
   * What the core computes: the dimensions, the scale, the masks and the head mapping. Immutable; build one with
   * {@link #builder()}, derive one with {@link #toBuilder()}.
   *
   * <p>Dimensions in einops letters: {@code b} batch, {@code h} query heads, {@code h_kv} key/value heads,
   * {@code n} queries, {@code m} keys, {@code d} head dim.
   */
  public static final class Options {
    private final int b;
    private final int h;
    private final int hKv;
    private final int n;
    private final int m;
    private final int d;
    private final double scale;
    private final boolean scaleGiven;
    private final Causal causal;
    private final int @Nullable [] keyLengths;
    private final HeadMapping headMapping;
    private final int qSize;
    private final int kvSize;
    private final int lseSize;

    private Options(Builder builder, int b, int h, int hKv, int n, int m, int d) {
      this.b = b;
      this.h = h;
      this.hKv = hKv;
      this.n = n;
      this.m = m;
      this.d = d;
      this.scaleGiven = builder.scale != null;
      this.scale = builder.scale != null ? builder.scale : 1.0 / Math.sqrt(d);
      this.causal = builder.causal;
      this.keyLengths = builder.keyLengths == null ? null : builder.keyLengths.clone();
      this.headMapping = builder.headMapping;
      this.qSize = arraySize("b*h*n*d", b, h, n, d);
      this.kvSize = arraySize("b*h_kv*m*d", b, hKv, m, d);
      this.lseSize = arraySize("b*h*n", b, h, n);
    }

    /**
     * A new builder with the defaults: no dimension set, {@code scale = 1/sqrt(d)}, {@link Causal#NONE}, no key
     * lengths, {@link HeadMapping#TILED}.
     *
     * @return a new builder
     */
    public static Builder builder() {
      return new Builder();
    }

    /**
     * A new builder holding these options. A scale left to its default stays the default, so changing {@code d}
     * on the builder changes it.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
      Builder builder = new Builder().shape(b, h, hKv, n, m, d).causal(causal).keyLengths(keyLengths)
          .headMapping(headMapping);
      if (scaleGiven) {
        builder.scale(scale);
      }
      return builder;
    }

    /** {@return the batch size {@code b}, {@code >= 1}} */
    public int getB() {
      return b;
    }

    /** {@return the number of query heads {@code h}, {@code >= 1}} */
    public int getH() {
      return h;
    }

    /** {@return the number of key/value heads {@code h_kv}, {@code >= 1} and dividing {@code h}} */
    public int getHKv() {
      return hKv;
    }

    /** {@return the number of queries {@code n} (index {@code i}), {@code >= 1}} */
    public int getN() {
      return n;
    }

    /** {@return the number of keys {@code m} (index {@code j}), {@code >= 1}} */
    public int getM() {
      return m;
    }

    /** {@return the head dim {@code d}, {@code >= 1}} */
    public int getD() {
      return d;
    }

    /** {@return the logit scale: the one given, else {@code 1/sqrt(d)}; finite} */
    public double getScale() {
      return scale;
    }

    /** {@return the causal mask} */
    public Causal getCausal() {
      return causal;
    }

    /**
     * The valid key count per batch row, {@code [b]}, each in {@code [0, m]}: key {@code j} of row {@code bi} is
     * visible only if {@code j < keyLengths[bi]}.
     *
     * @return a copy, or {@code null} when every key is valid
     */
    public int @Nullable [] getKeyLengths() {
      return keyLengths == null ? null : keyLengths.clone();
    }

    /**
     * The valid key count of one batch row.
     *
     * @param bi the batch row, in {@code [0, b)}
     * @return {@code keyLengths[bi]}, or {@code m} when no key lengths were given
     * @throws IllegalArgumentException if {@code bi} is outside {@code [0, b)}
     */
    public int getKeyLength(int bi) {
      if (bi < 0 || bi >= b) {
        throw new IllegalArgumentException("batch row " + bi + " is outside [0, b = " + b + ")");
      }
      return keyLengths == null ? m : keyLengths[bi];
    }

    /** {@return which key/value head each query head reads} */
    public HeadMapping getHeadMapping() {
      return headMapping;
    }

    /**
     * The key/value head that a query head reads under {@link #getHeadMapping()}.
     *
     * @param queryHead the query head {@code hh}, in {@code [0, h)}
     * @return a key/value head in {@code [0, h_kv)}
     * @throws IllegalArgumentException if {@code queryHead} is outside {@code [0, h)}
     */
    public int kvHead(int queryHead) {
      return headMapping.kvHead(queryHead, h, hKv);
    }

    /** {@return the length {@code b*h*n*d} of {@code q} and {@code out}, {@code [b, h, n, d]}} */
    public int getQSize() {
      return qSize;
    }

    /** {@return the length {@code b*h_kv*m*d} of {@code k} and of {@code v}, {@code [b, h_kv, m, d]}} */
    public int getKvSize() {
      return kvSize;
    }

    /** {@return the length {@code b*h*n} of {@code lse}, {@code [b, h, n]}} */
    public int getLseSize() {
      return lseSize;
    }

    /** Two options are equal when they compute the same thing (same dims, scale, masks and mapping). */
    @Override
    public boolean equals(@Nullable Object obj) {
      if (this == obj) {
        return true;
      }
      if (!(obj instanceof Options)) {
        return false;
      }
      Options other = (Options) obj;
      return b == other.b && h == other.h && hKv == other.hKv && n == other.n && m == other.m && d == other.d
          && Double.compare(scale, other.scale) == 0 && causal == other.causal
          && Arrays.equals(keyLengths, other.keyLengths) && headMapping == other.headMapping;
    }

    /** {@return a hash consistent with {@link #equals(Object)}} */
    @Override
    public int hashCode() {
      return Objects.hash(b, h, hKv, n, m, d, scale, causal, Arrays.hashCode(keyLengths), headMapping);
    }

    /** For test names and messages, e.g. {@code Options[b=1, h=2, h_kv=1, n=3, m=5, d=4, scale=0.5, ...]}. */
    @Override
    public String toString() {
      return "Options[b=" + b + ", h=" + h + ", h_kv=" + hKv + ", n=" + n + ", m=" + m + ", d=" + d
          + ", scale=" + scale + ", causal=" + causal + ", keyLengths=" + Arrays.toString(keyLengths)
          + ", headMapping=" + headMapping + "]";
    }

    /**
     * Builds {@link Options}. Not thread-safe; {@link #build()} checks every constraint and may be called again.
     *
     * <p>Required: {@code b}, {@code h}, {@code n}, {@code d}. {@code h_kv} defaults to {@code h} (multi-head
     * attention) and {@code m} to {@code n} (self-attention without a cache).
     */
    public static final class Builder {
      private @Nullable Integer b;
      private @Nullable Integer h;
      private @Nullable Integer hKv;
      private @Nullable Integer n;
      private @Nullable Integer m;
      private @Nullable Integer d;
      private @Nullable Double scale;
      private Causal causal = Causal.NONE;
      private int @Nullable [] keyLengths;
      private HeadMapping headMapping = HeadMapping.TILED;

      private Builder() {}

      /**
       * Sets all six dimensions. Equivalent to {@code b(b).h(h).hKv(hKv).n(n).m(m).d(d)}.
       *
       * @param b batch size
       * @param h query heads
       * @param hKv key/value heads {@code h_kv}
       * @param n queries
       * @param m keys
       * @param d head dim
       * @return this builder
       */
      public Builder shape(int b, int h, int hKv, int n, int m, int d) {
        return b(b).h(h).hKv(hKv).n(n).m(m).d(d);
      }

      /**
       * Sets the batch size {@code b}.
       *
       * @param b {@code >= 1}
       * @return this builder
       */
      public Builder b(int b) {
        this.b = b;
        return this;
      }

      /**
       * Sets the number of query heads {@code h}.
       *
       * @param h {@code >= 1}
       * @return this builder
       */
      public Builder h(int h) {
        this.h = h;
        return this;
      }

      /**
       * Sets the number of key/value heads {@code h_kv} (default {@code h}).
       *
       * @param hKv {@code >= 1}, dividing {@code h}
       * @return this builder
       */
      public Builder hKv(int hKv) {
        this.hKv = hKv;
        return this;
      }

      /**
       * Sets the number of queries {@code n}.
       *
       * @param n {@code >= 1}
       * @return this builder
       */
      public Builder n(int n) {
        this.n = n;
        return this;
      }

      /**
       * Sets the number of keys {@code m} (default {@code n}).
       *
       * @param m {@code >= 1}
       * @return this builder
       */
      public Builder m(int m) {
        this.m = m;
        return this;
      }

      /**
       * Sets the head dim {@code d}.
       *
       * @param d {@code >= 1}
       * @return this builder
       */
      public Builder d(int d) {
        this.d = d;
        return this;
      }

      /**
       * Sets the logit scale (default {@code 1/sqrt(d)}).
       *
       * @param scale a finite value
       * @return this builder
       */
      public Builder scale(double scale) {
        this.scale = scale;
        return this;
      }

      /**
       * Sets the causal mask (default {@link Causal#NONE}).
       *
       * @param causal the mask
       * @return this builder
       */
      public Builder causal(Causal causal) {
        this.causal = Objects.requireNonNull(causal, "causal");
        return this;
      }

      /**
       * Sets the valid key count per batch row (default none: every key valid). Copies the array.
       *
       * @param keyLengths {@code [b]}, each in {@code [0, m]}; {@code null} clears it
       * @return this builder
       */
      public Builder keyLengths(int @Nullable [] keyLengths) {
        this.keyLengths = keyLengths == null ? null : keyLengths.clone();
        return this;
      }

      /**
       * Sets which key/value head each query head reads (default {@link HeadMapping#TILED}, x-transformers').
       *
       * @param headMapping the mapping
       * @return this builder
       */
      public Builder headMapping(HeadMapping headMapping) {
        this.headMapping = Objects.requireNonNull(headMapping, "headMapping");
        return this;
      }

      /**
       * Checks every constraint and builds the options.
       *
       * @return new immutable options
       * @throws IllegalArgumentException naming the option(s) at fault: a required dimension not set
       *     ({@code "b is not set"}), a dimension below 1 ({@code "d = 0 must be >= 1"}), {@code h} not a multiple
       *     of {@code h_kv} ({@code "h = 6 is not a multiple of h_kv = 4"}), a non-finite scale, key lengths whose
       *     count is not {@code b} or whose value is outside {@code [0, m]}, or a tensor too large for a Java array
       */
      public Options build() {
        int bv = required("b", b);
        int hv = required("h", h);
        int nv = required("n", n);
        int dv = required("d", d);
        int hKvv = hKv != null ? hKv : hv;
        int mv = m != null ? m : nv;
        atLeastOne("b", bv);
        atLeastOne("h", hv);
        atLeastOne("h_kv", hKvv);
        atLeastOne("n", nv);
        atLeastOne("m", mv);
        atLeastOne("d", dv);
        if (hv % hKvv != 0) {
          throw new IllegalArgumentException("h = " + hv + " is not a multiple of h_kv = " + hKvv);
        }
        if (scale != null && !Double.isFinite(scale)) {
          throw new IllegalArgumentException("scale = " + scale + " is not finite");
        }
        if (keyLengths != null) {
          if (keyLengths.length != bv) {
            throw new IllegalArgumentException(
                "keyLengths: expected b = " + bv + " lengths, got " + keyLengths.length);
          }
          for (int bi = 0; bi < bv; bi++) {
            if (keyLengths[bi] < 0 || keyLengths[bi] > mv) {
              throw new IllegalArgumentException(
                  "keyLengths[" + bi + "] = " + keyLengths[bi] + " is outside [0, m = " + mv + "]");
            }
          }
        }
        return new Options(this, bv, hv, hKvv, nv, mv, dv);
      }

      private static int required(String name, @Nullable Integer value) {
        if (value == null) {
          throw new IllegalArgumentException(name + " is not set");
        }
        return value;
      }

      private static void atLeastOne(String name, int value) {
        if (value < 1) {
          throw new IllegalArgumentException(name + " = " + value + " must be >= 1");
        }
      }
    }

    private static int arraySize(String formula, int... dims) {
      long size = 1;
      for (int dim : dims) {
        // Stop as soon as the product passes the limit: then every factor < 2^31, so it never overflows a long.
        size = Math.min(size * dim, (long) Integer.MAX_VALUE + 1);
      }
      if (size > Integer.MAX_VALUE) {
        StringBuilder shown = new StringBuilder();
        for (int dim : dims) {
          shown.append(shown.length() == 0 ? "" : "*").append(dim);
        }
        throw new IllegalArgumentException(formula + " = " + shown + " floats does not fit in a Java array (at most "
            + Integer.MAX_VALUE + ")");
      }
      return (int) size;
    }
  }
}
