package org.attn4j.schedules;

import org.attn4j.attention.AttentionGraph;
import org.attn4j.te.Schedule;

/**
 * A schedule that writes its kernel as an explicit loop nest ({@link #buildFunction}) rather than transforming
 * the compute's TensorIR; prints as its name and parameters, e.g. {@code cpu-flash{qBlock=64, ...}}.
 */
abstract class LoopNestSchedule implements AttentionSchedule {
  @Override
  public final boolean buildsLoopNest() {
    return true;
  }

  @Override
  public final void apply(Schedule sch, AttentionGraph graph) {
    throw new UnsupportedOperationException(getName() + " builds its kernel as a loop nest");
  }

  @Override
  public String toString() {
    return getName() + getParameters();
  }
}
