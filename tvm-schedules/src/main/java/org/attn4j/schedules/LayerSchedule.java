package org.attn4j.schedules;

import java.util.Map;
import java.util.Optional;
import org.attn4j.attention.AttentionLayerGraph;
import org.attn4j.te.Schedule;

/**
 * A schedule for an attention layer ({@link org.attn4j.attention.AttentionLayer}) on one target family: it
 * transforms the TensorIR of the layer's compute, finding blocks by the names in
 * {@link org.attn4j.attention.AttentionLayerStages} and, for the core, {@link org.attn4j.attention.AttentionStages}.
 * Implementations are immutable. {@link GenericLayerSchedule} works on every target; {@link CpuLayerSchedule} is
 * the parallel, vectorised CPU one; {@link CpuFlashLayerSchedule} runs the core as {@link CpuFlashSchedule}'s loop
 * nest between a prologue and an epilogue scheduled as {@link CpuLayerSchedule} does.
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

  /**
   * The schedule of the core when this schedule runs the layer as three functions of one artifact, a prologue, the
   * core and an epilogue ({@link org.attn4j.attention.AttentionLayer#defineParts}), called in that order by the
   * artifact's entry; empty (the default) when it schedules the layer as one function. With a core schedule,
   * {@link #apply} schedules the prologue's function and the epilogue's in turn (each holds some of the layer's
   * stages; {@code graph} is the whole layer).
   */
  default Optional<AttentionSchedule> getCoreSchedule() {
    return Optional.empty();
  }
}
