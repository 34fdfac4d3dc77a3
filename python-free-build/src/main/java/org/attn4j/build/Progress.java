package org.attn4j.build;

import java.io.PrintStream;

/** Progress of a long build, shown on a terminal. Implementations must be thread-safe. */
public interface Progress {
  /** A new step of the current artifact started. */
  void step(String what);

  /** Progress that shows nothing. */
  static Progress silent() {
    return what -> {};
  }

  /** Progress printed as {@code [label] step (elapsed)} lines to {@code out}. */
  static Progress printing(PrintStream out, String label) {
    long t0 = System.nanoTime();
    return what -> out.printf("  [%s] %-28s %6.1f s%n", label, what, (System.nanoTime() - t0) / 1e9);
  }
}
