package org.attn4j.runtime;

/**
 * Where a kernel runs: {@link #cpu()} or {@link #cuda(int)}. An explicit value; there is no default device.
 *
 * @param kind {@code cpu} or {@code cuda}
 * @param index device ordinal
 */
public record Device(String kind, int index) {
  /** The host CPU. */
  public static Device cpu() {
    return new Device("cpu", 0);
  }

  /** CUDA device {@code index}. */
  public static Device cuda(int index) {
    if (index < 0) {
      throw new IllegalArgumentException("cuda device: expected an index >= 0, got " + index);
    }
    return new Device("cuda", index);
  }

  /** Whether this is a CUDA device. */
  public boolean isCuda() {
    return kind.equals("cuda");
  }

  /** {@code cpu:0}, {@code cuda:1}, ... */
  @Override
  public String toString() {
    return kind + ":" + index;
  }

  /** DLPack's device type code (kDLCPU = 1, kDLCUDA = 2). */
  public int dlpackType() {
    return kind.equals("cuda") ? 2 : 1;
  }
}
