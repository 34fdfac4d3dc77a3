package org.attn4j.tvm;

import static org.bytedeco.tvm.global.tvm_runtime.TVMObjectFree;
import static org.bytedeco.tvm.global.tvm_runtime.TVMObjectGetTypeIndex;
import static org.bytedeco.tvm.global.tvm_runtime.TVMObjectTypeIndex2Key;

import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.tvm.TVMObjectHandle;

/**
 * One reference to a TVM object (an IR node, an Array, a Map, a Target...). Owned: {@link #close()} releases the
 * reference (idempotent). Objects are normally owned by an {@link ObjectScope}, which closes them all at once;
 * using an object after close throws {@link IllegalStateException} naming it.
 */
public final class TvmObject implements AutoCloseable {
  private static final AtomicLong LIVE = new AtomicLong();
  private TVMObjectHandle handle;
  private boolean closed;

  TvmObject(TVMObjectHandle handle) {
    this.handle = handle;
    LIVE.incrementAndGet();
  }

  /** Number of TVM object references held by Java right now, process-wide (for leak checks in tests). */
  public static long liveCount() {
    return LIVE.get();
  }

  /** The raw handle, borrowed. */
  TVMObjectHandle handle() {
    if (closed) {
      throw new IllegalStateException("TVM object " + handle.address() + " was used after close()");
    }
    return handle;
  }

  /** Whether this reference was released. */
  public boolean isClosed() {
    return closed;
  }

  /** TVM's type key of the object, e.g. {@code "tir.Add"} or {@code "te.Tensor"}. */
  public String getTypeKey() {
    int[] index = new int[1];
    TvmCall.check(TVMObjectGetTypeIndex(handle(), index), "TVMObjectGetTypeIndex");
    try (PointerPointer<BytePointer> out = new PointerPointer<>(1)) {
      TvmCall.check(TVMObjectTypeIndex2Key(index[0], out), "TVMObjectTypeIndex2Key");
      return out.getString(0);
    }
  }

  /** Releases this reference; idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      TVMObjectFree(handle);
      handle.setNull();
      LIVE.decrementAndGet();
    }
  }

  @Override
  public String toString() {
    return closed ? "TvmObject(closed)" : "TvmObject(" + Long.toHexString(handle.address()) + ")";
  }
}
