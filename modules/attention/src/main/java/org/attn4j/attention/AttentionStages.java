package org.attn4j.attention;

/**
 * The stable names of the core attention's stages (TE compute ops and TensorIR blocks). Schedules look stages
 * up by these names, never by position. The math, per {@code (b, h, i)}:
 * <ol>
 *   <li>with a rotation slot, {@link #Q_ROPE} and {@link #K_ROPE}: the rotated q and k ({@link Rotation});</li>
 *   <li>with memory key/values, the MEM_ stages compute the same quantities over the {@code M} memory keys and
 *       {@link #MAX}, {@link #SUM}, {@link #ACC} combine them with the keys' ({@code attn.max_keys}...);</li>
 *   <li>{@link #SCORES}: {@code s_ij = τ·q_i·k_j} plus the score terms of the variant;</li>
 *   <li>{@link #MAX}: {@code μ_i = max over visible j of s_ij} (identity: the lowest finite float);</li>
 *   <li>{@link #EXP}: {@code p_ij = visible ? exp(s_ij - μ_i) : 0};</li>
 *   <li>{@link #SUM}: {@code ℓ_i = Σ_j p_ij};</li>
 *   <li>{@link #ACC}: {@code a_i = Σ_j p_ij v_j};</li>
 *   <li>{@link #OUT}: {@code o_i = ℓ_i > 0 ? a_i / ℓ_i : 0} (rows with no visible key give 0);</li>
 *   <li>{@link #LSE} (optional): {@code ℓ_i > 0 ? μ_i + log ℓ_i : -inf}.</li>
 * </ol>
 * With a row scan (CoPE, {@link Cope}), the generic compute adds {@link #COPE_Z} and {@link #COPE_POS}
 * ({@code O(n m²)}: a correctness baseline; the flash schedules scan each row instead) and the logits read by
 * (3) and (4) include the CoPE term. The normaliser slot ({@link Normalizer}) changes (6) and (7) for a sink;
 * sigmoid attention has no {@link #MAX}, {@link #SUM} or {@link #LSE} stage,
 * {@link #EXP} is {@code sigmoid(s_ij + β)} and {@link #OUT} is {@code a_i}.
 */
public final class AttentionStages {
  private AttentionStages() {}

  /** Rotated queries {@code [b, h, n, d]} (float32), with a rotation slot. */
  public static final String Q_ROPE = "attn.q_rope";
  /** Rotated keys {@code [b, h_kv, m, d]} (float32), with a rotation slot. */
  public static final String K_ROPE = "attn.k_rope";
  /** Memory logits {@code [b, h, n, M]} (unscaled dot products), with learned memory key/values. */
  public static final String MEM_SCORES = "attn.mem_scores";
  /** Memory row maximum {@code [b, h, n]}; {@link #MAX} then combines it with the keys' ({@code attn.max_keys}). */
  public static final String MEM_MAX = "attn.mem_max";
  /** Memory weights {@code [b, h, n, M]}. */
  public static final String MEM_EXP = "attn.mem_exp";
  /** Memory row sum {@code [b, h, n]}; {@link #SUM} adds it to the keys' ({@code attn.sum_keys}). */
  public static final String MEM_SUM = "attn.mem_sum";
  /** Memory accumulator {@code [b, h, n, d]}; {@link #ACC} adds it to the keys' ({@code attn.acc_keys}). */
  public static final String MEM_ACC = "attn.mem_acc";
  /** Scaled logits {@code [b, h, n, m]}. */
  public static final String SCORES = "attn.scores";
  /** Row maximum {@code [b, h, n]}. */
  public static final String MAX = "attn.max";
  /** Unnormalised probabilities {@code [b, h, n, m]}. */
  public static final String EXP = "attn.exp";
  /** Row normaliser {@code [b, h, n]}. */
  public static final String SUM = "attn.sum";
  /** Unnormalised output {@code [b, h, n, d]}. */
  public static final String ACC = "attn.acc";
  /** Output {@code [b, h, n, d]}. */
  public static final String OUT = "attn.out";
  /** Row log-sum-exp {@code [b, h, n]}. */
  public static final String LSE = "attn.lse";
  /** CoPE's position logits {@code z [b, h, n, p]} (float32), with a row scan ({@link Cope}). */
  public static final String COPE_Z = "attn.cope_z";
  /**
   * CoPE's gate sums {@code Σ_{t >= j} g_it [b, h, n, m]} (float32; the position is their minimum with
   * {@code P - 1}), with a row scan ({@link Cope}).
   */
  public static final String COPE_POS = "attn.cope_pos";
}
