package org.attn4j.te;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.tvm.ObjectScope;
import org.attn4j.tvm.TvmNatives;
import org.attn4j.tvm.TvmObject;
import org.jspecify.annotations.Nullable;

/**
 * The DSL's context: makes placeholders, compute stages, reductions and math, and owns every IR node made
 * through it (caller must close; closing releases them all). Not thread-safe.
 *
 * <p>Numerical conventions (written once, used by every variant): {@link #exp} is a vectorisable polynomial
 * (Cephes expf, relative error under 2e-7 for fp32 on [-87, 88], clamped outside) because LLVM turns TIR's
 * {@code exp} into scalar libm calls; the "lowest" value of a type is its most negative finite value.
 */
public final class Te implements AutoCloseable {
  private final ObjectScope scope;
  private final Map<Tensor, LoopNest.Buf> bindings = new IdentityHashMap<>();

  private Te() {
    TvmNatives.ensureCompiler(false);
    this.scope = new ObjectScope();
  }

  /** A new context; loads the TVM compiler on first use. Caller must close. */
  public static Te create() {
    return new Te();
  }

  /** The scope owning this context's IR nodes. */
  public ObjectScope scope() {
    return scope;
  }

  // ---- construction helpers -------------------------------------------------------------------------------

  Expr wrap(TvmObject o, DType dtype) {
    return new Expr(this, o, dtype);
  }

  Expr op(String name, Expr a, Expr b) {
    TvmObject o = scope.obj(name, a.node, b.node, null);
    return wrap(o, dtypeOf(o));
  }

  /** The dtype TVM gives a node. */
  DType dtypeOf(TvmObject o) {
    return DType.fromTvmName(scope.call("node.NodeGetAttr", o, "dtype").asString());
  }

  TvmObject array(Expr... items) {
    Object[] nodes = new Object[items.length];
    for (int i = 0; i < items.length; i++) {
      nodes[i] = items[i].node;
    }
    return scope.obj("runtime.Array", nodes);
  }

  /** A TVM Array of objects (for callers building IR directly). */
  public TvmObject arrayOf(Object... items) {
    return scope.obj("runtime.Array", items);
  }

  /** TVM's printed form (TVMScript for functions and modules) of a node. */
  public String repr(TvmObject node) {
    return scope.call("node.AsRepr", node).asString();
  }

  // ---- leaves ------------------------------------------------------------------------------------------

  /** A constant of {@code dtype}. */
  public Expr constant(double value, DType dtype) {
    if (dtype.isFloat()) {
      return wrap(scope.obj("ir.FloatImm", dtype.getTvmName(), value, null), dtype);
    }
    return wrap(scope.obj("ir.IntImm", dtype.getTvmName(), (long) value, null), dtype);
  }

  /** A float32 constant. */
  public Expr f32(double value) {
    return constant(value, DType.FLOAT32);
  }

  /** An int32 constant. */
  public Expr i32(long value) {
    return constant(value, DType.INT32);
  }

  /** The most negative finite value of {@code dtype}. */
  public Expr lowest(DType dtype) {
    return wrap(scope.obj("tir.min_value", dtype.getTvmName(), null), dtype);
  }

  /** A symbolic, non-negative int32 dimension (e.g. the sequence length {@code n}). */
  public Var sizeVar(String name) {
    return new Var(this, scope.obj("tir.SizeVar", name, "int32", null), DType.INT32, name);
  }

  /** A symbolic, non-negative dimension of integer type {@code dtype}. */
  public Var sizeVar(String name, DType dtype) {
    return new Var(this, scope.obj("tir.SizeVar", name, dtype.getTvmName(), null), dtype, name);
  }

  /** A free variable of integer or float type (index maps, let bindings). */
  public Var var(String name, DType dtype) {
    return new Var(this, scope.obj("tir.Var", name, dtype.getTvmName(), null), dtype, name);
  }

  private Expr dim(Object d) {
    if (d instanceof Expr e) {
      return e;
    }
    if (d instanceof Integer || d instanceof Long) {
      return i32(((Number) d).longValue());
    }
    throw new IllegalArgumentException("dimension: expected an Expr or an integer, got " + d);
  }

  /** An input tensor. Dimensions are integers or {@link Expr}s (e.g. a {@link #sizeVar}). */
  public Tensor placeholder(String name, DType dtype, Object... dims) {
    List<Expr> shape = new ArrayList<>();
    for (Object d : dims) {
      shape.add(dim(d));
    }
    TvmObject t = scope.obj("te.Placeholder", array(shape.toArray(Expr[]::new)), dtype.getTvmName(), name);
    return new Tensor(this, t, name, dtype, shape);
  }

  /**
   * Makes {@link Tensor#get} on {@code tensor} read {@code buffer} (a TIR {@code BufferLoad}) until
   * {@link #unbind}: how a loop nest reads the tensors captured by a compute's index lambdas. Borrows both.
   *
   * @throws IllegalArgumentException if the ranks or dtypes differ, or {@code tensor} is already bound
   */
  public void bind(Tensor tensor, LoopNest.Buf buffer) {
    if (buffer.getDtype() != tensor.getDtype() || buffer.getRank() != tensor.getRank()) {
      throw new IllegalArgumentException(tensor.getName() + ": expected a " + tensor.getDtype() + " buffer of rank "
          + tensor.getRank() + ", got " + buffer.getDtype() + " of rank " + buffer.getRank());
    }
    if (bindings.putIfAbsent(tensor, buffer) != null) {
      throw new IllegalArgumentException(tensor.getName() + ": already bound to a buffer");
    }
  }

  /** Ends {@link #bind}: {@code tensor} reads as a TE tensor again; no-op if it is not bound. */
  public void unbind(Tensor tensor) {
    bindings.remove(tensor);
  }

  @Nullable LoopNest.Buf boundBuffer(Tensor tensor) {
    return bindings.isEmpty() ? null : bindings.get(tensor);
  }

  // ---- compute -----------------------------------------------------------------------------------------

  /**
   * A compute stage {@code name} of the given shape whose element at {@code idx} is {@code fn(idx)}. The body
   * is either a plain expression or one reduction ({@link #sum}, {@link #max}) at its root. The stage and
   * TensorIR block carry {@code name}; {@code tag} is a free-form label (TVM's op tag).
   */
  public Tensor compute(String name, String tag, Expr[] shape, Index.FnN fn) {
    List<TvmObject> axes = new ArrayList<>();
    Var[] vars = new Var[shape.length];
    String[] letters = {"i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7"};
    for (int a = 0; a < shape.length; a++) {
      String vn = a < letters.length ? letters[a] : "i" + a;
      Var v = new Var(this, scope.obj("tir.Var", vn, "int32", null), DType.INT32, vn);
      TvmObject range = scope.obj("ir.Range", i32(0).node, shape[a].node, null);
      axes.add(scope.obj("tir.IterVar", range, v.node, 0, "", null));
      vars[a] = v;
    }
    Expr body = fn.apply(vars);
    TvmObject op =
        scope.obj("te.ComputeOp", name, tag, null, scope.obj("runtime.Array", axes.toArray()),
            array(body));
    TvmObject out = scope.obj("te.OpGetOutput", op, 0);
    return new Tensor(this, out, name, body.getDtype(), List.of(shape));
  }

  /** {@link #compute(String, String, Expr[], Index.FnN)} for rank 1. */
  public Tensor compute(String name, String tag, Expr[] shape, Index.Fn1 fn) {
    return compute(name, tag, shape, (Index.FnN) v -> fn.apply(v[0]));
  }

  /** {@link #compute(String, String, Expr[], Index.FnN)} for rank 2. */
  public Tensor compute(String name, String tag, Expr[] shape, Index.Fn2 fn) {
    return compute(name, tag, shape, (Index.FnN) v -> fn.apply(v[0], v[1]));
  }

  /** {@link #compute(String, String, Expr[], Index.FnN)} for rank 3. */
  public Tensor compute(String name, String tag, Expr[] shape, Index.Fn3 fn) {
    return compute(name, tag, shape, (Index.FnN) v -> fn.apply(v[0], v[1], v[2]));
  }

  /** {@link #compute(String, String, Expr[], Index.FnN)} for rank 4. */
  public Tensor compute(String name, String tag, Expr[] shape, Index.Fn4 fn) {
    return compute(name, tag, shape, (Index.FnN) v -> fn.apply(v[0], v[1], v[2], v[3]));
  }

  /** A reduce axis over {@code [0, extent)}. */
  public IterVar reduceAxis(String name, Expr extent) {
    Var v = new Var(this, scope.obj("tir.Var", name, "int32", null), DType.INT32, name);
    TvmObject range = scope.obj("ir.Range", i32(0).node, extent.node, null);
    return new IterVar(scope.obj("tir.IterVar", range, v.node, 2, "", null), v);
  }

  /** A reduce axis over {@code [0, extent)}. */
  public IterVar reduceAxis(String name, long extent) {
    return reduceAxis(name, i32(extent));
  }

  /** Σ over {@code axes} of {@code body}. */
  public Expr sum(Expr body, IterVar... axes) {
    return reduce(body, null, true, axes);
  }

  /** Σ over {@code axes} of {@code body}, counting only points where {@code where} holds. */
  public Expr sum(Expr body, Expr where, IterVar... axes) {
    return reduce(body, where, true, axes);
  }

  /** max over {@code axes} of {@code body} (identity: the lowest finite value). */
  public Expr max(Expr body, IterVar... axes) {
    return reduce(body, null, false, axes);
  }

  /** max over {@code axes} of {@code body} where {@code where} holds. */
  public Expr max(Expr body, Expr where, IterVar... axes) {
    return reduce(body, where, false, axes);
  }

  private Expr reduce(Expr body, @Nullable Expr where, boolean isSum, IterVar... axes) {
    DType t = body.getDtype();
    Var x = new Var(this, scope.obj("tir.Var", "x", t.getTvmName(), null), t, "x");
    Var y = new Var(this, scope.obj("tir.Var", "y", t.getTvmName(), null), t, "y");
    Expr combined = isSum ? x.plus(y) : maximum(x, y);
    Expr identity = isSum ? constant(0, t) : lowest(t);
    TvmObject combiner =
        scope.obj("tir.CommReducer", array(x), array(y), array(combined), array(identity), null);
    Object[] iv = new Object[axes.length];
    for (int i = 0; i < axes.length; i++) {
      iv[i] = axes[i].node;
    }
    Expr cond = where != null ? where : constant(1, DType.BOOL);
    TvmObject r =
        scope.obj("tir.Reduce", combiner, array(body), scope.obj("runtime.Array", iv), cond.node, 0,
            scope.obj("runtime.Array"), null);
    return wrap(r, t);
  }

  // ---- math ---------------------------------------------------------------------------------------------

  /** Elementwise maximum of two expressions. */
  public Expr maximum(Expr a, Expr b) {
    return op("tir._OpMax", a, b);
  }

  /** Elementwise minimum of two expressions. */
  public Expr minimum(Expr a, Expr b) {
    return op("tir._OpMin", a, b);
  }

  /** {@code body} with {@code var} bound to {@code value}. */
  public Expr let(Var var, Expr value, Expr body) {
    return wrap(scope.obj("tir.Let", var.node, value.node, body.node, null), body.getDtype());
  }

  /**
   * {@code body} with every occurrence of {@code var} replaced by {@code value} (TVM's {@code tir.Substitute}):
   * unlike {@link #let}, the result keeps {@code value}'s variables visible to TE's region analysis.
   */
  public Expr substitute(Expr body, Var var, Expr value) {
    TvmObject map = scope.obj("runtime.Map", var.node, value.node);
    return wrap(scope.obj("tir.Substitute", body.node, map), body.getDtype());
  }

  /** {@code cond ? a : b}, both sides evaluated (cheap, vectorisable). */
  public Expr select(Expr cond, Expr a, Expr b) {
    return wrap(scope.obj("tir.Select", cond.node, a.node, b.node, null), a.getDtype());
  }

  /** {@code cond ? a : b}, only the taken side evaluated (guards out-of-bounds reads). */
  public Expr ifThenElse(Expr cond, Expr a, Expr b) {
    return wrap(scope.obj("tir._OpIfThenElse", cond.node, a.node, b.node, null), a.getDtype());
  }

  private Expr intrinsic(String op, DType t, Expr... args) {
    TvmObject opNode = scope.obj("ir.GetOp", op);
    return wrap(scope.obj("tir.Call", t.getTvmName(), opNode, array(args), null), t);
  }

  /** TIR's exact exponential (a libm call on CPU; use {@link #exp} in hot loops). */
  public Expr exactExp(Expr x) {
    return intrinsic("tir.exp", x.getDtype(), x);
  }

  /** Natural logarithm. */
  public Expr log(Expr x) {
    return intrinsic("tir.log", x.getDtype(), x);
  }

  /** Square root. */
  public Expr sqrt(Expr x) {
    return intrinsic("tir.sqrt", x.getDtype(), x);
  }

  /**
   * Hyperbolic tangent, vectorisable and accurate near 0 (TIR's {@code tanh} lowers to
   * {@code (1 - e^-2x) / (1 + e^-2x)} on CPU, which loses every digit as {@code x -> 0}): Cephes' tanhf, an odd
   * polynomial for {@code |x| < 0.625} and {@code 1 - 2 / (e^2|x| + 1)} (with {@link #exp}) above, both
   * evaluated; relative error about 1e-7 for float32.
   */
  public Expr tanh(Expr x) {
    if (x.getDtype() != DType.FLOAT32) {
      return tanh(x.cast(DType.FLOAT32)).cast(x.getDtype());
    }
    Expr z = abs(x);
    Expr s = x.times(x);
    Expr p = f32(-5.70498872745E-3);
    for (double c : new double[] {2.06390887954E-2, -5.37397155531E-2, 1.33314422036E-1, -3.33332819422E-1}) {
      p = p.times(s).plus(c);
    }
    Expr small = p.times(s).times(x).plus(x);
    Expr large = f32(1).minus(f32(2).div(exp(z.plus(z)).plus(1.0)));
    return select(z.lt(0.625), small, select(x.lt(0.0), large.unaryMinus(), large));
  }

  /** Cosine. */
  public Expr cos(Expr x) {
    return intrinsic("tir.cos", x.getDtype(), x);
  }

  /** Sine. */
  public Expr sin(Expr x) {
    return intrinsic("tir.sin", x.getDtype(), x);
  }

  /**
   * Sine and cosine of one float32 angle, vectorisable (TIR's {@code sin}/{@code cos} become scalar libm calls on
   * CPU): Cephes' sinf/cosf, sharing one range reduction {@code x = y·π/4 + z} (π/4 split in three, Cody-Waite)
   * and the two minimax polynomials on {@code |z| <= π/4}. Absolute error about 1e-7 for {@code |x| <= 8192},
   * growing slowly above (the reduction's products are rounded). Intermediates are let-bound, so {@code x} is
   * evaluated once: pass an expression without tensor reads (e.g. a loop nest's let variable), since TE's region
   * analysis cannot see reads inside a let. Returns {@code [sin x, cos x]}.
   */
  public Expr[] sinCos(Expr x) {
    if (x.getDtype() != DType.FLOAT32) {
      Expr[] sc = sinCos(x.cast(DType.FLOAT32));
      return new Expr[] {sc[0].cast(x.getDtype()), sc[1].cast(x.getDtype())};
    }
    Var xv = var("sc_x", DType.FLOAT32);
    Var jv = var("sc_octant", DType.INT32);
    Var zv = var("sc_z", DType.FLOAT32);
    Var zz = var("sc_zz", DType.FLOAT32);
    Var ps = var("sc_sin_poly", DType.FLOAT32);
    Var pc = var("sc_cos_poly", DType.FLOAT32);
    Var swap = var("sc_swap", DType.BOOL);
    // (1) octant j = floor(|x| 4/π), made even so that z lies in [-π/4, π/4]
    Expr ax = abs(xv);
    Expr j0 = ax.times(1.27323954473516).cast(DType.INT32);
    Expr j = j0.plus(j0.rem(i32(2)));
    Expr y = jv.cast(DType.FLOAT32);
    Expr z = ax.minus(y.times(0.78515625)).minus(y.times(2.4187564849853515625e-4))
        .minus(y.times(3.77489497744594108e-8));
    // (2) the polynomials
    Expr sinPoly = f32(-1.9515295891E-4).times(zz).plus(8.3321608736E-3).times(zz).plus(-1.6666654611E-1)
        .times(zz).times(zv).plus(zv);
    Expr cosPoly = f32(2.443315711809948E-5).times(zz).plus(-1.388731625493765E-3).times(zz)
        .plus(4.166664568298827E-2).times(zz).times(zz).minus(zz.times(0.5)).plus(1.0);
    // (3) octant q in {0, 2, 4, 6}: sin = [s, c, -s, -c], cos = [c, -s, -c, s]
    Expr q = jv.rem(i32(8));
    Expr upper = q.ge(i32(4));
    Expr sinAbs = select(swap, pc, ps);
    Expr cosAbs = select(swap, ps, pc);
    Expr sin = sinAbs.times(select(upper.ne(xv.lt(0.0)), f32(-1), f32(1)));
    Expr cos = cosAbs.times(select(upper.ne(swap), f32(-1), f32(1)));
    Expr[] out = new Expr[2];
    Expr[] bodies = {sin, cos};
    for (int k = 0; k < 2; k++) {
      Expr body = let(swap, q.rem(i32(4)).eq(i32(2)), bodies[k]);
      body = let(pc, cosPoly, let(ps, sinPoly, body));
      body = let(zv, z, let(zz, zv.times(zv), body));
      out[k] = let(xv, x, let(jv, j, body));
    }
    return out;
  }

  /** {@code x^y}. */
  public Expr pow(Expr x, Expr y) {
    return intrinsic("tir.pow", x.getDtype(), x, y);
  }

  /** Floor. */
  public Expr floor(Expr x) {
    return wrap(scope.obj("tir.floor", x.node, null), x.getDtype());
  }

  /** Absolute value. */
  public Expr abs(Expr x) {
    return wrap(scope.obj("tir.abs", x.node, null), x.getDtype());
  }

  /** The bits of {@code x} read as {@code type} (same width). */
  public Expr reinterpret(Expr x, DType type) {
    return wrap(scope.obj("tir.reinterpret", type.getTvmName(), x.node, null), type);
  }

  /** {@code x << bits} (integers). */
  public Expr shiftLeft(Expr x, Expr bits) {
    return wrap(scope.obj("tir.left_shift", x.node, bits.node, null), x.getDtype());
  }

  /**
   * A vectorisable exponential for float32: Cephes' expf range reduction {@code x = k·ln2 + r},
   * {@code |r| <= ln2/2}, a degree-7 polynomial for {@code e^r}, and {@code 2^k} built in the exponent bits.
   * Inputs are clamped to [-87.3, 88.3] (so the result is a normal float); relative error below 2e-7.
   */
  public Expr exp(Expr x) {
    if (x.getDtype() != DType.FLOAT32) {
      return exp(x.cast(DType.FLOAT32)).cast(x.getDtype());
    }
    Expr xc = minimum(maximum(x, f32(-87.3)), f32(88.3));
    // (1) k = round(x / ln2)
    Expr k = floor(xc.times(1.44269504088896341).plus(0.5));
    // (2) r = x - k ln2, ln2 split in two for accuracy (Cephes C1, C2)
    Expr r = xc.minus(k.times(0.693359375)).minus(k.times(-2.12194440e-4));
    // (3) e^r = 1 + r + r^2 P(r)
    Expr p = f32(1.9875691500E-4);
    double[] c = {1.3981999507E-3, 8.3334519073E-3, 4.1665795894E-2, 1.6666665459E-1, 5.0000001201E-1};
    for (double ci : c) {
      p = p.times(r).plus(ci);
    }
    Expr er = p.times(r.times(r)).plus(r).plus(1.0);
    // (4) 2^k from the exponent bits
    Expr twoK = reinterpret(shiftLeft(k.cast(DType.INT32).plus(i32(127)), i32(23)), DType.FLOAT32);
    return er.times(twoK);
  }

  /**
   * The softmax's exponential: {@code e^y} for {@code y <= 0} (a logit minus its row's running max), in 13 vector
   * operations against {@link #exp}'s 21. With {@code t = y·log2(e)}: {@code k = round(t)}, {@code f = t - k}
   * ({@code log2(e)} split in two so {@code f} stays exact), a degree-5 polynomial for {@code 2^f} on
   * {@code [-1/2, 1/2]} (fitted for relative error), and {@code 2^k} added to the exponent bits. Inputs below -87
   * give {@code e^-87 ≈ 1.6e-38} (a normal float: callers mask what must be exactly zero). Relative error below
   * 1.8e-7 on {@code [-87, 0]} (simulated in float with FMAs; tested below 2.5e-7) and {@code e^0 = 1};
   * positive inputs are outside the contract (their result is wrong beyond 88).
   */
  public Expr expNonPositive(Expr y) {
    if (y.getDtype() != DType.FLOAT32) {
      return expNonPositive(y.cast(DType.FLOAT32)).cast(y.getDtype());
    }
    Expr yc = maximum(y, f32(-87.0));
    // (1) k = round(y / ln2): floor(t + 1/2)
    Expr k = floor(yc.times(LOG2E_HI).plus(0.5));
    // (2) f = y·log2(e) - k with log2(e) = hi + lo (two FMAs): |f| <= 1/2
    Expr f = yc.times(LOG2E_HI).minus(k).plus(yc.times(LOG2E_LO));
    // (3) 2^f, Horner
    Expr p = f32(EXP2_POLY[EXP2_POLY.length - 1]);
    for (int i = EXP2_POLY.length - 2; i >= 0; i--) {
      p = p.times(f).plus(EXP2_POLY[i]);
    }
    // (4) times 2^k: k added to the exponent field (p in [0.7, 1.5] and k >= -125 keep the result normal)
    Expr bits = reinterpret(p, DType.INT32).plus(shiftLeft(k.cast(DType.INT32), i32(23)));
    return reinterpret(bits, DType.FLOAT32);
  }

  /** {@code log2(e)} as two floats (hi + lo). */
  private static final double LOG2E_HI = 1.4426950216293335;
  private static final double LOG2E_LO = 1.925963033500011e-08;
  /**
   * {@code 2^f ≈ 1 + f·q(f)} on {@code [-1/2, 1/2]} ({@code c_0 = 1}, so {@code e^0 = 1} exactly): q by least
   * squares at 4000 Chebyshev nodes weighted for the relative error of {@code 2^f}.
   */
  private static final double[] EXP2_POLY = {
    1.0, 0.6931468844413757, 0.24022237956523895, 0.05550893023610115, 0.009671698324382305,
    0.0013218672247603536
  };

  /** {@code 1 / (1 + e^-x)} with the vectorisable {@link #exp}. */
  public Expr sigmoid(Expr x) {
    Expr one = constant(1, x.getDtype());
    return one.div(one.plus(exp(x.unaryMinus())));
  }

  /** {@code log(sigmoid(x)) = min(x, 0) - log(1 + e^-|x|)}, stable for large |x|. */
  public Expr logSigmoid(Expr x) {
    Expr zero = constant(0, x.getDtype());
    return minimum(x, zero).minus(log(constant(1, x.getDtype()).plus(exp(abs(x).unaryMinus()))));
  }

  /** Releases every IR node made through this context; idempotent. */
  @Override
  public void close() {
    scope.close();
  }
}
