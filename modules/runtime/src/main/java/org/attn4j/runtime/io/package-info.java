/**
 * File formats for exchanging tensors with other tools: NumPy {@code .npy} files ({@link
 * org.attn4j.runtime.io.Npy}) and Arrow IPC files holding named tensors ({@link
 * org.attn4j.runtime.io.ArrowTensorFile}).
 */
@NullMarked
package org.attn4j.runtime.io;

import org.jspecify.annotations.NullMarked;
