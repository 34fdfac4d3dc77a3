package org.attn4j.bench;

import org.attn4j.bench.peers.AttentionPeer;
import org.attn4j.bench.peers.NaiveJavaAttention;

/** The naive loop on {@code [b, h, n, d]} with one output element off by {@code 1e-3}: fails every oracle check. */
public final class WrongPeer implements AttentionPeer {
  private final NaiveJavaAttention inner;
  private boolean closed;

  /** The naive loop for this shape, made wrong. */
  public WrongPeer(Shape s) {
    inner = new NaiveJavaAttention(s.b(), s.h(), s.n(), s.m(), s.d(), s.causal());
  }

  @Override
  public String name() {
    return "wrong";
  }

  @Override
  public void setInputs(float[] q, float[] k, float[] v) {
    inner.setInputs(q, k, v);
  }

  @Override
  public void compute() {
    inner.compute();
  }

  @Override
  public void getOutput(float[] out) {
    inner.getOutput(out);
    out[out.length / 3] += 1e-3f;
  }

  @Override
  public void close() {
    closed = true;
  }

  /** {@return whether {@link #close} was called} */
  public boolean isClosed() {
    return closed;
  }
}
