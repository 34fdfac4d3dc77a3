/**
 * Implementation helpers of the attn4j runtime (for example a small JSON reader and writer); not a
 * supported API.
 */
@NullMarked
package org.attn4j.runtime.internal;

import org.jspecify.annotations.NullMarked;
