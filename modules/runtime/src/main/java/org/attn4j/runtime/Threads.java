package org.attn4j.runtime;

import org.attn4j.tvm.TvmGlobal;
import org.attn4j.tvm.TvmNatives;

/**
 * The size of TVM's CPU thread pool, which runs the parallel loops of CPU kernels. TVM sizes it once per process,
 * from the environment variable {@code TVM_NUM_THREADS} or, without it, from the core count, which on x86 it
 * halves (assuming two hardware threads per core): on a 2-vCPU machine kernels then run on one thread. Set
 * {@code TVM_NUM_THREADS} before the JVM starts to choose; the pool cannot grow past that from inside.
 */
public final class Threads {
  private Threads() {}

  /** The number of threads CPU kernels run on in this process. */
  public static int count() {
    TvmNatives.ensureRuntime();
    return (int) TvmGlobal.get("runtime.NumThreads").call(null).asLong();
  }
}
