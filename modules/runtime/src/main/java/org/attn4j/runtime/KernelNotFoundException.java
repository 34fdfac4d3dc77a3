package org.attn4j.runtime;

import org.attn4j.tvm.Attn4jException;

/** No artifact matches what was asked for; the message lists what was looked for and what was found. */
public class KernelNotFoundException extends Attn4jException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public KernelNotFoundException(String message) {
    super(message);
  }
}
