package org.attn4j.tvm;

import java.util.ArrayList;
import java.util.List;

/**
 * An explicit owner of TVM objects: every object returned by a call made through this scope is released when
 * the scope closes (in reverse order). Scopes are not thread-safe; use one per thread of work.
 *
 * <pre>{@code
 * try (ObjectScope scope = new ObjectScope()) {
 *   TvmObject target = scope.call("target.Target", "llvm -mcpu=x86-64-v3").asObject();
 *   ...
 * } // everything released here
 * }</pre>
 */
public final class ObjectScope implements AutoCloseable {
  private final List<AutoCloseable> owned = new ArrayList<>();
  private boolean closed;

  /** Creates an empty scope; caller must close. */
  public ObjectScope() {
    TvmNatives.ensureRuntime();
  }

  /** Calls the global packed function {@code name}; an object result is owned by this scope. */
  public TvmValue call(String name, Object... args) {
    return TvmGlobal.get(name).call(this, args);
  }

  /** Like {@link #call} for functions that must return a TVM object. */
  public TvmObject obj(String name, Object... args) {
    return call(name, args).asObject();
  }

  /** Takes ownership of {@code resource}: it is closed with this scope. Returns it. */
  public <T extends AutoCloseable> T own(T resource) {
    checkOpen();
    owned.add(resource);
    return resource;
  }

  /** Number of objects owned so far. */
  public int size() {
    return owned.size();
  }

  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("ObjectScope used after close()");
    }
  }

  /** Releases every owned object; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    RuntimeException first = null;
    for (int i = owned.size() - 1; i >= 0; i--) {
      try {
        owned.get(i).close();
      } catch (Exception e) {
        if (first == null) {
          first = new IllegalStateException("closing a TVM object failed", e);
        }
      }
    }
    owned.clear();
    if (first != null) {
      throw first;
    }
  }
}
