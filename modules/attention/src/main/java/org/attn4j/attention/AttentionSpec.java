package org.attn4j.attention;

import java.util.Objects;
import org.attn4j.te.DType;
import org.jspecify.annotations.Nullable;

/**
 * What to compute: an immutable description of one attention kernel. Head counts and head dim are static per
 * artifact; batch {@code b}, queries {@code n} and keys {@code m} are symbolic.
 *
 * <p>Tensors: {@code q [b, h, n, d]}, {@code k [b, h_kv, m, d]}, {@code v [b, h_kv, m, d]}, optional
 * {@code key_lengths [b]} (int32), output {@code out [b, h, n, d]}, optional {@code lse [b, h, n]} (float32).
 *
 * <pre>{@code
 * AttentionSpec spec = AttentionSpec.builder().heads(8).headDim(64).causal(Causal.BOTTOM_RIGHT).build();
 * }</pre>
 */
public final class AttentionSpec {
  private final DType dtype;
  private final int heads;
  private final int kvHeads;
  private final int headDim;
  private final Causal causal;
  private final HeadMapping headMapping;
  private final boolean keyLengths;
  private final boolean lse;
  private final @Nullable Double scale;
  private final boolean cross;

  private AttentionSpec(Builder b) {
    this.dtype = b.dtype;
    this.heads = b.heads;
    this.kvHeads = b.kvHeads == 0 ? b.heads : b.kvHeads;
    this.headDim = b.headDim;
    this.causal = b.causal;
    this.headMapping = b.headMapping;
    this.keyLengths = b.keyLengths;
    this.lse = b.lse;
    this.scale = b.scale;
    this.cross = b.cross;
  }

  /** A builder with the defaults: float32, non-causal, TILED heads, no padding lengths, no LSE, τ = d^-1/2. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this spec's settings, e.g. {@code spec.toBuilder().dtype(DType.FLOAT16).build()}. */
  public Builder toBuilder() {
    Builder b = new Builder().dtype(dtype).heads(heads).kvHeads(kvHeads).headDim(headDim).causal(causal)
        .headMapping(headMapping).keyLengths(keyLengths).lse(lse).cross(cross);
    b.scale = scale;
    return b;
  }

  /** Element type of q, k, v and out. */
  public DType getDtype() {
    return dtype;
  }

  /** Query heads {@code h}. */
  public int getHeads() {
    return heads;
  }

  /** Key/value heads {@code h_kv} ({@code h % h_kv == 0}). */
  public int getKvHeads() {
    return kvHeads;
  }

  /** Head dim {@code d}. */
  public int getHeadDim() {
    return headDim;
  }

  /** The causal mode. */
  public Causal getCausal() {
    return causal;
  }

  /** The GQA head mapping. */
  public HeadMapping getHeadMapping() {
    return headMapping;
  }

  /** Whether the kernel takes {@code key_lengths [b]}. */
  public boolean hasKeyLengths() {
    return keyLengths;
  }

  /** Whether the kernel also writes {@code lse [b, h, n]}. */
  public boolean hasLse() {
    return lse;
  }

  /** The logit scale τ. */
  public double getScale() {
    return scale != null ? scale : 1.0 / Math.sqrt(headDim);
  }

  /**
   * Whether this is cross-attention (queries from one sequence, keys and values from a context): it changes
   * what rotary may do ({@link Modifiers#rotary}) and nothing else.
   */
  public boolean isCross() {
    return cross;
  }

  /** A short stable name for file names and manifests, e.g. {@code sdpa_f32_h8kv8_d64_causal}. */
  public String getName() {
    return "sdpa_" + dtype.getTvmName() + "_h" + heads + "kv" + kvHeads + "_d" + headDim
        + (causal == Causal.BOTTOM_RIGHT ? "_causal" : "")
        + (kvHeads != heads ? "_" + headMapping.name().toLowerCase(java.util.Locale.ROOT) : "")
        + (keyLengths ? "_lens" : "") + (lse ? "_lse" : "")
        + (scale != null ? "_s" + Double.toString(scale).replace('.', 'p') : "") + (cross ? "_cross" : "");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AttentionSpec s && s.getName().equals(getName());
  }

  @Override
  public int hashCode() {
    return Objects.hash(getName());
  }

  @Override
  public String toString() {
    return "AttentionSpec[" + getName() + "]";
  }

  /** Builds an {@link AttentionSpec}; {@link #build()} checks every constraint. */
  public static final class Builder {
    private DType dtype = DType.FLOAT32;
    private int heads;
    private int kvHeads;
    private int headDim;
    private Causal causal = Causal.NONE;
    private HeadMapping headMapping = HeadMapping.TILED;
    private boolean keyLengths;
    private boolean lse;
    private @Nullable Double scale;
    private boolean cross;

    private Builder() {}

    /** Element type (float32 on CPU; float16/bfloat16 on CUDA with fp32 accumulation). */
    public Builder dtype(DType v) {
      this.dtype = v;
      return this;
    }

    /** Query heads {@code h}. */
    public Builder heads(int v) {
      this.heads = v;
      return this;
    }

    /** Key/value heads {@code h_kv} (default: {@code h}). */
    public Builder kvHeads(int v) {
      this.kvHeads = v;
      return this;
    }

    /** Head dim {@code d}. */
    public Builder headDim(int v) {
      this.headDim = v;
      return this;
    }

    /** Causal mode. */
    public Builder causal(Causal v) {
      this.causal = v;
      return this;
    }

    /** GQA head mapping (default TILED, x-transformers). */
    public Builder headMapping(HeadMapping v) {
      this.headMapping = v;
      return this;
    }

    /** Take key padding as lengths {@code [b]}. */
    public Builder keyLengths(boolean v) {
      this.keyLengths = v;
      return this;
    }

    /** Also output the row log-sum-exp {@code [b, h, n]}. */
    public Builder lse(boolean v) {
      this.lse = v;
      return this;
    }

    /** Logit scale τ (default {@code d^-1/2}). */
    public Builder scale(double v) {
      this.scale = v;
      return this;
    }

    /** Cross-attention (default: self-attention). */
    public Builder cross(boolean v) {
      this.cross = v;
      return this;
    }

    /**
     * The spec.
     *
     * @throws IllegalArgumentException naming the offending options
     */
    public AttentionSpec build() {
      if (heads < 1) {
        throw new IllegalArgumentException("heads: expected h >= 1, got " + heads);
      }
      if (headDim < 1) {
        throw new IllegalArgumentException("headDim: expected d >= 1, got " + headDim);
      }
      int kv = kvHeads == 0 ? heads : kvHeads;
      if (kv < 1 || heads % kv != 0) {
        throw new IllegalArgumentException(
            "kvHeads: expected h % h_kv == 0, got h = " + heads + ", h_kv = " + kv);
      }
      if (!dtype.isFloat()) {
        throw new IllegalArgumentException("dtype: expected float32, float16 or bfloat16, got " + dtype);
      }
      if (scale != null && !(scale > 0 && Double.isFinite(scale))) {
        throw new IllegalArgumentException("scale: expected a finite τ > 0, got " + scale);
      }
      Objects.requireNonNull(causal, "causal");
      Objects.requireNonNull(headMapping, "headMapping");
      return new AttentionSpec(this);
    }
  }
}
