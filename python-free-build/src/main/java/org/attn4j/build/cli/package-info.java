/** The {@code attn4j} command line: {@code build}, {@code run}, {@code inspect} and {@code demo}. */
@NullMarked
package org.attn4j.build.cli;

import org.jspecify.annotations.NullMarked;
