package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.attn4j.attention.AttentionLayer;
import org.attn4j.attention.AttentionLayerGraph;
import org.attn4j.attention.AttentionLayerStages;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.schedules.GenericLayerSchedule;
import org.attn4j.schedules.TargetKind;
import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.LoopNest;
import org.attn4j.te.Scan;
import org.attn4j.te.Schedule;
import org.attn4j.te.Te;
import org.attn4j.tvm.TvmNatives;
import org.attn4j.tvm.TvmObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Scan#rewrite} on the FoX layer's cumulative sum {@code F [b, h, n]}: the cpu-layer artifact runs the scan
 * (one pass per {@code (b, head)} row) and the generic one the compute's masked reduction; every refusal names the
 * stage and what was expected. The numbers of both are checked against the oracle by
 * {@code AttentionLayerGatesTest}.
 */
class ScanRewriteTest {
  static final AttentionLayer FOX = AttentionLayer.builder().dim(32).norm(AttentionLayer.Norm.RMS_NORM)
      .core(AttentionSpec.builder().heads(4).headDim(8).causal(Causal.BOTTOM_RIGHT).build()).forgetGate(1).build();

  /** The refusals below build IR only: load the compiler the artifact builds use. */
  @BeforeAll
  static void loadTheBuildsCompiler() {
    TvmNatives.ensureCompiler(Toolchain.hasNvcc());
  }

  @Test
  void cpuLayerScansWhereGenericSums() throws IOException {
    String cpu = Files.readString(LayerKernels.artifact(FOX, LayerArtifactRequest.defaultSchedule(
        BuildTarget.hostCpu())).resolve(ArtifactBuilder.LOWERED));
    String generic = Files.readString(LayerKernels.artifact(FOX, new GenericLayerSchedule(TargetKind.CPU))
        .resolve(ArtifactBuilder.LOWERED));
    // the scan's per-row accumulator, and no loop over the sequence nested in one over the sequence for F
    assertThat(cpu).contains("layer_forget_cumsum_acc");
    assertThat(generic).doesNotContain("layer_forget_cumsum_acc");
  }

  @Test
  void refusesWhatIsNotAScanOfOneInput() {
    try (Te te = Te.create()) {
      AttentionLayerGraph g = FOX.define(te);
      Schedule sch = Schedule.create(te.scope(), KernelCompiler.primModule(te, g.getArguments(), "k"));
      String f = AttentionLayerStages.FORGET_CUMSUM;
      assertThatThrownBy(() -> Scan.rewrite(te, sch, f, te.f32(0), Expr::plus, LoopNest.Kind.VECTORIZED))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("layer.forget_cumsum: rows: expected SERIAL or PARALLEL, got VECTORIZED");
      // RMSNorm's output reads the input, the sum of squares and γ
      assertThatThrownBy(() -> Scan.rewrite(te, sch, AttentionLayerStages.NORM, te.f32(0), Expr::plus,
          LoopNest.Kind.PARALLEL)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("layer.norm: expected a block reading one buffer x of y's shape, got [");
      // the sum of squares [b, n] reads x [b, n, dim] only
      assertThatThrownBy(() -> Scan.rewrite(te, sch, AttentionLayerStages.SQUARES, te.f32(0), Expr::plus,
          LoopNest.Kind.PARALLEL)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("layer.squares: expected x of y's shape").hasMessageContaining("\"x\"");
      assertThatThrownBy(() -> Scan.rewrite(te, sch, f, te.i32(0), Expr::plus, LoopNest.Kind.PARALLEL))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("expected init of y's dtype float32, got int32");
      assertThatThrownBy(() -> Scan.rewrite(te, sch, f, te.f32(0), (p, c) -> p.plus(c).cast(DType.INT32),
          LoopNest.Kind.PARALLEL)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("expected a step of y's dtype float32, got int32");
      // the gates computed inside F's loop nest: two blocks under its loops
      List<TvmObject> loops = sch.getLoops(sch.getBlock(f));
      sch.computeAt(sch.getBlock(AttentionLayerStages.FORGET_GATE), loops.get(0));
      assertThatThrownBy(() -> Scan.rewrite(te, sch, f, te.f32(0), Expr::plus, LoopNest.Kind.PARALLEL))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("expected the block alone in its own loop nest, got 2 blocks under its loops");
    }
  }
}
