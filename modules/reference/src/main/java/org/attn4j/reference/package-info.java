/**
 * Plain-Java oracles for attn4j's attention variants: the ground truth every compiled kernel is tested against.
 *
 * <p>Each oracle is written straight from the formula in {@code VARIANTS.md}, accumulates in {@code double} and
 * favours obviousness over speed (loops in the order of the math, no tiling, no online softmax). Entry points:
 * <ul>
 *   <li>{@link org.attn4j.reference.CoreAttentionOracle}: the core (section 0): scaled dot product, right-aligned
 *       causal mask, key lengths, grouped-query heads, optional log-sum-exp;</li>
 *   <li>{@link org.attn4j.reference.AttentionOracle}: every variant, one choice per kernel-template slot
 *       ({@code VARIANTS.md} section 8): {@link org.attn4j.reference.Rotary} with
 *       {@link org.attn4j.reference.RotaryPositions} and {@link org.attn4j.reference.SpecialTokens},
 *       {@link org.attn4j.reference.ValueResidual}, {@link org.attn4j.reference.ScoreMod}s (the
 *       {@link org.attn4j.reference.Gallery}, {@link org.attn4j.reference.Forgetting}), the soft-cap,
 *       {@link org.attn4j.reference.MaskMod}s, {@link org.attn4j.reference.MemoryKv},
 *       {@link org.attn4j.reference.Cope} and the {@link org.attn4j.reference.Normalizer};</li>
 *   <li>{@link org.attn4j.reference.AttentionLayerOracle}: a pre-norm attention layer with in-attention
 *       conditioning;</li>
 *   <li>{@link org.attn4j.reference.Causal} and {@link org.attn4j.reference.HeadMapping}: the mask and head
 *       conventions, shared with the other oracles;</li>
 *   <li>{@link org.attn4j.reference.Tolerances} and {@link org.attn4j.reference.Comparison}: how a kernel's output
 *       is compared with an oracle's, one tolerance per dtype with its reason;</li>
 *   <li>{@link org.attn4j.reference.TestData}: deterministic inputs from a seed.</li>
 * </ul>
 * Tensors are row-major {@code float[]} and their shapes are written in einops letters: {@code b} batch,
 * {@code h} query heads, {@code h_kv} key/value heads, {@code n} queries ({@code i}), {@code m} keys ({@code j}),
 * {@code d} head dim.
 */
@NullMarked
package org.attn4j.reference;

import org.jspecify.annotations.NullMarked;
