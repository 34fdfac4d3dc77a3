package org.attn4j.tvm;

/**
 * TVM reported an error. {@link #getTvmMessage()} is TVM's last-error text without its native stack dump
 * (cut at {@code "\nStack trace:"}); the Java message adds what was being called.
 */
public class TvmException extends Attn4jException {
  private static final long serialVersionUID = 1L;
  private final String tvmMessage;

  /** Creates an exception for a failed call of {@code what}, carrying TVM's message. */
  public TvmException(String what, String tvmMessage) {
    super(what + ": " + tvmMessage);
    this.tvmMessage = tvmMessage;
  }

  /** TVM's own message for the failure, without the native stack trace. */
  public String getTvmMessage() {
    return tvmMessage;
  }

  /**
   * Throws a {@code TvmException} with TVM's last error when {@code rc}, the return code of a TVM C API call,
   * is not 0.
   */
  public static void check(int rc, String what) {
    TvmCall.check(rc, what);
  }

  /** Removes TVM's native stack dump and the leading traceback noise from a last-error text. */
  static String clean(String raw) {
    String s = raw;
    int cut = s.indexOf("\nStack trace:");
    if (cut >= 0) {
      s = s.substring(0, cut);
    }
    return s.strip();
  }
}
