package org.attn4j.te;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.attn4j.tvm.ObjectScope;
import org.attn4j.tvm.TvmObject;

/**
 * Builds a TIR function as an explicit loop nest, for kernels whose control flow a tensor expression cannot state
 * (loop bounds that depend on outer loops, online softmax, row scans). Statements are written in program order
 * through lambdas:
 *
 * <pre>{@code
 * LoopNest ln = new LoopNest(te);
 * LoopNest.Buf x = ln.param("x", DType.FLOAT32, n);
 * LoopNest.Buf tmp = ln.allocate("tmp", DType.FLOAT32, 16, "local");
 * ln.loop("i", n, LoopNest.Kind.PARALLEL, i -> ln.store(x, x.get(i).times(2.0), i));
 * TvmObject f = ln.function("my_kernel");
 * }</pre>
 *
 * <p>An allocation or a {@link #let} covers the statements that follow it in the same loop body. Buffers are
 * flat or multi-dimensional; parameters become the function's arguments in declaration order.
 */
public final class LoopNest {
  /** How a loop runs (TVM's {@code ForKind}). */
  public enum Kind {
    /** In order. */
    SERIAL,
    /** Iterations spread over the thread pool. */
    PARALLEL,
    /** One vector instruction per iteration group. */
    VECTORIZED,
    /** Unrolled at compile time. */
    UNROLLED
  }

  /** A buffer: a function argument or an allocation. */
  public final class Buf {
    private final TvmObject node;
    private final TvmObject data;
    private final DType dtype;
    private final String name;
    private final int rank;

    private Buf(TvmObject node, TvmObject data, DType dtype, String name, int rank) {
      this.node = node;
      this.data = data;
      this.dtype = dtype;
      this.name = name;
      this.rank = rank;
    }

    /** The number of dimensions. */
    public int getRank() {
      return rank;
    }

    /** The element at {@code indices}. */
    public Expr get(Expr... indices) {
      return te.wrap(scope.obj("tir.BufferLoad", node, te.array(indices), null, null), dtype);
    }

    /** The TIR buffer. */
    public TvmObject getNode() {
      return node;
    }

    /** The element type. */
    public DType getDtype() {
      return dtype;
    }

    /** The buffer's name. */
    public String getName() {
      return name;
    }
  }

  private final Te te;
  private final ObjectScope scope;
  private final Deque<List<Object>> frames = new ArrayDeque<>();
  private final List<Object> params = new ArrayList<>();
  private final Map<Object, Object> bufferMap = new LinkedHashMap<>();

  /** An empty function body in {@code te}'s scope. */
  public LoopNest(Te te) {
    this.te = te;
    this.scope = te.scope();
    frames.push(new ArrayList<>());
  }

  /**
   * A function argument: a compact buffer of {@code shape} whose data is at least {@code alignment}-byte
   * aligned.
   */
  public Buf param(String name, DType dtype, int alignment, Expr... shape) {
    TvmObject handle = scope.obj("tir.Var", "var_" + name, "handle", null);
    TvmObject data = scope.obj("tir.Var", name, pointer(dtype, "global"), null);
    TvmObject buf = buffer(data, dtype, name, alignment, shape);
    params.add(handle);
    bufferMap.put(handle, buf);
    return new Buf(buf, data, dtype, name, shape.length);
  }

  /** Allocates {@code size} elements in {@code storageScope} (e.g. {@code "local"}) for the rest of this body. */
  public Buf allocate(String name, DType dtype, long size, String storageScope) {
    TvmObject data = scope.obj("tir.Var", name, pointer(dtype, storageScope), null);
    Expr extent = te.constant(size, DType.INT64);
    TvmObject buf = buffer(data, dtype, name, 64, extent);
    frames.peek().add(new Alloc(data, dtype, extent, buf));
    return new Buf(buf, data, dtype, name, 1);
  }

  /** Binds {@code value} to a new variable for the rest of this body; returns the variable. */
  public Var let(String name, Expr value) {
    Var v = te.var(name, value.getDtype());
    frames.peek().add(new Let(v, value));
    return v;
  }

  /** {@code buf[indices] = value}. */
  public void store(Buf buf, Expr value, Expr... indices) {
    Expr v = value.getDtype() == buf.dtype ? value : value.cast(buf.dtype);
    frames.peek().add(scope.obj("tir.BufferStore", buf.node, v.node, te.array(indices), null, null));
  }

  /** {@code for (v = 0; v < extent; v++) body(v)}, of {@code kind}. */
  public void loop(String name, Expr extent, Kind kind, Consumer<Var> body) {
    Var v = te.var(name, extent.getDtype());
    frames.push(new ArrayList<>());
    body.accept(v);
    TvmObject stmt = close(frames.pop());
    frames.peek().add(scope.obj("tir.For", v.node, te.constant(0, extent.getDtype()).node, extent.node,
        kind.ordinal(), stmt, null, scope.obj("runtime.Map"), null));
  }

  /** A loop over a constant extent (int64 index). */
  public void loop(String name, long extent, Kind kind, Consumer<Var> body) {
    loop(name, te.constant(extent, DType.INT64), kind, body);
  }

  /** {@code if (cond) then}. */
  public void ifThen(Expr cond, Runnable then) {
    frames.push(new ArrayList<>());
    then.run();
    TvmObject stmt = close(frames.pop());
    frames.peek().add(scope.obj("tir.IfThenElse", cond.node, stmt, null, null));
  }

  /**
   * A loop bound to a GPU thread axis ({@code blockIdx.x}, {@code threadIdx.x}, ...): each iteration runs on its
   * own block or thread. Loops of one body bound to the same axis name the same hardware index (write phases
   * separated by {@link #sync()}). The loop variable is int32, as CUDA's indices are.
   */
  public void threadLoop(String name, Expr extent, String threadTag, Consumer<Var> body) {
    Expr ext = extent.getDtype() == DType.INT32 ? extent : extent.cast(DType.INT32);
    Var v = te.var(name, DType.INT32);
    frames.push(new ArrayList<>());
    body.accept(v);
    TvmObject stmt = close(frames.pop());
    Expr zero = te.constant(0, DType.INT32);
    TvmObject range = scope.obj("ir.Range", zero.node, ext.node, null);
    TvmObject iv = scope.obj("tir.IterVar", range, te.var(threadTag, DType.INT32).node, 1, threadTag, null);
    frames.peek().add(scope.obj("tir.For", v.node, zero.node, ext.node, 4, stmt, iv, scope.obj("runtime.Map"),
        null));
  }

  /** A barrier for the threads of a GPU block over shared memory ({@code __syncthreads()}). */
  public void sync() {
    TvmObject op = scope.obj("ir.GetOp", "tir.tvm_storage_sync");
    TvmObject scopeName = scope.obj("tir.StringImm", "shared", null);
    frames.peek().add(scope.obj("tir.Evaluate",
        scope.obj("tir.Call", "int32", op, scope.obj("runtime.Array", scopeName), null), null));
  }


  /** Evaluates {@code call} for its side effect (an intrinsic such as {@code tir.ptx_mma}). */
  public void evaluate(Expr call) {
    frames.peek().add(scope.obj("tir.Evaluate", call.node, null));
  }

  /**
   * A call of TVM's built-in operator {@code op} (e.g. {@code tir.ptx_mma}, {@code tir.tvm_warp_shuffle}) returning
   * {@code type}. Each argument is an {@link Expr}, a {@link String} (a string immediate), a {@link Buf} (its data
   * pointer) or a {@link Boolean}.
   *
   * @throws IllegalArgumentException for an argument of another kind
   */
  public Expr intrinsic(String op, DType type, Object... args) {
    Object[] nodes = new Object[args.length];
    for (int i = 0; i < args.length; i++) {
      Object a = args[i];
      if (a instanceof Expr e) {
        nodes[i] = e.node;
      } else if (a instanceof String s) {
        nodes[i] = scope.obj("tir.StringImm", s, null);
      } else if (a instanceof Buf b) {
        nodes[i] = b.data;
      } else if (a instanceof Boolean flag) {
        nodes[i] = te.constant(flag ? 1 : 0, DType.BOOL).node;
      } else {
        throw new IllegalArgumentException(op + " argument " + i + ": expected an Expr, String, Buf or Boolean, got "
            + (a == null ? "null" : a.getClass().getName()));
      }
    }
    TvmObject call = scope.obj("tir.Call", type.getTvmName(), scope.obj("ir.GetOp", op),
        scope.obj("runtime.Array", nodes), null);
    return te.wrap(call, type);
  }
  /** The function {@code name} (attribute {@code global_symbol}) made of what was written. */
  public TvmObject function(String name) {
    if (frames.size() != 1) {
      throw new IllegalStateException("a loop or branch is still open");
    }
    TvmObject body = close(frames.peek());
    List<Object> kv = new ArrayList<>();
    bufferMap.forEach((k, v) -> {
      kv.add(k);
      kv.add(v);
    });
    TvmObject func = scope.obj("tir.PrimFunc", scope.obj("runtime.Array", params.toArray()), body,
        null, scope.obj("runtime.Map", kv.toArray()), null, null);
    func = scope.obj("ir.BaseFuncWithAttr", func, "global_symbol", name);
    func = scope.obj("ir.BaseFuncWithAttr", func, "tir.noalias", te.constant(1, DType.BOOL).node);
    return func;
  }

  private record Alloc(TvmObject data, DType dtype, Expr extent, TvmObject buffer) {}

  private record Let(Var var, Expr value) {}

  /** Nests the statements of a body: an allocation or let wraps everything after it. */
  private TvmObject close(List<Object> items) {
    TvmObject tail = null;
    List<TvmObject> seq = new ArrayList<>();
    for (int i = items.size() - 1; i >= 0; i--) {
      Object it = items.get(i);
      if (it instanceof Alloc a) {
        TvmObject rest = seq(seq);
        seq.clear();
        TvmObject decl = scope.obj("tir.DeclBuffer", a.buffer, rest, null);
        seq.add(scope.obj("tir.Allocate", a.data, a.dtype.getTvmName(), te.array(a.extent),
            te.constant(1, DType.BOOL).node, decl, scope.obj("runtime.Map"), null));
      } else if (it instanceof Let l) {
        TvmObject rest = seq(seq);
        seq.clear();
        seq.add(scope.obj("tir.LetStmt", l.var.node, l.value.node, rest, null));
      } else {
        seq.add(0, (TvmObject) it);
      }
    }
    tail = seq(seq);
    return tail;
  }

  private TvmObject seq(List<TvmObject> stmts) {
    if (stmts.isEmpty()) {
      return scope.obj("tir.Evaluate", te.constant(0, DType.INT32).node, null);
    }
    if (stmts.size() == 1) {
      return stmts.get(0);
    }
    return scope.obj("tir.SeqStmt", scope.obj("runtime.Array", stmts.toArray()), null);
  }

  private TvmObject pointer(DType dtype, String storageScope) {
    return scope.obj("ir.PointerType", scope.obj("ir.PrimType", dtype.getTvmName()), storageScope);
  }

  private TvmObject buffer(TvmObject data, DType dtype, String name, int alignment, Expr... shape) {
    return scope.obj("tir.Buffer", data, dtype.getTvmName(), te.array(shape), scope.obj("runtime.Array"),
        te.constant(0, DType.INT64).node, name, alignment, 1, "", scope.obj("runtime.Array"), null);
  }
}
