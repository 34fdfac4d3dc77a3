package org.attn4j.bench.peers;

/**
 * The lifecycle of a peer that holds native resources: {@link #close} is idempotent and calls {@link #release}
 * once, and {@link #checkOpen} refuses use after close with an {@link IllegalStateException} naming the peer.
 */
abstract class NativePeer implements AttentionPeer {

  private boolean closed;

  /**
   * Throws if this peer is closed; peers call it first in {@link #setInputs}, {@link #compute} and
   * {@link #getOutput}.
   *
   * @throws IllegalStateException naming the peer, e.g. {@code "openblas-sgemm+softmax-2t is closed"}
   */
  protected final void checkOpen() {
    if (closed) {
      throw new IllegalStateException(name() + " is closed");
    }
  }

  /** Releases this peer's native resources ({@link #release}) on the first call; later calls do nothing. */
  @Override
  public final void close() {
    if (closed) {
      return;
    }
    closed = true;
    release();
  }

  /**
   * Releases the native resources; called once, by the first {@link #close}. A constructor that fails part way may
   * call {@link #close} itself, so fields not yet assigned can be null here.
   */
  protected abstract void release();
}
