package org.attn4j.te;

import java.util.ArrayList;
import java.util.List;
import org.attn4j.tvm.ObjectScope;
import org.attn4j.tvm.TvmObject;
import org.attn4j.tvm.TvmValue;

/**
 * A TensorIR schedule ({@code tir.Schedule}) over one function: look blocks up by their stable stage names and
 * transform loops. Block and loop handles are {@link TvmObject}s owned by the schedule's scope. Not
 * thread-safe.
 */
public final class Schedule {
  private final ObjectScope scope;
  private final TvmObject sch;

  private Schedule(ObjectScope scope, TvmObject sch) {
    this.scope = scope;
    this.sch = sch;
  }

  /**
   * A schedule over {@code irModule} (an {@code IRModule} holding one function named {@code main}); the
   * schedule's objects are owned by {@code scope}.
   */
  public static Schedule create(ObjectScope scope, TvmObject irModule) {
    TvmObject s = scope.obj("tir.schedule.ConcreteSchedule", irModule, -1L, 0, 0, 1);
    return new Schedule(scope, s);
  }

  private TvmValue call(String name, Object... args) {
    Object[] all = new Object[args.length + 1];
    all[0] = sch;
    System.arraycopy(args, 0, all, 1, args.length);
    return scope.call("tir.schedule." + name, all);
  }

  /**
   * The block of the stage named {@code name}. TensorIR spells stage names with {@code _} where TE has
   * {@code .} ({@code attn.out} is block {@code attn_out}); either spelling is accepted.
   */
  public TvmObject getBlock(String name) {
    return call("ScheduleGetBlock", blockName(name), null).asObject();
  }

  /** The TensorIR block name of stage {@code name}. */
  public static String blockName(String name) {
    return name.replace('.', '_');
  }

  /** Whether a block named {@code name} exists. */
  public boolean hasBlock(String name) {
    try {
      getBlock(name);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The loops around {@code block}, outermost first. */
  public List<TvmObject> getLoops(TvmObject block) {
    return list(call("ScheduleGetLoops", block).asObject());
  }

  private List<TvmObject> list(TvmObject array) {
    long n = scope.call("runtime.ArraySize", array).asLong();
    List<TvmObject> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(scope.obj("runtime.ArrayGetItem", array, i));
    }
    return out;
  }

  /**
   * Splits {@code loop} by {@code factors} (one may be {@code null}: inferred). A non-dividing factor adds a
   * predicate.
   */
  public List<TvmObject> split(TvmObject loop, Long... factors) {
    Object[] f = new Object[factors.length];
    for (int i = 0; i < factors.length; i++) {
      f[i] = factors[i] == null ? null : scope.obj("ir.IntImm", "int32", factors[i], null);
    }
    return list(call("ScheduleSplit", loop, scope.obj("runtime.Array", f), true, false).asObject());
  }

  /** Fuses consecutive loops into one. */
  public TvmObject fuse(TvmObject... loops) {
    return call("ScheduleFuse", scope.obj("runtime.Array", (Object[]) loops), true).asObject();
  }

  /** Merges loops of equal extent that head different blocks into one loop; returns it. */
  public TvmObject merge(TvmObject... loops) {
    return call("ScheduleMerge", scope.obj("runtime.Array", (Object[]) loops)).asObject();
  }

  /** Reorders loops. */
  public void reorder(TvmObject... loops) {
    call("ScheduleReorder", scope.obj("runtime.Array", (Object[]) loops));
  }

  /** Runs {@code loop} in parallel (CPU threads). */
  public void parallel(TvmObject loop) {
    call("ScheduleParallel", loop);
  }

  /** Vectorises {@code loop}. */
  public void vectorize(TvmObject loop) {
    call("ScheduleVectorize", loop);
  }

  /** Unrolls {@code loop}. */
  public void unroll(TvmObject loop) {
    call("ScheduleUnroll", loop);
  }

  /** Binds {@code loop} to a GPU thread axis such as {@code blockIdx.x} or {@code threadIdx.x}. */
  public void bind(TvmObject loop, String threadAxis) {
    call("ScheduleBind", loop, threadAxis);
  }

  /** Moves {@code block} under {@code loop} (producer to consumer's loop). */
  public void computeAt(TvmObject block, TvmObject loop) {
    call("ScheduleComputeAt", block, loop, false, -1);
  }

  /** Moves {@code block} under {@code loop} (consumer to producer's loop). */
  public void reverseComputeAt(TvmObject block, TvmObject loop) {
    call("ScheduleReverseComputeAt", block, loop, false, -1);
  }

  /** Inlines {@code block} into its consumers. */
  public void computeInline(TvmObject block) {
    call("ScheduleComputeInline", block);
  }

  /** Inlines {@code block} into its producer. */
  public void reverseComputeInline(TvmObject block) {
    call("ScheduleReverseComputeInline", block);
  }

  /** A cache stage reading buffer {@code index} of {@code block} into {@code storageScope}. */
  public TvmObject cacheRead(TvmObject block, int index, String storageScope) {
    return call("ScheduleCacheRead", block, index, storageScope, scope.obj("runtime.Array")).asObject();
  }

  /** A cache stage for write buffer {@code index} of {@code block} in {@code storageScope}. */
  public TvmObject cacheWrite(TvmObject block, int index, String storageScope) {
    return call("ScheduleCacheWrite", block, index, storageScope, scope.obj("runtime.Array")).asObject();
  }

  /** Sets the storage scope of write buffer {@code index} of {@code block}. */
  public void setScope(TvmObject block, int index, String storageScope) {
    call("ScheduleSetScope", block, index, storageScope);
  }

  /** Splits a reduction block into init and update at {@code loop}. */
  public TvmObject decomposeReduction(TvmObject block, TvmObject loop) {
    return call("ScheduleDecomposeReduction", block, loop).asObject();
  }

  /**
   * Factors the reduction over {@code loop} out of its block (TensorIR's {@code rfactor}): a new block sums
   * partial results into a buffer with {@code loop}'s index at dimension {@code factorAxis} (now a data-parallel
   * index, so it can be vectorised), and the original block sums those partials. Returns the new block.
   */
  public TvmObject rfactor(TvmObject loop, int factorAxis) {
    return call("ScheduleRFactor", loop, factorAxis).asObject();
  }

  /** Annotates a block or loop. */
  public void annotate(TvmObject blockOrLoop, String key, Object value) {
    Object v = value instanceof Long || value instanceof Integer
        ? scope.obj("ir.IntImm", "int32", ((Number) value).longValue(), null)
        : value;
    call("ScheduleAnnotate", blockOrLoop, key, v);
  }

  /** The TIR node ({@code Block} or {@code For}) that a block or loop handle points to now, owned by the scope. */
  public TvmObject get(TvmObject blockOrLoop) {
    return call("ScheduleGet", blockOrLoop).asObject();
  }

  /** The blocks under a block or loop, in program order (nested blocks not included). */
  public List<TvmObject> getChildBlocks(TvmObject blockOrLoop) {
    return list(call("ScheduleGetChildBlocks", blockOrLoop).asObject());
  }

  /**
   * Replaces {@code loop} and everything under it by {@code newLoop}, a TIR {@code For} statement
   * ({@code tir.schedule.ScheduleState.replace}). Unchecked: TVM neither proves that the new nest computes what the
   * old one did nor recomputes its dataflow analysis of the enclosing scope, so a schedule replaces last; the
   * handles of the replaced loops and blocks are stale afterwards.
   */
  public void replace(TvmObject loop, TvmObject newLoop) {
    TvmObject state = call("ScheduleGetState").asObject();
    TvmObject sref = call("ScheduleGetSRef", loop).asObject();
    scope.call("tir.schedule.ScheduleStateReplace", state, sref, newLoop, scope.obj("runtime.Map"));
  }

  /** The scheduled module. */
  public TvmObject getMod() {
    return call("ScheduleGetMod").asObject();
  }
}
