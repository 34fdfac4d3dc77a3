package org.attn4j.schedules;

import java.util.Map;
import org.attn4j.attention.AttentionGraph;
import org.attn4j.te.Schedule;

/**
 * The correctness baseline: works for every variant on every target. On CPU it leaves the loops as the compute
 * defines them (serial, every intermediate materialised); on CUDA it leaves binding to TVM's
 * {@code DefaultGPUSchedule} (each block's loops fused and spread over {@code blockIdx.x}/{@code threadIdx.x}).
 * Slow by design; never used for timing claims.
 */
public final class GenericSchedule implements AttentionSchedule {
  private final TargetKind kind;

  /** The generic schedule for {@code kind}. */
  public GenericSchedule(TargetKind kind) {
    this.kind = kind;
  }

  /** The name and target kind, e.g. {@code generic(CPU)}. */
  @Override
  public String toString() {
    return getName() + "(" + kind + ")";
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
  public void apply(Schedule sch, AttentionGraph graph) {
    // Nothing: the compute's own loop nest is the schedule.
  }
}
