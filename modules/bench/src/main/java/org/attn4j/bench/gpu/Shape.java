package org.attn4j.bench.gpu;

/**
 * A call's symbolic dims: batch {@code b}, queries {@code n}, keys {@code m}.
 *
 * @param b the batch size
 * @param n the queries per batch row
 * @param m the keys per batch row
 */
record Shape(int b, int n, int m) {
  @Override
  public String toString() {
    return b + "," + n + "," + m;
  }
}
