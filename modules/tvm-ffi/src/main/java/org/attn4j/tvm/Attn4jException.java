package org.attn4j.tvm;

/**
 * The root of attn4j's unchecked exceptions that are not caused by caller input (caller input errors are
 * {@link IllegalArgumentException}s). Subtypes: {@link TvmException} (TVM reported an error),
 * {@link NativeLoadException} (natives could not be loaded), and the runtime's {@code KernelNotFoundException}.
 */
public class Attn4jException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message. */
  public Attn4jException(String message) {
    super(message);
  }

  /** Creates an exception with a message and a cause. */
  public Attn4jException(String message, Throwable cause) {
    super(message, cause);
  }
}
