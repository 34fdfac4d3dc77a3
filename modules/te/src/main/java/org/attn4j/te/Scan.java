package org.attn4j.te;

import java.util.ArrayList;
import java.util.List;
import org.attn4j.tvm.ObjectScope;
import org.attn4j.tvm.TvmObject;

/**
 * Scans in a schedule: a stage {@code y [r..., n]} that is an inclusive scan of one input {@code x [r..., n]} along
 * the last axis, {@code y[..., i] = step(... step(step(init, x[..., 0]), x[..., 1]) ..., x[..., i])}, evaluated as
 * that recurrence, {@code n} steps per row, however the compute states it. A compute cannot read its own output,
 * so a cumulative sum is written as the masked reduction {@code y_i = Σ_{t <= i} x_t} ({@code n²} steps per row);
 * {@link #rewrite} replaces that stage's loop nest by the scan:
 *
 * <pre>
 *   for r in rows (the leading axes, fused; serial or over the thread pool):
 *     block &lt;stage&gt;.rows:            one instance per row, its iterators data-parallel
 *       acc = init                    (a one-element local buffer: a register once compiled)
 *       for t in 0 .. n-1:  acc = step(acc, x[r, t]);  y[r, t] = acc
 * </pre>
 *
 * With {@code init = 0} and {@code step = +} that is the masked float sum's additions in the masked sum's order
 * (from {@code 0 + x_0}), so the same bits. TensorIR has no schedule primitive for this: a block that carries a
 * row's state writes the whole row, a region of symbolic length whose coverage of its readers TensorIR's dataflow
 * analysis cannot prove, so the rows are spliced in as a replacement ({@link Schedule#replace}), a schedule's last
 * step.
 */
public final class Scan {
  private Scan() {}

  /** The recurrence's step: the new state from the previous one and the current element. */
  @FunctionalInterface
  public interface Step {
    /** {@code y[t]} from {@code y[t - 1]} ({@code previous}) and {@code x[t]} ({@code current}). */
    Expr apply(Expr previous, Expr current);
  }

  /** The block, one instance per row, that {@link #rewrite} leaves in place of stage {@code stage}'s block. */
  public static String rowsBlock(String stage) {
    return stage + ".rows";
  }

  /**
   * Replaces the loop nest of stage {@code stage}'s block, which computes {@code y [r..., n]} from one input
   * {@code x [r..., n]} as the inclusive scan {@code y[..., i] = step(y[..., i - 1], x[..., i])},
   * {@code y[..., -1] = init} (e.g. as a masked reduction), by that recurrence (see the class comment): a rows loop
   * of kind {@code rows} over the fused leading axes, block {@link #rowsBlock(String)} per row, the last axis in
   * order inside it. Unchecked, as {@link Schedule#replace}: the caller vouches for the stage's meaning, and calls
   * this after every other transformation of {@code sch}.
   *
   * @param te the context of {@code init} and of the expressions {@code step} builds
   * @param sch the schedule; the stage's block must be the only block under its outermost loop
   * @param stage the stage's name ({@code .} or {@code _} spelling)
   * @param init the state before the first element, of {@code y}'s dtype (0 for a sum)
   * @param step the recurrence; its result must have {@code y}'s dtype
   * @param rows {@link LoopNest.Kind#SERIAL} or {@link LoopNest.Kind#PARALLEL}
   * @throws IllegalArgumentException if the block does not write one buffer and read exactly one other of the same
   *     shape and dtype, if its loop nest holds another block, if a dtype differs, or for another loop kind
   */
  public static void rewrite(Te te, Schedule sch, String stage, Expr init, Step step, LoopNest.Kind rows) {
    if (rows != LoopNest.Kind.SERIAL && rows != LoopNest.Kind.PARALLEL) {
      throw new IllegalArgumentException(stage + ": rows: expected SERIAL or PARALLEL, got " + rows);
    }
    ObjectScope s = te.scope();
    TvmObject blockRv = sch.getBlock(stage);
    TvmObject block = sch.get(blockRv);
    // (1) what the block reads and writes: y, and x of y's shape
    List<TvmObject> writes = buffers(s, block, "writes");
    if (writes.size() != 1) {
      throw new IllegalArgumentException(stage + ": expected a block writing one buffer y [r..., n], got "
          + names(s, writes));
    }
    TvmObject out = writes.get(0);
    List<TvmObject> reads = new ArrayList<>();
    for (TvmObject r : buffers(s, block, "reads")) {
      if (!same(s, r, out) && reads.stream().noneMatch(o -> same(s, o, r))) {
        reads.add(r);
      }
    }
    if (reads.size() != 1) {
      throw new IllegalArgumentException(stage + ": expected a block reading one buffer x of y's shape, got "
          + names(s, reads));
    }
    TvmObject in = reads.get(0);
    TvmObject shape = s.obj("node.NodeGetAttr", out, "shape");
    DType dt = DType.fromTvmName(s.call("node.NodeGetAttr", out, "dtype").asString());
    if (s.call("node.StructuralEqual", shape, s.obj("node.NodeGetAttr", in, "shape"), false, false).asLong() == 0
        || DType.fromTvmName(s.call("node.NodeGetAttr", in, "dtype").asString()) != dt) {
      throw new IllegalArgumentException(stage + ": expected x of y's shape " + te.repr(shape) + " and dtype "
          + dt.getTvmName() + ", got " + names(s, List.of(in)) + " " + te.repr(s.obj("node.NodeGetAttr", in, "shape")));
    }
    if (init.getDtype() != dt) {
      throw new IllegalArgumentException(stage + ": expected init of y's dtype " + dt.getTvmName() + ", got "
          + init.getDtype().getTvmName());
    }
    List<TvmObject> loops = sch.getLoops(blockRv);
    if (loops.isEmpty() || sch.getChildBlocks(loops.get(0)).size() != 1) {
      throw new IllegalArgumentException(stage + ": expected the block alone in its own loop nest, got "
          + (loops.isEmpty() ? "no loops" : sch.getChildBlocks(loops.get(0)).size() + " blocks under its loops"));
    }

    // (2) the rows: r over the product of the leading extents, each row index recovered by division
    int rank = (int) s.call("runtime.ArraySize", shape).asLong();
    Expr[] ext = new Expr[rank];
    for (int a = 0; a < rank; a++) {
      TvmObject e = s.obj("runtime.ArrayGetItem", shape, a);
      ext[a] = te.wrap(e, te.dtypeOf(e));
    }
    DType index = ext[rank - 1].getDtype();
    Expr count = te.constant(1, index);
    for (int a = 0; a < rank - 1; a++) {
      count = count.times(ext[a]);
    }
    Var r = te.var("r", index);
    Var[] iters = new Var[rank - 1];
    List<Object> iterVars = new ArrayList<>();
    List<Object> bindings = new ArrayList<>();
    Expr stride = te.constant(1, index);
    for (int a = rank - 2; a >= 0; a--) {
      iters[a] = te.var("v" + a, index);
      Expr q = te.op("tir._OpFloorDiv", r, stride);
      bindings.add(0, (a == 0 ? q : te.op("tir._OpFloorMod", q, ext[a])).node);
      TvmObject dom = s.obj("ir.Range", te.constant(0, index).node, ext[a].node, null);
      iterVars.add(0, s.obj("tir.IterVar", dom, iters[a].node, 0, "", null));
      stride = stride.times(ext[a]);
    }

    // (3) one row: acc = init; for t: acc = step(acc, x[v..., t]); y[v..., t] = acc
    TvmObject acc = localScalar(te, Schedule.blockName(stage) + "_acc", dt);
    Expr zero = te.constant(0, index);
    Var t = te.var("t", index);
    Expr[] at = new Expr[rank];
    System.arraycopy(iters, 0, at, 0, rank - 1);
    at[rank - 1] = t;
    Expr next = step.apply(load(te, acc, dt, zero), load(te, in, dt, at));
    if (next.getDtype() != dt) {
      throw new IllegalArgumentException(stage + ": expected a step of y's dtype " + dt.getTvmName() + ", got "
          + next.getDtype().getTvmName());
    }
    TvmObject perStep = seq(s, store(te, acc, next, zero), store(te, out, load(te, acc, dt, zero), at));
    TvmObject row = seq(s, store(te, acc, init, zero),
        s.obj("tir.For", t.node, zero.node, ext[rank - 1].node, 0, perStep, null, s.obj("runtime.Map"), null));
    List<Object> region = new ArrayList<>();
    for (int a = 0; a < rank - 1; a++) {
      region.add(s.obj("ir.Range_from_min_extent", iters[a].node, te.constant(1, index).node, null));
    }
    region.add(s.obj("ir.Range", zero.node, ext[rank - 1].node, null));
    TvmObject ranges = s.obj("runtime.Array", region.toArray());
    TvmObject rowBlock = s.obj("tir.Block", s.obj("runtime.Array", iterVars.toArray()),
        s.obj("runtime.Array", s.obj("tir.BufferRegion", in, ranges)),
        s.obj("runtime.Array", s.obj("tir.BufferRegion", out, ranges)), Schedule.blockName(rowsBlock(stage)), row,
        null, s.obj("runtime.Array", acc), s.obj("runtime.Array"), s.obj("runtime.Map"), null);
    TvmObject realize = s.obj("tir.BlockRealize", s.obj("runtime.Array", bindings.toArray()),
        te.constant(1, DType.BOOL).node, rowBlock, null);
    TvmObject rowsLoop = s.obj("tir.For", r.node, zero.node, count.node, rows.ordinal(), realize, null,
        s.obj("runtime.Map"), null);

    // (4) in place of the stage's whole nest
    sch.replace(loops.get(0), rowsLoop);
  }

  private static List<TvmObject> buffers(ObjectScope s, TvmObject block, String field) {
    TvmObject regions = s.obj("node.NodeGetAttr", block, field);
    long size = s.call("runtime.ArraySize", regions).asLong();
    List<TvmObject> out = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      out.add(s.obj("node.NodeGetAttr", s.obj("runtime.ArrayGetItem", regions, i), "buffer"));
    }
    return out;
  }

  private static boolean same(ObjectScope s, TvmObject a, TvmObject b) {
    // one buffer: one data pointer variable (free variables compare by identity)
    return s.call("node.StructuralEqual", s.obj("node.NodeGetAttr", a, "data"), s.obj("node.NodeGetAttr", b, "data"),
        false, false).asLong() != 0;
  }

  private static List<String> names(ObjectScope s, List<TvmObject> buffers) {
    return buffers.stream().map(b -> s.call("node.AsRepr", s.obj("node.NodeGetAttr", b, "name")).asString()).toList();
  }

  /** A one-element buffer in {@code local} scope (a block's own, for its {@code alloc_buffers}). */
  private static TvmObject localScalar(Te te, String name, DType dtype) {
    ObjectScope s = te.scope();
    TvmObject ptr = s.obj("ir.PointerType", s.obj("ir.PrimType", dtype.getTvmName()), "local");
    TvmObject data = s.obj("tir.Var", name, ptr, null);
    return s.obj("tir.Buffer", data, dtype.getTvmName(), te.array(te.constant(1, DType.INT64)),
        s.obj("runtime.Array"), te.constant(0, DType.INT64).node, name, 64, 1, "", s.obj("runtime.Array"), null);
  }

  private static Expr load(Te te, TvmObject buf, DType dtype, Expr... indices) {
    return te.wrap(te.scope().obj("tir.BufferLoad", buf, te.array(indices), null, null), dtype);
  }

  private static TvmObject store(Te te, TvmObject buf, Expr value, Expr... indices) {
    return te.scope().obj("tir.BufferStore", buf, value.node, te.array(indices), null, null);
  }

  private static TvmObject seq(ObjectScope s, TvmObject... stmts) {
    return s.obj("tir.SeqStmt", s.obj("runtime.Array", (Object[]) stmts), null);
  }
}
