/** {@code attn4j-maven-plugin}: the {@code compile-kernels} goal ({@link org.attn4j.maven.CompileKernelsMojo}). */
@NullMarked
package org.attn4j.maven;

import org.jspecify.annotations.NullMarked;
