package org.attn4j.schedules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.attention.AttentionLayerGraph;
import org.attn4j.attention.AttentionLayerStages;
import org.attn4j.attention.AttentionStages;
import org.attn4j.te.Schedule;
import org.attn4j.tvm.TvmObject;

/**
 * The layer on the CPU: every block, the core's included, runs its data-parallel loops on the thread pool, and
 * blocks without a reduction are vectorised along their last axis when its extent is a static multiple of
 * {@code vectorWidth}. The core itself keeps the generic compute (scores, max, exp, sum and aggregate
 * materialised per {@code (b, h)}), only parallelised: the flash loop nest ({@link CpuFlashSchedule}) reads q/k/v
 * as arguments and cannot yet take them from the layer's projections.
 *
 * <p>Parameter (recorded in the manifest): {@code vectorWidth} (floats per SIMD register: 8 for AVX2, 16 for
 * AVX-512).
 */
public final class CpuLayerSchedule implements LayerSchedule {
  private final int vectorWidth;

  /**
   * The schedule for {@code vectorWidth} floats per vector.
   *
   * @throws IllegalArgumentException unless {@code vectorWidth} is a power of two
   */
  public CpuLayerSchedule(int vectorWidth) {
    if (vectorWidth < 1 || Integer.bitCount(vectorWidth) != 1) {
      throw new IllegalArgumentException("vectorWidth: expected a power of two, got " + vectorWidth);
    }
    this.vectorWidth = vectorWidth;
  }

  @Override
  public String getName() {
    return "cpu-layer";
  }

  @Override
  public TargetKind getTargetKind() {
    return TargetKind.CPU;
  }

  @Override
  public Map<String, Object> getParameters() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("vectorWidth", vectorWidth);
    return p;
  }

  /** Which static size the last axis of an elementwise block has. */
  private enum Last {
    DIM, HEAD_DIM, SYMBOLIC
  }

  /** A block, the rank of what it writes, whether it reduces, and its last axis. */
  private record Stage(String name, int rank, boolean reduces, Last last) {
    Stage(String name, int rank, boolean reduces) {
      this(name, rank, reduces, Last.SYMBOLIC);
    }
  }

  private static final List<Stage> STAGES = List.of(
      new Stage(AttentionLayerStages.GATE, 2, true),
      new Stage(AttentionLayerStages.INPUT, 3, false, Last.DIM),
      new Stage(AttentionLayerStages.MEAN, 2, true),
      new Stage(AttentionLayerStages.SQUARES, 2, true),
      new Stage(AttentionLayerStages.NORM, 3, false, Last.DIM),
      new Stage(AttentionLayerStages.Q, 4, true),
      new Stage(AttentionLayerStages.K, 4, true),
      new Stage(AttentionLayerStages.V, 4, true),
      new Stage(AttentionStages.SCORES, 4, true),
      new Stage(AttentionStages.MAX, 3, true),
      new Stage(AttentionStages.EXP, 4, false),
      new Stage(AttentionStages.SUM, 3, true),
      new Stage(AttentionStages.ACC, 4, true),
      new Stage(AttentionStages.OUT, 4, false, Last.HEAD_DIM),
      new Stage(AttentionLayerStages.PROJ, 3, true),
      new Stage(AttentionLayerStages.OUT, 3, false, Last.DIM));

  @Override
  public void apply(Schedule sch, AttentionLayerGraph graph) {
    for (Stage s : STAGES) {
      if (!sch.hasBlock(s.name())) {
        continue; // an optional stage (gate, condition, LayerNorm's mean, softmax's max and sum)
      }
      TvmObject block = sch.getBlock(s.name());
      List<TvmObject> loops = sch.getLoops(block);
      List<TvmObject> spatial = new ArrayList<>(loops.subList(0, s.rank()));
      if (!s.reduces()) {
        // (1) elementwise: split the last axis into vectors when its extent allows it
        long extent = switch (s.last()) {
          case DIM -> graph.layer().getDim();
          case HEAD_DIM -> graph.layer().getCore().getSpec().getHeadDim();
          case SYMBOLIC -> -1;
        };
        if (extent > 0 && extent % vectorWidth == 0) {
          List<TvmObject> parts = sch.split(spatial.remove(spatial.size() - 1), null, (long) vectorWidth);
          sch.vectorize(parts.get(1));
          spatial.add(parts.get(0));
        }
      }
      // (2) the remaining data-parallel loops, fused, over the thread pool
      sch.parallel(spatial.size() == 1 ? spatial.get(0) : sch.fuse(spatial.toArray(TvmObject[]::new)));
    }
  }

  /** The name and vector width, e.g. {@code cpu-layer(8)}. */
  @Override
  public String toString() {
    return getName() + "(" + vectorWidth + ")";
  }
}
