package org.attn4j.schedules;

import java.util.Map;
import org.attn4j.attention.AttentionLayerGraph;
import org.attn4j.te.Schedule;

/**
 * A schedule for an attention layer ({@link org.attn4j.attention.AttentionLayer}) on one target family: it
 * transforms the TensorIR of the layer's compute, finding blocks by the names in
 * {@link org.attn4j.attention.AttentionLayerStages} and, for the core, {@link org.attn4j.attention.AttentionStages}.
 * Implementations are immutable. {@link GenericLayerSchedule} works on every target; {@link CpuLayerSchedule} is
 * the parallel, vectorised CPU one.
 */
public interface LayerSchedule {
  /** A stable name, e.g. {@code cpu-layer}. */
  String getName();

  /** The target family this schedule is for. */
  TargetKind getTargetKind();

  /** Named parameters (vector widths, ...) with the values this instance uses, recorded in the manifest. */
  Map<String, Object> getParameters();

  /**
   * Schedules the TensorIR of {@code graph} in place.
   *
   * @param sch a schedule over the function made from {@code graph}'s arguments
   * @param graph the compute definition, for its layer and stage names
   */
  void apply(Schedule sch, AttentionLayerGraph graph);

  /**
   * Whether the lowered module needs TVM's default GPU thread binding ({@code tir.transform.DefaultGPUSchedule})
   * for the blocks this schedule leaves unbound.
   */
  default boolean needsDefaultGpuBinding() {
    return getTargetKind() == TargetKind.CUDA;
  }
}
