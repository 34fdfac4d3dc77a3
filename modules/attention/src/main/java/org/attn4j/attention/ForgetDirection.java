package org.attn4j.attention;

/** Which keys forgetting attention's decay reaches (VARIANTS.md §6). */
public enum ForgetDirection {
  /**
   * The FoX form: {@code B_ij = F_i - F_j} for keys {@code j <= i}; later keys (visible only without the causal
   * mask) get no bias, as the reference oracle defines it.
   */
  FORWARD,
  /**
   * x-transformers' bidirectional form: {@code F_i - F_j} for {@code j <= i} and, from a second gate set
   * {@code a'}, {@code F'_j - F'_i} for {@code j > i}. Needs {@link Causal#NONE}.
   */
  BIDIRECTIONAL
}
