package org.attn4j.reference;

/**
 * Implemented by the gallery's mods that capture tensors, so that {@link AttentionOracle.Spec.Builder#build()} can
 * check their shapes against the call's dimensions instead of failing with an index error later.
 */
interface ShapeCheck {
  /**
   * Throws {@link IllegalArgumentException} if the captured tensors do not fit the call.
   *
   * @param o the call's dimensions and masks
   * @param kind self- or cross-attention
   */
  void check(CoreAttentionOracle.Options o, AttentionKind kind);
}
