package org.attn4j.schedules;

import java.util.Map;
import org.attn4j.attention.AttentionLayerGraph;
import org.attn4j.te.Schedule;

/**
 * The layer's correctness baseline on every target, like {@link GenericSchedule} for the core: on CPU the loops
 * stay as the compute defines them (serial, every intermediate materialised); on CUDA every block, the core's
 * included, is bound to {@code blockIdx.x}/{@code threadIdx.x} by TVM's {@code DefaultGPUSchedule} (its
 * data-parallel loops fused and spread, reductions serial per thread). Slow by design; never used for timing
 * claims.
 */
public final class GenericLayerSchedule implements LayerSchedule {
  private final TargetKind kind;

  /** The generic layer schedule for {@code kind}. */
  public GenericLayerSchedule(TargetKind kind) {
    this.kind = kind;
  }

  @Override
  public String getName() {
    return "generic";
  }

  @Override
  public TargetKind getTargetKind() {
    return kind;
  }

  @Override
  public Map<String, Object> getParameters() {
    return Map.of();
  }

  @Override
  public void apply(Schedule sch, AttentionLayerGraph graph) {
    // Nothing: the compute's own loop nest is the schedule (CUDA binding happens in the default GPU pass).
  }

  /** The name and target kind, e.g. {@code generic(CPU)}. */
  @Override
  public String toString() {
    return getName() + "(" + kind + ")";
  }
}
