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
 * rows of one {@code (b, h)}; tiles run in parallel (one flat parallel loop over {@code b·h·ceil(n/qBlock)});
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
    // (1) tile the output over (b, h, query block) and run tiles in parallel
    TvmObject out = sch.getBlock(OUT);
    TvmObject tile = tileRows(sch, out);
    if (graph.lse() != null) {
      TvmObject lseTile = tileRows(sch, sch.getBlock(LSE));
      tile = sch.merge(tile, lseTile);
    }
    sch.parallel(tile);
    // (2) move every producer into the tile, consumers first
    for (String stage : new String[] {ACC, SUM, EXP, MAX, SCORES}) {
      sch.computeAt(sch.getBlock(stage), tile);
    }
    // (3) accumulate with j outside d, vectorised along d
    TvmObject acc = sch.getBlock(ACC);
    List<TvmObject> loops = sch.getLoops(acc);
    int nl = loops.size(); // ..., tile, i, c, j
    TvmObject i = loops.get(nl - 3);
    TvmObject c = loops.get(nl - 2);
    TvmObject j = loops.get(nl - 1);
    sch.reorder(i, j, c);
    sch.decomposeReduction(acc, j);
    sch.vectorize(sch.getLoops(sch.getBlock(ACC + "_init")).get(nl - 1));
    sch.vectorize(c);
    List<TvmObject> outLoops = sch.getLoops(sch.getBlock(OUT));
    sch.vectorize(outLoops.get(outLoops.size() - 1));
  }

  /** Splits the row loop of an output block by qBlock and fuses (b, h, row block); returns the fused loop. */
  private TvmObject tileRows(Schedule sch, TvmObject block) {
    List<TvmObject> l = sch.getLoops(block); // b, h, i, [c]
    List<TvmObject> io = sch.split(l.get(2), null, (long) qBlock);
    return sch.fuse(l.get(0), l.get(1), io.get(0));
  }
}
