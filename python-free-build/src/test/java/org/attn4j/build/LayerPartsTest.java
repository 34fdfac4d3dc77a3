package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.attn4j.attention.AttentionLayer;
import org.attn4j.attention.AttentionLayerParts;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Variant;
import org.attn4j.te.CallSequence;
import org.attn4j.te.DType;
import org.attn4j.te.Te;
import org.attn4j.te.Tensor;
import org.attn4j.tvm.TvmNatives;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layer split for cpu-flash-layer ({@link AttentionLayer#defineParts}): what the prologue hands the core, the
 * core's own arguments; and the refusals of {@link CallSequence}, the entry that calls the three parts. The parts'
 * numbers are checked against the oracle through the default schedule by {@code AttentionLayerConformanceTest} and
 * {@code AttentionLayerGatesTest}.
 */
class LayerPartsTest {
  static final AttentionSpec GQA = AttentionSpec.builder().heads(4).kvHeads(2).headDim(8).causal(Causal.BOTTOM_RIGHT)
      .build();

  /** Definitions only: load the compiler the artifact builds use. */
  @BeforeAll
  static void loadTheBuildsCompiler() {
    TvmNatives.ensureCompiler(Toolchain.hasNvcc());
  }

  @Test
  void theCoreReadsTheGatesFromThePrologueAndItsOwnCapturesFromTheLayer() {
    AttentionLayer l = AttentionLayer.builder().dim(32).core(Variant.of(GQA, Modifiers.alibi())).forgetGate(1)
        .valueResidual(true).build();
    try (Te te = Te.create()) {
      AttentionLayerParts p = l.defineParts(te);
      assertThat(p.prologue()).containsOnlyKeys("q", "k", "v", "forget_cumsum", "value_residual_mix");
      assertThat(p.prologue().get("forget_cumsum").getName()).isEqualTo("layer.forget_cumsum");
      assertThat(p.core().getArguments()).extracting(Tensor::getName).containsExactly("q", "k", "v",
          "alibi_slopes", "forget_cumsum", "value_first", "value_residual_mix", "attn.out");
      // what the prologue does not compute comes from the layer's arguments
      assertThat(p.layer().getArgumentNames()).contains("alibi_slopes", "value_first")
          .doesNotContain("forget_cumsum", "value_residual_mix");
      assertThat(l.getCoreVariant().getName()).contains("fox").contains("value_residual");
      assertThat(p.attention().getShape().toString()).isEqualTo(p.core().out().getShape().toString());
      assertThat(p.out().getShape().toString()).isEqualTo(p.layer().out().getShape().toString());
    }
  }

  @Test
  void callSequenceRefusesWhatItCannotCall() {
    try (Te te = Te.create()) {
      var n = te.sizeVar("n");
      Tensor x = te.placeholder("x", DType.FLOAT32, n);
      Tensor y = te.placeholder("y", DType.FLOAT32, n);
      CallSequence seq = new CallSequence(te);
      seq.param(x);
      assertThatThrownBy(() -> seq.param(x)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("x: expected a tensor not given before, got it twice");
      assertThatThrownBy(() -> seq.workspace(x)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("got it twice");
      assertThatThrownBy(() -> seq.call("f", List.of(x, y))).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("f: argument y: expected a tensor given to param or workspace");
      assertThatThrownBy(() -> seq.function("k")).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("k: expected at least one call, got none");
    }
  }
}
