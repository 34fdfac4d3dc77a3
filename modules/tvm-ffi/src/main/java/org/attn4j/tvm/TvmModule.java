package org.attn4j.tvm;

import static org.bytedeco.tvm.global.tvm_runtime.TVMModFree;
import static org.bytedeco.tvm.global.tvm_runtime.TVMModGetFunction;
import static org.bytedeco.tvm.global.tvm_runtime.TVMModLoadFromFile;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.tvm.TVMFunctionHandle;
import org.bytedeco.tvm.TVMModuleHandle;

/**
 * A TVM runtime module: a compiled library loaded from a shared object, or a module produced by the compiler.
 * Caller must close; {@link #close()} is idempotent. Functions obtained from a module keep it alive in TVM, so
 * they stay valid after the module is closed.
 */
public final class TvmModule implements AutoCloseable {
  private TVMModuleHandle handle;
  private final String origin;
  private boolean closed;

  TvmModule(TVMModuleHandle handle, String origin) {
    this.handle = handle;
    this.origin = origin;
  }

  /**
   * Loads a compiled module from a shared library ({@code .so}) with {@code libtvm_runtime} only. Caller must
   * close.
   *
   * @throws IllegalArgumentException if the file does not exist
   * @throws TvmException with TVM's message if loading fails
   */
  public static TvmModule load(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("module file: expected an existing file, got " + file);
    }
    TvmNatives.ensureRuntime();
    TVMModuleHandle h = new TVMModuleHandle();
    TvmCall.check(TVMModLoadFromFile(file.toAbsolutePath().toString(), "", h), "load module " + file);
    return new TvmModule(h, file.toString());
  }

  TVMModuleHandle handle() {
    if (closed) {
      throw new IllegalStateException("module " + origin + " was used after close()");
    }
    return handle;
  }

  /**
   * The function {@code name} of this module or its imports. Caller must close it.
   *
   * @throws TvmException if the module has no such function
   */
  public TvmFunction getFunction(String name) {
    TVMFunctionHandle f = new TVMFunctionHandle();
    TvmCall.check(TVMModGetFunction(handle(), name, 1, f), "get function " + name + " of " + origin);
    if (f.isNull()) {
      throw new TvmException("module " + origin, "has no function named '" + name + "'");
    }
    return new TvmFunction(f, name, true);
  }

  /** Whether the module (or one of its imports) has a function {@code name}. */
  public boolean hasFunction(String name) {
    TVMFunctionHandle f = new TVMFunctionHandle();
    TvmCall.check(TVMModGetFunction(handle(), name, 1, f), "get function " + name + " of " + origin);
    if (f.isNull()) {
      return false;
    }
    new TvmFunction(f, name, true).close();
    return true;
  }

  /** Where the module came from (a path or the call that produced it). */
  public String getOrigin() {
    return origin;
  }

  /** Releases the module; idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      TVMModFree(handle);
      handle.setNull();
    }
  }

  @Override
  public String toString() {
    return "TvmModule(" + origin + (closed ? ", closed)" : ")");
  }
}
