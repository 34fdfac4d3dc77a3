package org.attn4j.tvm;

import static org.bytedeco.tvm.global.tvm_runtime.TVMFuncCall;
import static org.bytedeco.tvm.global.tvm_runtime.TVMFuncFree;

import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.tvm.DLTensor;
import org.bytedeco.tvm.TVMFunctionHandle;
import org.bytedeco.tvm.TVMValue;
import org.jspecify.annotations.Nullable;

/**
 * A packed function handle (a kernel of a module, or a function returned by TVM). Caller must close;
 * {@link #close()} is idempotent.
 *
 * <p>For kernels called many times, {@link #newFrame(int)} gives a reusable argument frame: no native
 * allocation per call.
 */
public final class TvmFunction implements AutoCloseable {
  private TVMFunctionHandle handle;
  private final String name;
  private final boolean owned;
  private boolean closed;

  TvmFunction(TVMFunctionHandle handle, String name, boolean owned) {
    this.handle = handle;
    this.name = name;
    this.owned = owned;
  }

  TVMFunctionHandle handle() {
    if (closed) {
      throw new IllegalStateException("function " + name + " was used after close()");
    }
    return handle;
  }

  /** The function's name. */
  public String getName() {
    return name;
  }

  /** Calls with Java values (see {@link TvmGlobal#call}). */
  public TvmValue call(@Nullable ObjectScope scope, Object... args) {
    return TvmCall.call(handle(), name, scope, args);
  }

  /** A reusable frame of {@code arity} arguments for this function; caller must close. */
  public Frame newFrame(int arity) {
    return new Frame(arity);
  }

  /**
   * Preallocated packed-call arguments: set each slot, then {@link #invoke()}. Not thread-safe: one frame per
   * thread.
   */
  public final class Frame implements AutoCloseable {
    private final TVMValue values;
    private final IntPointer codes;
    private final TVMValue ret = new TVMValue(1);
    private final IntPointer retCode = new IntPointer(1);
    private final int arity;
    private boolean closed;

    private Frame(int arity) {
      this.arity = arity;
      this.values = new TVMValue(Math.max(arity, 1));
      this.codes = new IntPointer(Math.max(arity, 1));
    }

    /** Puts a DLTensor (borrowed; must stay alive until {@link #invoke()} returns) into slot {@code i}. */
    public void setTensor(int i, DLTensor tensor) {
      values.getPointer(i).v_handle(tensor);
      codes.put(i, TvmCall.DLTENSOR);
    }

    /** Puts an integer into slot {@code i}. */
    public void setLong(int i, long v) {
      values.getPointer(i).v_int64(v);
      codes.put(i, TvmCall.INT);
    }

    /** Puts a float into slot {@code i}. */
    public void setDouble(int i, double v) {
      values.getPointer(i).v_float64(v);
      codes.put(i, TvmCall.FLOAT);
    }

    /**
     * Calls the function with the frame's arguments.
     *
     * @throws TvmException with TVM's message (shape/dtype checks of the compiled wrapper, kernel errors)
     */
    public void invoke() {
      if (closed) {
        throw new IllegalStateException("frame of " + name + " was used after close()");
      }
      TvmCall.check(TVMFuncCall(handle(), values, codes, arity, ret, retCode), name);
    }

    /** Frees the frame; idempotent. */
    @Override
    public void close() {
      if (!closed) {
        closed = true;
        values.close();
        codes.close();
        ret.close();
        retCode.close();
      }
    }
  }

  /** Releases the handle; idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      if (owned) {
        TVMFuncFree(handle);
      }
      handle.setNull();
    }
  }

  @Override
  public String toString() {
    return "TvmFunction(" + name + ")";
  }
}
