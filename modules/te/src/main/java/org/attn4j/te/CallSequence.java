package org.attn4j.te;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.tvm.ObjectScope;
import org.attn4j.tvm.TvmObject;

/**
 * A TIR function that runs other functions of the same module one after the other: it takes its own arguments,
 * allocates workspaces for the tensors passed between the functions, and calls each function through its exported
 * symbol with TVM's C packed-function convention ({@code tvm_call_cpacked}: a direct call, linked with the module,
 * no lookup in a registry; each callee checks its arguments as on any call, and the first error returns with its
 * message). The module is one library with one entry for the runtime, which loads no compiler for it.
 *
 * <pre>{@code
 * CallSequence seq = new CallSequence(te);
 * seq.param(x);  seq.param(out);                 // the function's arguments, in order
 * seq.workspace(y);                               // [b, n, d], allocated per call (TVM's workspace pool)
 * seq.call("k_first", List.of(x, y));
 * seq.call("k_second", List.of(y, out));
 * TvmObject entry = seq.function("k");
 * }</pre>
 *
 * Tensors are the graph's (each given once, as an argument or as a workspace); their symbolic dims become the
 * function's {@code int64} size variables, one per name. Arguments are compact buffers with
 * {@link #ARGUMENT_ALIGNMENT}-byte alignment.
 */
public final class CallSequence {
  /** The data alignment, in bytes, the function assumes for its arguments (what Arrow buffers guarantee). */
  public static final int ARGUMENT_ALIGNMENT = 16;

  private final Te te;
  private final ObjectScope s;
  private final Map<String, Var> dims = new LinkedHashMap<>();
  private final Map<Tensor, TvmObject> buffers = new IdentityHashMap<>();
  private final List<Object> params = new ArrayList<>();
  private final List<Object> bufferMap = new ArrayList<>();
  private final List<TvmObject> workspaces = new ArrayList<>();
  private final List<TvmObject> calls = new ArrayList<>();

  /** An empty sequence in {@code te}'s scope. */
  public CallSequence(Te te) {
    this.te = te;
    this.s = te.scope();
  }

  /**
   * The next argument of the function: a compact buffer of {@code t}'s dtype and shape, named as {@code t}.
   *
   * @throws IllegalArgumentException if {@code t} was given before
   */
  public void param(Tensor t) {
    TvmObject buf = buffer(t, ARGUMENT_ALIGNMENT);
    TvmObject handle = s.obj("tir.Var", "var_" + t.getName(), "handle", null);
    params.add(handle);
    bufferMap.add(handle);
    bufferMap.add(buf);
  }

  /**
   * A workspace of {@code t}'s dtype and shape, allocated for each call of the function and freed after it.
   *
   * @throws IllegalArgumentException if {@code t} was given before
   */
  public void workspace(Tensor t) {
    workspaces.add(buffer(t, 64));
  }

  /**
   * Appends a call of the function exported as {@code symbol} (in the same module) with {@code args}, each an
   * argument or a workspace of this sequence.
   *
   * @throws IllegalArgumentException if an argument was not given to {@link #param} or {@link #workspace}
   */
  public void call(String symbol, List<Tensor> args) {
    List<Object> callArgs = new ArrayList<>();
    callArgs.add(s.obj("tir.StringImm", symbol, null));
    for (Tensor t : args) {
      TvmObject buf = buffers.get(t);
      if (buf == null) {
        throw new IllegalArgumentException(symbol + ": argument " + t.getName() + ": expected a tensor given to"
            + " param or workspace, got one that is neither");
      }
      callArgs.add(pack(buf));
    }
    // the convention's last argument, the callee's resource handle: none
    callArgs.add(intrinsic("handle", "tir.reinterpret", s.obj("ir.IntImm", "uint64", 0L, null)));
    calls.add(s.obj("tir.Evaluate", intrinsic("int32", "tir.tvm_call_cpacked", callArgs.toArray()), null));
  }

  /**
   * The function, exported as {@code name}: the calls in order, inside the workspaces' allocations.
   *
   * @throws IllegalStateException if no call was added
   */
  public TvmObject function(String name) {
    if (calls.isEmpty()) {
      throw new IllegalStateException(name + ": expected at least one call, got none");
    }
    TvmObject body = calls.size() == 1 ? calls.get(0) : s.obj("tir.SeqStmt", s.obj("runtime.Array",
        calls.toArray()), null);
    for (int i = workspaces.size() - 1; i >= 0; i--) {
      TvmObject buf = workspaces.get(i);
      body = s.obj("tir.Allocate", attr(buf, "data"), s.call("node.NodeGetAttr", buf, "dtype").asString(),
          attr(buf, "shape"), te.constant(1, DType.BOOL).node, s.obj("tir.DeclBuffer", buf, body, null),
          s.obj("runtime.Map"), null);
    }
    TvmObject func = s.obj("tir.PrimFunc", s.obj("runtime.Array", params.toArray()), body, null,
        s.obj("runtime.Map", bufferMap.toArray()), null, null);
    func = s.obj("ir.BaseFuncWithAttr", func, "global_symbol", name);
    return s.obj("ir.BaseFuncWithAttr", func, "tir.noalias", te.constant(1, DType.BOOL).node);
  }

  /** A compact buffer for {@code t}, its dims in this function's int64 sizes. */
  private TvmObject buffer(Tensor t, int alignment) {
    if (buffers.containsKey(t)) {
      throw new IllegalArgumentException(t.getName() + ": expected a tensor not given before, got it twice");
    }
    List<Expr> shape = new ArrayList<>();
    for (Expr d : t.getShape()) {
      if (d instanceof Var v) {
        shape.add(dims.computeIfAbsent(v.getName(), k -> te.sizeVar(k, DType.INT64)));
      } else {
        shape.add(te.constant(d.getIntConstant().orElseThrow(() -> new IllegalArgumentException(t.getName()
            + ": expected dims that are integers or size variables, got " + d)), DType.INT64));
      }
    }
    String name = Schedule.blockName(t.getName());
    TvmObject ptr = s.obj("ir.PointerType", s.obj("ir.PrimType", t.getDtype().getTvmName()), "global");
    TvmObject buf = s.obj("tir.Buffer", s.obj("tir.Var", name, ptr, null), t.getDtype().getTvmName(),
        te.array(shape.toArray(Expr[]::new)), s.obj("runtime.Array"), te.constant(0, DType.INT64).node, name,
        alignment, 1, "", s.obj("runtime.Array"), null);
    buffers.put(t, buf);
    return buf;
  }

  /** {@code tvm_stack_make_array}: a DLTensor on the caller's stack describing {@code buf} (compact, offset 0). */
  private TvmObject pack(TvmObject buf) {
    TvmObject shape = attr(buf, "shape");
    long rank = s.call("runtime.ArraySize", shape).asLong();
    Object[] dimsOf = new Object[(int) rank];
    for (int i = 0; i < rank; i++) {
      dimsOf[i] = s.obj("runtime.ArrayGetItem", shape, i);
    }
    String dtype = s.call("node.NodeGetAttr", buf, "dtype").asString();
    return intrinsic("handle", "tir.tvm_stack_make_array", attr(buf, "data"),
        intrinsic("handle", "tir.tvm_stack_make_shape", dimsOf), te.constant(0, DType.INT32).node,
        te.constant(rank, DType.INT32).node, te.constant(0, DType.fromTvmName(dtype)).node, attr(buf, "elem_offset"));
  }

  private TvmObject intrinsic(String dtype, String op, Object... args) {
    return s.obj("tir.Call", dtype, s.obj("ir.GetOp", op), s.obj("runtime.Array", args), null);
  }

  private TvmObject attr(TvmObject node, String field) {
    return s.obj("node.NodeGetAttr", node, field);
  }
}
