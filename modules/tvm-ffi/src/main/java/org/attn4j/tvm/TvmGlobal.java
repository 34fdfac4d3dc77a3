package org.attn4j.tvm;

import static org.bytedeco.tvm.global.tvm_runtime.TVMCFuncSetReturn;
import static org.bytedeco.tvm.global.tvm_runtime.TVMFuncCreateFromCFunc;
import static org.bytedeco.tvm.global.tvm_runtime.TVMFuncGetGlobal;
import static org.bytedeco.tvm.global.tvm_runtime.TVMFuncRegisterGlobal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tvm.TVMFunctionHandle;
import org.bytedeco.tvm.TVMPackedCFunc;
import org.bytedeco.tvm.TVMRetValueHandle;
import org.bytedeco.tvm.TVMValue;
import org.jspecify.annotations.Nullable;

/**
 * A global packed function of TVM's registry (e.g. {@code "te.Placeholder"}), looked up once and kept for the
 * life of the process. Also registers Java callbacks as global packed functions.
 */
public final class TvmGlobal {
  private static final Map<String, TvmGlobal> CACHE = new ConcurrentHashMap<>();
  /** Callbacks must stay reachable while TVM may call them: for the life of the process. */
  private static final Map<String, TVMPackedCFunc> CALLBACKS = new ConcurrentHashMap<>();

  private final String name;
  private final TVMFunctionHandle handle;

  private TvmGlobal(String name, TVMFunctionHandle handle) {
    this.name = name;
    this.handle = handle;
  }

  /**
   * The global function {@code name}.
   *
   * @throws TvmException if TVM has no such function (for compiler functions: when only the runtime is loaded)
   */
  public static TvmGlobal get(String name) {
    TvmGlobal g = CACHE.get(name);
    if (g != null) {
      return g;
    }
    TvmNatives.ensureRuntime();
    TVMFunctionHandle h = new TVMFunctionHandle();
    TvmCall.check(TVMFuncGetGlobal(name, h), "TVMFuncGetGlobal(" + name + ")");
    if (h.isNull()) {
      throw new TvmException(name, "no such global function in the loaded TVM ("
          + TvmNatives.loadedFlavor() + ")");
    }
    g = new TvmGlobal(name, h);
    TvmGlobal prev = CACHE.putIfAbsent(name, g);
    return prev != null ? prev : g;
  }

  /** Whether TVM has a global function {@code name}. */
  public static boolean exists(String name) {
    try {
      get(name);
      return true;
    } catch (TvmException e) {
      return false;
    }
  }

  /** The function's registered name. */
  public String getName() {
    return name;
  }

  /**
   * Calls the function. Arguments: {@code null}, {@link Long}/{@link Integer}/{@link Boolean} (int),
   * {@link Double}/{@link Float}, {@link String}, {@link TvmObject}, {@link TvmModule}, {@link TvmFunction}.
   * An object result is owned by {@code scope}; when {@code scope} is null the caller must close it.
   *
   * @throws TvmException with TVM's message if the call fails
   */
  public TvmValue call(@Nullable ObjectScope scope, Object... args) {
    if (scope != null) {
      scope.checkOpen();
    }
    return TvmCall.call(handle, name, scope, args);
  }

  /** A Java function callable from TVM: receives Long, Double, String or null arguments. */
  @FunctionalInterface
  public interface Callback {
    /**
     * Handles one call from TVM. Returns a {@link String}, {@link Long}, {@link Double} or null. An exception
     * is reported to TVM as the call's error (its message becomes TVM's error message).
     */
    @Nullable Object apply(List<@Nullable Object> args) throws Exception;
  }

  /**
   * Registers {@code callback} as the global packed function {@code name}, replacing an earlier one. The
   * callback stays registered for the life of the process.
   */
  public static void register(String name, Callback callback) {
    TvmNatives.ensureRuntime();
    TVMPackedCFunc fn =
        new TVMPackedCFunc() {
          @Override
          public int call(
              TVMValue args, IntPointer codes, int n, TVMRetValueHandle ret, Pointer resource) {
            try {
              List<@Nullable Object> in = new ArrayList<>(n);
              for (int i = 0; i < n; i++) {
                TVMValue v = new TVMValue(args).position(i);
                int code = codes.get(i);
                in.add(switch (code) {
                  case TvmCall.INT, 15 -> v.v_int64();
                  case TvmCall.FLOAT -> v.v_float64();
                  case TvmCall.STR -> v.v_str().getString();
                  case TvmCall.NULL -> null;
                  default -> "<type code " + code + ">";
                });
              }
              Object out = callback.apply(in);
              setReturn(ret, out);
              return 0;
            } catch (Throwable e) {
              org.bytedeco.tvm.global.tvm_runtime.TVMAPISetLastError(
                  name + " (Java callback) failed: " + e);
              return -1;
            }
          }
        };
    TVMFunctionHandle h = new TVMFunctionHandle();
    TvmCall.check(TVMFuncCreateFromCFunc(fn, null, null, h), "TVMFuncCreateFromCFunc(" + name + ")");
    TvmCall.check(TVMFuncRegisterGlobal(name, h, 1), "TVMFuncRegisterGlobal(" + name + ")");
    CALLBACKS.put(name, fn);
    CACHE.remove(name);
  }

  private static void setReturn(TVMRetValueHandle ret, @Nullable Object out) {
    try (TVMValue v = new TVMValue(1); IntPointer code = new IntPointer(1)) {
      BytePointer keep = null;
      if (out == null) {
        code.put(0, TvmCall.NULL);
      } else if (out instanceof String s) {
        keep = new BytePointer(s);
        v.v_str(keep);
        code.put(0, TvmCall.STR);
      } else if (out instanceof Double || out instanceof Float) {
        v.v_float64(((Number) out).doubleValue());
        code.put(0, TvmCall.FLOAT);
      } else {
        v.v_int64(((Number) out).longValue());
        code.put(0, TvmCall.INT);
      }
      TvmCall.check(TVMCFuncSetReturn(ret, v, code, 1), "TVMCFuncSetReturn");
      if (keep != null) {
        keep.close();
      }
    }
  }

  @Override
  public String toString() {
    return "TvmGlobal(" + name + ")";
  }
}
