package org.attn4j.tvm;

import static org.bytedeco.tvm.global.tvm_runtime.TVMFuncCall;
import static org.bytedeco.tvm.global.tvm_runtime.TVMGetLastError;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tvm.TVMFunctionHandle;
import org.bytedeco.tvm.TVMModuleHandle;
import org.bytedeco.tvm.TVMObjectHandle;
import org.bytedeco.tvm.TVMValue;
import org.jspecify.annotations.Nullable;

/** Marshalling of Java values to TVM's packed-call ABI (type codes of TVM 0.18's c_runtime_api.h). */
final class TvmCall {
  static final int INT = 0;
  static final int FLOAT = 2;
  static final int NULL = 4;
  static final int DLTENSOR = 7;
  static final int OBJECT = 8;
  static final int MODULE = 9;
  static final int FUNC = 10;
  static final int STR = 11;

  private TvmCall() {}

  /** Throws a {@link TvmException} with TVM's last error when {@code rc != 0}. */
  static void check(int rc, String what) {
    if (rc != 0) {
      BytePointer p = TVMGetLastError();
      String msg = p == null || p.isNull() ? "(no message)" : p.getString();
      throw new TvmException(what, TvmException.clean(msg));
    }
  }

  /** Calls {@code fn} with Java arguments; object results are owned by {@code scope} (or must be closed). */
  static TvmValue call(TVMFunctionHandle fn, String name, @Nullable ObjectScope scope, Object... args) {
    int n = args.length;
    List<Pointer> keepAlive = new ArrayList<>();
    try (TVMValue values = new TVMValue(Math.max(1, n));
        IntPointer codes = new IntPointer(Math.max(1, n));
        TVMValue ret = new TVMValue(1);
        IntPointer retCode = new IntPointer(1)) {
      for (int i = 0; i < n; i++) {
        TVMValue v = values.getPointer(i);
        codes.put(i, encode(args[i], v, keepAlive, name, i));
      }
      check(TVMFuncCall(fn, values, codes, n, ret, retCode), name);
      return new TvmValue(decode(ret, retCode.get(0), scope, name), name);
    } finally {
      for (Pointer p : keepAlive) {
        p.close();
      }
    }
  }

  static String dataTypeName(int code, int bits, int lanes) {
    String base = switch (code) {
      case 0 -> "int" + bits;
      case 1 -> bits == 1 ? "bool" : "uint" + bits;
      case 2 -> "float" + bits;
      case 3 -> "handle";
      case 4 -> "bfloat" + bits;
      default -> "type" + code + "_" + bits;
    };
    return lanes == 1 ? base : base + "x" + lanes;
  }

  private static int encode(@Nullable Object a, TVMValue v, List<Pointer> keepAlive, String name, int i) {
    if (a == null) {
      v.v_handle(null);
      return NULL;
    } else if (a instanceof TvmObject o) {
      v.v_handle(o.handle());
      return OBJECT;
    } else if (a instanceof TvmModule m) {
      v.v_handle(m.handle());
      return MODULE;
    } else if (a instanceof TvmFunction f) {
      v.v_handle(f.handle());
      return FUNC;
    } else if (a instanceof String s) {
      BytePointer bp = new BytePointer(s);
      keepAlive.add(bp);
      v.v_str(bp);
      return STR;
    } else if (a instanceof Boolean b) {
      v.v_int64(b ? 1 : 0);
      return INT;
    } else if (a instanceof Integer || a instanceof Long || a instanceof Short || a instanceof Byte) {
      v.v_int64(((Number) a).longValue());
      return INT;
    } else if (a instanceof Float || a instanceof Double) {
      v.v_float64(((Number) a).doubleValue());
      return FLOAT;
    } else if (a instanceof org.bytedeco.tvm.DLTensor t) {
      v.v_handle(t);
      return DLTENSOR;
    }
    throw new IllegalArgumentException(
        name + ": argument " + i + " has unsupported type " + a.getClass().getName());
  }

  static @Nullable Object decode(TVMValue ret, int code, @Nullable ObjectScope scope, String name) {
    switch (code) {
      case INT:
      case 15: // kTVMArgBool
        return ret.v_int64();
      case FLOAT:
        return ret.v_float64();
      case NULL:
        return null;
      case 5: { // kTVMDataType
        org.bytedeco.tvm.DLDataType t = ret.v_type();
        return dataTypeName(t.code() & 0xff, t.bits() & 0xff, t.lanes() & 0xffff);
      }
      case STR: {
        BytePointer s = ret.v_str();
        return s == null ? "" : s.getString();
      }
      case OBJECT: {
        Pointer h = ret.v_handle();
        if (h == null || h.isNull()) {
          return null;
        }
        TvmObject o = new TvmObject(new TVMObjectHandle(h));
        return scope == null ? o : scope.own(o);
      }
      case MODULE: {
        TvmModule m = new TvmModule(new TVMModuleHandle(ret.v_handle()), name);
        return scope == null ? m : scope.own(m);
      }
      case FUNC: {
        TvmFunction f = new TvmFunction(new TVMFunctionHandle(ret.v_handle()), name, true);
        return scope == null ? f : scope.own(f);
      }
      default:
        throw new TvmException(name, "returned a value of unsupported type code " + code);
    }
  }
}
