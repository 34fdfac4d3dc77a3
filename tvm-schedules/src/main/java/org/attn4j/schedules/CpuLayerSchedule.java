package org.attn4j.schedules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.attention.AttentionLayerGraph;
import org.attn4j.attention.AttentionLayerStages;
import org.attn4j.attention.AttentionStages;
import org.attn4j.te.Expr;
import org.attn4j.te.LoopNest;
import org.attn4j.te.Scan;
import org.attn4j.te.Schedule;
import org.attn4j.te.Te;
import org.attn4j.tvm.TvmObject;

/**
 * The layer on the CPU: every block, the core's included, runs its data-parallel loops on the thread pool. The
 * dot products (the q/k/v and output projections, whose {@code [out, in]} weights are contiguous along the
 * reduction, and the core's scores) are vectorised along their reduction with an {@code rfactor} into per-element
 * partial sums ({@link #apply}); blocks without a reduction are vectorised along their last axis when its extent
 * is a static multiple of {@code vectorWidth}. Data-dependent gates (FoX, the learned value-residual mix): their
 * per-head logits are dot products over {@code dim} like the projections (vectorised); the gates and the mix run
 * their {@code (b, head, token)} elements on the thread pool. The cumulative sum {@code F [b, h, n]}, which the
 * compute states as a masked reduction over the sequence ({@code O(n²)} per {@code (b, head)}, what
 * {@link GenericLayerSchedule} runs), becomes a scan ({@link Scan#rewrite}, the last step): one pass over the
 * tokens per {@code (b, head)} row, rows on the thread pool, the same float sums in the same order. Measured once
 * (2 vCPUs, x86-64-v4, {@code LayerTiming}): {@code F} of {@code a [1, 8, n]} alone 1.24 / 19.7 / 317 ms as the
 * parallel masked reduction against 0.04 / 0.10 / 0.28 ms as the scan at n 256 / 1024 / 4096; the FoX layer
 * (dim 512, h 8, d 64, b 1, n 1024) 1013-1038 ms -> 981-982 ms, 50-58 ms -> 29-31 ms above the same layer without
 * FoX. The core keeps the generic compute (scores, max, exp, sum and
 * aggregate materialised), only parallelised and with vectorised scores: the flash loop nest
 * ({@link CpuFlashSchedule}) reads q/k/v as kernel arguments and cannot yet take them from the layer's
 * projections. Measured once on the 2-vCPU build host (x86-64-v4): dim 512, h 8, d 64, b 1,
 * n 256, z [b, dim]: 69 ms against 376-506 ms for {@link GenericLayerSchedule}.
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

  /**
   * Which static size the last axis has: of an elementwise block, its last data-parallel axis; of a dot product
   * (Q, K, V, scores, output projection), its innermost reduction, read contiguously from both operands.
   */
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
      new Stage(AttentionLayerStages.Q, 4, true, Last.DIM),
      new Stage(AttentionLayerStages.K, 4, true, Last.DIM),
      new Stage(AttentionLayerStages.V, 4, true, Last.DIM),
      new Stage(AttentionLayerStages.FORGET_LOGIT, 3, true, Last.DIM),
      new Stage(AttentionLayerStages.FORGET_GATE, 3, false),
      new Stage(AttentionLayerStages.MIX_LOGIT, 3, true, Last.DIM),
      new Stage(AttentionLayerStages.MIX, 3, false),
      new Stage(AttentionStages.SCORES, 4, true, Last.HEAD_DIM),
      new Stage(AttentionStages.MAX, 3, true),
      new Stage(AttentionStages.EXP, 4, false),
      new Stage(AttentionStages.SUM, 3, true),
      new Stage(AttentionStages.ACC, 4, true),
      new Stage(AttentionStages.OUT, 4, false, Last.HEAD_DIM),
      new Stage(AttentionLayerStages.PROJ, 3, true, Last.HEAD_DIM),
      new Stage(AttentionLayerStages.OUT, 3, false, Last.DIM));

  @Override
  public void apply(Schedule sch, AttentionLayerGraph graph) {
    for (Stage s : STAGES) {
      if (!sch.hasBlock(s.name())) {
        continue; // an optional stage (gate, condition, LayerNorm's mean, FoX / mix gates, softmax's max and sum)
      }
      TvmObject block = sch.getBlock(s.name());
      long extent = switch (s.last()) {
        case DIM -> graph.layer().getDim();
        case HEAD_DIM -> graph.layer().getCore().getSpec().getHeadDim();
        case SYMBOLIC -> -1;
      };
      int lanes = lanes(extent / 2 * 2 == extent ? extent / 2 : -1);
      if (s.reduces() && lanes > 1) {
        dotProduct(sch, block, s.rank(), lanes);
        continue;
      }
      List<TvmObject> loops = sch.getLoops(block);
      List<TvmObject> spatial = new ArrayList<>(loops.subList(0, s.rank()));
      if (!s.reduces()) {
        // (1) elementwise: split the last axis into vectors when its extent allows it
        if (extent > 0 && extent % vectorWidth == 0) {
          List<TvmObject> parts = sch.split(spatial.remove(spatial.size() - 1), null, (long) vectorWidth);
          sch.vectorize(parts.get(1));
          spatial.add(parts.get(0));
        }
      }
      // (2) the remaining data-parallel loops, fused, over the thread pool
      sch.parallel(spatial.size() == 1 ? spatial.get(0) : sch.fuse(spatial.toArray(TvmObject[]::new)));
    }
    // (3) last (a replacement ends what TensorIR can check): F, a masked reduction over the sequence in the
    // compute (O(n²) per (b, head)), becomes a scan over the tokens, its (b, head) rows over the thread pool
    if (sch.hasBlock(AttentionLayerStages.FORGET_CUMSUM)) {
      Te te = graph.b().getTe();
      Scan.rewrite(te, sch, AttentionLayerStages.FORGET_CUMSUM, te.f32(0), Expr::plus, LoopNest.Kind.PARALLEL);
    }
  }

  /**
   * The widest vector of at most {@code vectorWidth} and at least 4 lanes dividing {@code half}, else 1 (a dot
   * product of {@code 2·half} values keeps at least two vector steps: with one, TensorIR's compute-at leaves a
   * loop nest that cannot be reordered).
   */
  private int lanes(long half) {
    for (int w = vectorWidth; w >= 4; w /= 2) {
      if (half > 0 && half % w == 0) {
        return w;
      }
    }
    return 1;
  }

  /**
   * A dot product {@code y[s...] = Σ_r a[.., r] · b[.., r]} whose innermost reduction {@code r} is contiguous in
   * both operands (PyTorch's {@code [out, in]} weights make every projection one): (1) split {@code r} into
   * {@code (r_o, r_i)} with {@code lanes} values of {@code r_i}; (2) factor {@code r_i} out ({@code rfactor}) into
   * partial sums {@code y_rf[s..., r_i]}, computed per output element (a {@code lanes}-float local buffer once
   * lowered) with {@code r_i} innermost and vectorised, so each step is one vector multiply-add of contiguous
   * loads; (3) the original block adds the {@code lanes} partials; (4) the output elements run on the thread
   * pool.
   */
  private static void dotProduct(Schedule sch, TvmObject block, int rank, int lanes) {
    List<TvmObject> loops = sch.getLoops(block);
    // (1), (2)
    List<TvmObject> parts = sch.split(loops.get(loops.size() - 1), null, (long) lanes);
    TvmObject rf = sch.rfactor(parts.get(1), rank);
    List<TvmObject> out = sch.getLoops(block);
    sch.computeAt(rf, out.get(rank - 1));
    // (4) before the reduction is touched further: parallel loops need blocks that still own their init
    List<TvmObject> spatial = sch.getLoops(block).subList(0, rank);
    sch.parallel(spatial.size() == 1 ? spatial.get(0) : sch.fuse(spatial.toArray(TvmObject[]::new)));
    // compute-at lists the partials' own loops as r_i first, then the other reductions: move r_i innermost
    List<TvmObject> all = sch.getLoops(rf);
    List<TvmObject> own = new ArrayList<>(all.subList(all.size() - (loops.size() - rank + 1), all.size()));
    TvmObject inner = own.remove(0);
    own.add(inner);
    sch.reorder(own.toArray(TvmObject[]::new));
    sch.vectorize(inner);
  }

  /** The name and vector width, e.g. {@code cpu-layer(8)}. */
  @Override
  public String toString() {
    return getName() + "(" + vectorWidth + ")";
  }
}
