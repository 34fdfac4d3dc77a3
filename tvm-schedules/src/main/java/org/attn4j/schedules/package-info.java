/**
 * Per-target TensorIR schedules for the attention variants. Compute ({@code attention}) and schedule stay
 * apart, as in TVM: a schedule finds stages by their names ({@code AttentionStages}) and never changes what is
 * computed. {@link org.attn4j.schedules.GenericSchedule} is correct for every variant on every target (the
 * correctness baseline); {@link org.attn4j.schedules.CpuFlashSchedule} is the fast CPU kernel (a flash-style loop nest).
 */
@NullMarked
package org.attn4j.schedules;

import org.jspecify.annotations.NullMarked;
