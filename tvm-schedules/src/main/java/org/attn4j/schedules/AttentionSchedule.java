package org.attn4j.schedules;

import java.util.Map;
import org.attn4j.attention.AttentionGraph;
import org.attn4j.te.Schedule;

/**
 * A schedule for the attention template on one target family: a name, its named parameters (recorded in the
 * artifact's manifest) and the transformation itself. Implementations are immutable.
 */
public interface AttentionSchedule {
  /** A stable name, e.g. {@code cpu-blocked}. */
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
    return getTargetKind() == TargetKind.CUDA;
  }
}
