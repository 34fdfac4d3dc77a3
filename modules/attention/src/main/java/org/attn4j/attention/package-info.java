/**
 * Attention variants as compute definitions: pure functions from input tensors and an immutable
 * {@link org.attn4j.attention.AttentionSpec} to output tensors. Nothing here names a target, thread, tile or
 * vector width: schedules live in {@code tvm-schedules} and find stages by the names in
 * {@link org.attn4j.attention.AttentionStages}.
 */
@NullMarked
package org.attn4j.attention;

import org.jspecify.annotations.NullMarked;
