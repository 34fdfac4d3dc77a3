package org.attn4j.bench.gpu;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.Causal;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.HeadMapping;
import org.attn4j.reference.TestData;
import org.attn4j.runtime.Dims;
import org.attn4j.runtime.Manifest;
import org.jspecify.annotations.Nullable;

/**
 * The host side of one checked call: random {@code q [b h n d]} in {@code [-2, 2)}, {@code k} likewise and
 * {@code v [b h_kv m d]} in {@code [-1, 1)}, key lengths {@code [b]} when the spec takes them (the first row full,
 * the third empty, the others random) and the variant's captures ({@link VariantOracle}), all rounded to the
 * artifact's dtype, with the oracle's spec on exactly those values. Immutable once drawn.
 */
final class CallInputs {
  final Shape shape;
  final Dims dims;
  final Precision precision;
  final CoreAttentionOracle.Options options;
  final float[] q;
  final float[] k;
  final float[] v;
  final int @Nullable [] lengths;
  final Map<String, float[]> captures;
  final AttentionOracle.Spec oracle;
  final boolean lse;

  private CallInputs(Shape shape, Precision precision, CoreAttentionOracle.Options options, float[] q, float[] k,
      float[] v, Map<String, float[]> captures, AttentionOracle.Spec oracle, boolean lse) {
    this.shape = shape;
    this.dims = Dims.of(shape.b(), shape.n(), shape.m());
    this.precision = precision;
    this.options = options;
    this.q = q;
    this.k = k;
    this.v = v;
    this.lengths = options.getKeyLengths();
    this.captures = captures;
    this.oracle = oracle;
    this.lse = lse;
  }

  /** Draws the inputs of a call of shape {@code s} to the artifact of {@code m}, from {@code seed}. */
  static CallInputs draw(Manifest m, VariantOracle variant, Shape s, long seed) {
    Map<String, Object> spec = m.spec();
    Precision p = Precision.of((String) spec.get("dtype"));
    SplittableRandom rnd = new SplittableRandom(seed);
    int[] lengths = null;
    if (Boolean.TRUE.equals(spec.get("key_lengths"))) {
      lengths = new int[s.b()];
      for (int i = 0; i < s.b(); i++) {
        lengths[i] = i == 0 ? s.m() : i == 2 ? 0 : rnd.nextInt(s.m() + 1); // full, empty, random rows
      }
    }
    CoreAttentionOracle.Options o = CoreAttentionOracle.Options.builder()
        .shape(s.b(), num(spec, "heads"), num(spec, "kv_heads"), s.n(), s.m(), num(spec, "head_dim"))
        .scale(((Number) spec.get("scale")).doubleValue())
        .causal(Causal.valueOf((String) spec.get("causal")))
        .headMapping(HeadMapping.valueOf((String) spec.get("head_mapping")))
        .keyLengths(lengths)
        .build();
    float[] q = p.roundInPlace(TestData.uniform(rnd.nextLong(), o.getQSize(), -2, 2));
    float[] k = p.roundInPlace(TestData.uniform(rnd.nextLong(), o.getKvSize(), -2, 2));
    float[] v = p.roundInPlace(TestData.uniform(rnd.nextLong(), o.getKvSize(), -1, 1));
    Map<String, float[]> captures = variant.draw(s, rnd);
    return new CallInputs(s, p, o, q, k, v, captures, variant.oracle(o, s, captures),
        Boolean.TRUE.equals(spec.get("lse")));
  }

  /** The oracle's {@code out} and, when the artifact has it, {@code lse}. */
  record Expected(float[] out, float @Nullable [] lse) {}

  /** Runs the oracle (in double; single-threaded, so several calls may run in parallel). */
  Expected expected() {
    float[] out = new float[options.getQSize()];
    float[] l = lse ? new float[options.getLseSize()] : null;
    AttentionOracle.run(oracle, q, k, v, out, l);
    return new Expected(out, l);
  }

  /**
   * The same call cut down to the last batch row and its last {@code rows} queries, with every key: what a check
   * of a large call can afford to recompute. The queries keep their key-axis positions ({@code row + m - n}), so
   * masks, score terms and rotary see the same {@code (i, j)} as in the full call. Null when a capture has a
   * query dim ({@link VariantOracle#batchRow}).
   */
  @Nullable CallInputs lastRows(VariantOracle variant, int rows) {
    int b = shape.b();
    Map<String, float[]> c = variant.batchRow(captures, b - 1, b);
    if (c == null) {
      return null;
    }
    Shape s = new Shape(1, rows, shape.m());
    int d = options.getD();
    CoreAttentionOracle.Options o = options.toBuilder().b(1).n(rows)
        .keyLengths(lengths == null ? null : new int[] {lengths[b - 1]}).build();
    return new CallInputs(s, precision, o, lastRowsOf(q, options.getH(), shape.n(), d, rows),
        lastRowsOf(k, options.getHKv(), shape.m(), d, shape.m()),
        lastRowsOf(v, options.getHKv(), shape.m(), d, shape.m()), new LinkedHashMap<>(c),
        variant.oracle(o, s, c), lse);
  }

  /**
   * From {@code x [b, heads, len, inner]} of this call, the last batch row's last {@code rows} entries of
   * {@code len}: {@code [1, heads, rows, inner]}.
   */
  float[] lastRowsOf(float[] x, int heads, int len, int inner, int rows) {
    int b = shape.b();
    float[] out = new float[heads * rows * inner];
    for (int h = 0; h < heads; h++) {
      int from = (((b - 1) * heads + h) * len + (len - rows)) * inner;
      System.arraycopy(x, from, out, h * rows * inner, rows * inner);
    }
    return out;
  }

  private static int num(Map<String, Object> spec, String key) {
    return ((Number) spec.get(key)).intValue();
  }
}
