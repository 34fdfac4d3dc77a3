package org.attn4j.schedules;

import static org.attn4j.attention.AttentionStages.ACC;
import static org.attn4j.attention.AttentionStages.EXP;
import static org.attn4j.attention.AttentionStages.LSE;
import static org.attn4j.attention.AttentionStages.MAX;
import static org.attn4j.attention.AttentionStages.OUT;
import static org.attn4j.attention.AttentionStages.SCORES;
import static org.attn4j.attention.AttentionStages.SUM;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.attention.AttentionGraph;
import org.attn4j.te.Schedule;
import org.attn4j.tvm.TvmObject;

/**
 * The first real CPU schedule of the attention template: the work is split into tiles of {@code qBlock} query
 * rows of one {@code (b, h)}; tiles of different {@code (b, h)} run in parallel;
 * within a tile every stage (scores, max, exp, sum, accumulate, normalise) is computed for the tile's rows only,
 * so at most a {@code qBlock × m} score tile is live per thread (TVM compacts each intermediate to its tile);
 * the accumulation runs with {@code j} outside and is vectorised along {@code d}.
 *
 * <p>Parameters: {@code qBlock} (query rows per tile, default 16).
 */
public final class CpuBlockedSchedule implements AttentionSchedule {
  private final int qBlock;

  /** The schedule with the default parameters. */
  public CpuBlockedSchedule() {
    this(16);
  }

  /** The schedule with {@code qBlock} query rows per tile. */
  public CpuBlockedSchedule(int qBlock) {
    if (qBlock < 1) {
      throw new IllegalArgumentException("qBlock: expected >= 1, got " + qBlock);
    }
    this.qBlock = qBlock;
  }

  @Override
  public String getName() {
    return "cpu-blocked";
  }

  @Override
  public TargetKind getTargetKind() {
    return TargetKind.CPU;
  }

  @Override
  public Map<String, Object> getParameters() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("qBlock", qBlock);
    return p;
  }

  @Override
  public void apply(Schedule sch, AttentionGraph graph) {
    // (1) tile the output rows: loops b, h, row block, row, [c]
    List<TvmObject> outLoops = tileRows(sch, OUT);
    TvmObject rowBlock = outLoops.get(2);
    if (graph.lse() != null) {
      List<TvmObject> lseLoops = tileRows(sch, LSE);
      rowBlock = sch.merge(rowBlock, lseLoops.get(2));
    }
    // (2) move every producer into the row block, consumers first; TVM then compacts each intermediate to
    // the block's rows (the loops stay affine in b, h and the block index, so the region analysis is exact)
    for (String stage : new String[] {ACC, SUM, EXP, MAX, SCORES}) {
      sch.computeAt(sch.getBlock(stage), rowBlock);
    }
    // (2b) parallel over (b, h); the row blocks of one head run in order on one thread. Fusing the row block
    // in too would make its index a modulo of the symbolic block count, which defeats TVM's region analysis
    // and the intermediates would no longer shrink to a tile.
    List<TvmObject> anchor = sch.getLoops(sch.getBlock(OUT));
    sch.parallel(sch.fuse(anchor.get(0), anchor.get(1)));
    // (3) accumulate with j outside d, vectorised along d
    TvmObject acc = sch.getBlock(ACC);
    List<TvmObject> loops = sch.getLoops(acc);
    int nl = loops.size(); // ..., tile, i, c, j
    TvmObject i = loops.get(nl - 3);
    TvmObject c = loops.get(nl - 2);
    TvmObject j = loops.get(nl - 1);
    sch.reorder(i, j, c);
    sch.decomposeReduction(acc, j);
    sch.vectorize(innermost(sch, ACC + "_init"));
    // The update's d loop is left to LLVM's loop vectoriser: TensorIR refuses to vectorise a loop around a
    // decomposed reduction update (no "compact dataflow"); it is contiguous with a constant trip count.
    sch.vectorize(innermost(sch, OUT));
  }

  private static TvmObject innermost(Schedule sch, String stage) {
    List<TvmObject> l = sch.getLoops(sch.getBlock(stage));
    return l.get(l.size() - 1);
  }

  /** Splits the row loop of an output stage by qBlock; returns its loops b, h, row block, row, [c]. */
  private List<TvmObject> tileRows(Schedule sch, String stage) {
    List<TvmObject> l = sch.getLoops(sch.getBlock(stage));
    sch.split(l.get(2), null, (long) qBlock);
    return sch.getLoops(sch.getBlock(stage));
  }
}
