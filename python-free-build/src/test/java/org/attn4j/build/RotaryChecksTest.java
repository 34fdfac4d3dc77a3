package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Rotary;
import org.attn4j.attention.RotaryPositions;
import org.attn4j.attention.SpecialTokens;
import org.attn4j.attention.Variant;
import org.attn4j.build.VariantKernels.Qkv;
import org.attn4j.build.VariantKernels.Result;
import org.attn4j.build.VariantKernels.Shape;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.Tolerances;
import org.attn4j.schedules.GenericSchedule;
import org.attn4j.schedules.TargetKind;
import org.junit.jupiter.api.Test;

/**
 * Rotary's invalid combinations are refused with messages that say what to do, and its one cross-attention
 * invariant: cross-attention whose query and context positions are the self-attention positions equals rotary
 * self-attention (cpu-flash, the default schedule).
 */
class RotaryChecksTest extends ArrowTestBase {
  static final AttentionSpec SELF = AttentionSpec.builder().heads(4).headDim(16).build();
  static final AttentionSpec CROSS = AttentionSpec.builder().heads(4).headDim(16).cross(true).build();

  @Test
  void contextPositionsNeedCrossAttentionAndCrossAttentionNeedsThem() {
    assertThatThrownBy(() -> VariantKernels.artifact(Variant.of(SELF, Modifiers.rotary(Rotary.halfOf(16),
        RotaryPositions.cross(false))), new GenericSchedule(TargetKind.CPU)))
        .hasMessageContaining("context positions (RotaryPositions.cross) need a cross-attention spec");
    assertThatThrownBy(() -> VariantKernels.artifact(Variant.of(CROSS, Modifiers.rotary(Rotary.halfOf(16),
        RotaryPositions.arange())), new GenericSchedule(TargetKind.CPU)))
        .hasMessageContaining("cross-attention rotates only with context positions")
        .hasMessageContaining("build it without rotary");
    assertThatThrownBy(() -> VariantKernels.artifact(Variant.of(CROSS, Modifiers.rotary(Rotary.halfOf(16),
        RotaryPositions.cross(false), SpecialTokens.noRotatePrefix(1))), new GenericSchedule(TargetKind.CPU)))
        .hasMessageContaining("special tokens need self-attention");
  }

  @Test
  void badRotaryParametersAreRefused() {
    assertThatThrownBy(() -> VariantKernels.artifact(Variant.of(SELF, Modifiers.rotary(Rotary.of(32),
        RotaryPositions.arange())), new GenericSchedule(TargetKind.CPU))).hasMessageContaining("expected r <= d = 16");
    assertThatThrownBy(() -> Rotary.of(7)).hasMessageContaining("expected an even r >= 2");
    assertThatThrownBy(() -> Rotary.of(8).withInterpolation(0.5)).hasMessageContaining("expected a finite ι >= 1");
    assertThatThrownBy(() -> Rotary.of(2).withNtkFactor(2)).hasMessageContaining("γ = 1 when r = 2");
    assertThatThrownBy(() -> SpecialTokens.pairwiseExempt(0)).hasMessageContaining("expected a count S >= 1");
    assertThatThrownBy(() -> VariantKernels.artifact(Variant.of(SELF, Modifiers.rotary(Rotary.of(8),
        RotaryPositions.arange()), Modifiers.rotary(Rotary.of(4), RotaryPositions.arange())),
        new GenericSchedule(TargetKind.CPU))).hasMessageContaining("at most one modifier to set the q/k prologue");
  }

  @Test
  void mismatchedPositionLengthsAreRefusedByName() throws IOException {
    Variant v = Variant.of(CROSS, Modifiers.rotary(Rotary.halfOf(16), RotaryPositions.cross(false)));
    Path dir = VariantKernels.artifact(v, ArtifactRequest.defaultSchedule(BuildTarget.hostCpu()));
    Shape sh = Shape.of(1, 5, 7);
    Qkv in = Qkv.of(CROSS, sh);
    assertThatThrownBy(() -> VariantKernels.run(allocator, dir, CROSS, sh, in, List.of(new float[7], new float[7])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rotary_pos_q");
    assertThatThrownBy(() -> VariantKernels.run(allocator, dir, CROSS, sh, in, List.of(new float[5], new float[5])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rotary_pos_k");
  }

  @Test
  void crossAttentionAtTheSelfPositionsEqualsSelfAttention() throws IOException {
    AttentionSpec causalSelf = AttentionSpec.builder().heads(4).headDim(16).causal(Causal.BOTTOM_RIGHT).build();
    AttentionSpec causalCross = AttentionSpec.builder().heads(4).headDim(16).causal(Causal.BOTTOM_RIGHT).cross(true)
        .build();
    Shape sh = Shape.of(2, 20, 70);
    Path self = VariantKernels.artifact(Variant.of(causalSelf, Modifiers.rotary(Rotary.halfOf(16),
        RotaryPositions.arange())), ArtifactRequest.defaultSchedule(BuildTarget.hostCpu()));
    Path cross = VariantKernels.artifact(Variant.of(causalCross, Modifiers.rotary(Rotary.halfOf(16),
        RotaryPositions.cross(false))), ArtifactRequest.defaultSchedule(BuildTarget.hostCpu()));
    Qkv in = Qkv.of(causalSelf, sh);
    float[] posQ = new float[sh.n()];
    float[] posK = new float[sh.m()];
    for (int i = 0; i < posQ.length; i++) {
      posQ[i] = i + sh.m() - sh.n();
    }
    for (int j = 0; j < posK.length; j++) {
      posK[j] = j;
    }
    Result a = VariantKernels.run(allocator, self, causalSelf, sh, in, List.of());
    Result b = VariantKernels.run(allocator, cross, causalCross, sh, in, List.of(posQ, posK));
    Comparison cmp = Tolerances.compare(b.out(), a.out());
    assertThat(cmp.getMaxAbsError()).as("cross at the self positions vs self: %s", cmp).isLessThanOrEqualTo(1e-6);
  }
}
