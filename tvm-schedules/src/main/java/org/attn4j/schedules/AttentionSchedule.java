package org.attn4j.schedules;

import java.util.Map;
import org.attn4j.attention.AttentionGraph;
import org.attn4j.te.Schedule;

/**
 * A schedule for the attention template on one target family: a name, its named parameters (recorded in the
 * artifact's manifest) and the transformation itself. Implementations are immutable.
 */
public interface AttentionSchedule {
  /** A stable name, e.g. {@code cpu-flash}. */
  String getName();

  /** The target family this schedule is for. */
  TargetKind getTargetKind();

  /** Named parameters (tile sizes, vector widths) with the values this instance uses. */
  Map<String, Object> getParameters();

  /**
   * Schedules the TensorIR of {@code graph} in place.
   *
   * @param sch a schedule over the function made from {@code graph}'s tensors
   * @param graph the compute definition, for its spec and stage names
   */
  void apply(Schedule sch, AttentionGraph graph);

  /**
   * Whether the lowered module needs TVM's default GPU thread binding ({@code tir.transform.DefaultGPUSchedule})
   * for the loops this schedule leaves unbound.
   */
  default boolean needsDefaultGpuBinding() {
    return getTargetKind() == TargetKind.CUDA && !buildsLoopNest();
  }

  /**
   * Whether this schedule writes the kernel as an explicit loop nest ({@link #buildFunction}) instead of
   * transforming the TensorIR of the compute ({@link #apply}).
   */
  default boolean buildsLoopNest() {
    return false;
  }

  /**
   * The kernel as a TIR function named {@code name}, with the arguments of {@link AttentionGraph#getArguments()}
   * in order, for schedules that {@link #buildsLoopNest()}.
   */
  default org.attn4j.tvm.TvmObject buildFunction(org.attn4j.te.Te te, AttentionGraph graph, String name) {
    throw new UnsupportedOperationException(getName() + " transforms the compute's TensorIR");
  }
}
