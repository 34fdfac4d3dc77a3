package org.attn4j.tvm;

/**
 * The TVM natives could not be loaded. The message names the platform looked for, the mode (runtime only or
 * compiler), where it searched and the Maven artifact to add.
 */
public class NativeLoadException extends Attn4jException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message and a cause. */
  public NativeLoadException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Creates an exception with a message. */
  public NativeLoadException(String message) {
    super(message);
  }
}
