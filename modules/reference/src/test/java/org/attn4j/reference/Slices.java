package org.attn4j.reference;

/** Test helpers that cut and rearrange row-major {@code [b, heads, rows, d]} tensors. */
final class Slices {
  private Slices() {}

  /** The flat offset of {@code [bi, head, row, 0]} in a {@code [b, heads, rows, d]} tensor. */
  static int offset(int bi, int head, int row, int heads, int rows, int d) {
    return ((bi * heads + head) * rows + row) * d;
  }

  /** {@code x[bi]} of a tensor whose batch stride is {@code stride}, as a new array {@code [1, ...]}. */
  static float[] batch(float[] x, int bi, int stride) {
    float[] out = new float[stride];
    System.arraycopy(x, bi * stride, out, 0, stride);
    return out;
  }

  /**
   * {@code repeat} of key/value heads to query heads: {@code [b, h_kv, m, d] -> [b, h, m, d]}, query head
   * {@code hh} getting kv head {@code kvHeadOf[hh]}.
   */
  static float[] expandHeads(float[] kv, int b, int hKv, int m, int d, int[] kvHeadOf) {
    int h = kvHeadOf.length;
    float[] out = new float[b * h * m * d];
    for (int bi = 0; bi < b; bi++) {
      for (int hh = 0; hh < h; hh++) {
        System.arraycopy(kv, offset(bi, kvHeadOf[hh], 0, hKv, m, d), out, offset(bi, hh, 0, h, m, d), m * d);
      }
    }
    return out;
  }

  /** Moves head {@code hh} of {@code x} to head {@code perm[hh]}: {@code out[:, perm[hh]] = x[:, hh]}. */
  static float[] permuteHeads(float[] x, int b, int rows, int d, int[] perm) {
    int h = perm.length;
    float[] out = new float[x.length];
    for (int bi = 0; bi < b; bi++) {
      for (int hh = 0; hh < h; hh++) {
        System.arraycopy(x, offset(bi, hh, 0, h, rows, d), out, offset(bi, perm[hh], 0, h, rows, d), rows * d);
      }
    }
    return out;
  }

  /** Rows {@code [from, to)} of every {@code [bi, head]} of a {@code [b, heads, rows, d]} tensor. */
  static float[] rows(float[] x, int b, int heads, int rows, int d, int from, int to) {
    int count = to - from;
    float[] out = new float[b * heads * count * d];
    for (int bi = 0; bi < b; bi++) {
      for (int hh = 0; hh < heads; hh++) {
        System.arraycopy(x, offset(bi, hh, from, heads, rows, d), out, offset(bi, hh, 0, heads, count, d),
            count * d);
      }
    }
    return out;
  }
}
