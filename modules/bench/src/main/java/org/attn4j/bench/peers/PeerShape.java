package org.attn4j.bench.peers;

/**
 * The shape a peer is constructed for: {@code q [b, h, n, d]}, {@code k, v [b, h, m, d]}, {@code out [b, h, n, d]},
 * causal or not. Checked on construction with {@link AttentionPeer#checkShape}; its methods check the arrays of a
 * call against it.
 *
 * @param b batch size
 * @param h number of heads (query and key/value)
 * @param n query length
 * @param m key/value length
 * @param d head dimension
 * @param causal whether the right-aligned causal mask applies (requires {@code m >= n})
 */
record PeerShape(int b, int h, int n, int m, int d, boolean causal) {

  /**
   * Checks the shape.
   *
   * @throws IllegalArgumentException as {@link AttentionPeer#checkShape}
   */
  PeerShape {
    AttentionPeer.checkShape(b, h, n, m, d, causal);
  }

  /**
   * Checks the inputs of {@link AttentionPeer#setInputs} with {@link AttentionPeer#checkInputs}.
   *
   * @throws IllegalArgumentException on a length mismatch, naming the array
   */
  void checkInputs(float[] q, float[] k, float[] v) {
    AttentionPeer.checkInputs(q, k, v, b, h, n, m, d);
  }

  /**
   * Checks the array given to {@link AttentionPeer#getOutput} with {@link AttentionPeer#checkLength}.
   *
   * @throws IllegalArgumentException on a length mismatch
   */
  void checkOutput(float[] out) {
    AttentionPeer.checkLength("out", out, b, h, n, d);
  }
}
