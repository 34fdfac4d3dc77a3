package org.attn4j.reference;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.attn4j.reference.AttentionLayerOracle.Layer;
import org.attn4j.reference.AttentionLayerOracle.Norm;
import org.attn4j.reference.AttentionOracle.Spec;
import org.attn4j.reference.CoreAttentionOracle.Options;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One negative test per validation branch of the variant oracles (house style rule 35). */
class VariantValidationTest {
  private static final Options SELF = Options.builder().shape(2, 4, 2, 3, 5, 8).causal(Causal.BOTTOM_RIGHT).build();
  private static final Options FULL = SELF.toBuilder().causal(Causal.NONE).build();

  private static Arguments invalid(String message, ThrowingCallable call) {
    return Arguments.of(message, call);
  }

  static Stream<Arguments> invalidCombinations() {
    float[] kv = new float[2 * 2 * 8];
    return Stream.of(
        invalid("rotary dim r = 3: expected an even number >= 2", () -> Rotary.of(3)),
        invalid("rotary dim r = 10: expected r <= d = 8", () -> Spec.builder(SELF).rotary(Rotary.of(10)).build()),
        invalid("rotary base = 1.0: expected a finite value > 1", () -> Rotary.of(4).withBase(1)),
        invalid("rotary NTK factor γ = 2.0: expected γ = 1 with r = 2", () -> Rotary.of(2).withNtkFactor(2)),
        invalid("rotary NTK factor γ = 0.0: expected a finite value > 0", () -> Rotary.of(4).withNtkFactor(0)),
        invalid("rotary interpolation ι = 0.5: expected a finite value >= 1",
            () -> Rotary.of(4).withInterpolation(0.5)),
        invalid("k = 2 is outside [0, r/2 = 2)", () -> Rotary.of(4).angle(1, 2)),
        invalid("positions: expected [2] or [b, 2] = 4 floats, got 3",
            () -> Rotary.of(4).rotate(new float[2 * 2 * 4], 2, 1, 2, 4, new float[3])),
        invalid("rotary: context positions need CROSS attention, got SELF", () -> Spec.builder(FULL)
            .rotary(Rotary.of(4), RotaryPositions.cross(new float[3], new float[5])).build()),
        invalid("rotary: CROSS attention rotates only with context positions", () -> Spec.builder(FULL)
            .kind(AttentionKind.CROSS).rotary(Rotary.of(4)).build()),
        invalid("rotary query positions: expected [3] or [b, 3] = 6 floats, got 5", () -> Spec.builder(FULL)
            .kind(AttentionKind.CROSS).rotary(Rotary.of(4), RotaryPositions.cross(new float[5], new float[5]))
            .build()),
        invalid("rotary key positions: expected [5] or [b, 5] = 10 floats, got 3", () -> Spec.builder(SELF)
            .rotary(Rotary.of(4), RotaryPositions.self(new float[3])).build()),
        invalid("rotary: self-attention queries take the last n key positions; expected n <= m, got n = 5, m = 3",
            () -> Spec.builder(SELF.toBuilder().n(5).m(3).build()).rotary(Rotary.of(4)).build()),
        invalid("special tokens: expected a rotary", () -> Spec.builder(SELF)
            .specialTokens(SpecialTokens.noRotatePrefix(1)).build()),
        invalid("special tokens: expected SELF attention, got CROSS", () -> Spec.builder(FULL)
            .kind(AttentionKind.CROSS).rotary(Rotary.of(4), RotaryPositions.cross(new float[3], new float[5]))
            .specialTokens(SpecialTokens.pairwiseExempt(1)).build()),
        invalid("special tokens: expected S <= m = 5, got 6", () -> Spec.builder(SELF).rotary(Rotary.of(4))
            .specialTokens(SpecialTokens.rotateAll(6)).build()),
        invalid("special tokens: expected a count S >= 0, got -1", () -> SpecialTokens.customPosition(-1, 0)),
        invalid("memory kv: expected a count M >= 1, got 0", () -> MemoryKv.of(kv, kv, 0)),
        invalid("memory values: expected length of memory keys = 32 floats, got 3",
            () -> MemoryKv.of(kv, new float[3], 2)),
        invalid("memory keys: expected h_kv*M*d = 48 floats, got 32",
            () -> Spec.builder(SELF).memoryKv(MemoryKv.of(kv, kv, 3)).build()),
        invalid("value residual v1: expected b*h_kv*m*d = 160 floats, got 3",
            () -> Spec.builder(SELF).valueResidual(ValueResidual.constant(new float[3], 0.5)).build()),
        invalid("value residual λ: expected b*h_kv*m = 20 values, got 2", () -> Spec.builder(SELF)
            .valueResidual(ValueResidual.perToken(new float[160], new float[2])).build()),
        invalid("value residual w: expected h_kv*dim = 6 floats, got 5", () -> ValueResidual.learned(new float[160],
            new float[30], 2, 3, new float[5], new float[2])),
        invalid("value residual x: expected [b = 2, m, dim = 3], got 31 floats", () -> ValueResidual.learned(
            new float[160], new float[31], 2, 3, new float[6], new float[2])),
        invalid("value residual λ = NaN: expected a finite value", () -> ValueResidual.constant(kv, Double.NaN)),
        invalid("cope: expected causal = BOTTOM_RIGHT (CoPE is causal only), got NONE",
            () -> Spec.builder(FULL).cope(Cope.of(new float[16 * 8], 16)).build()),
        invalid("cope table: expected P*d = 32, got 12", () -> Spec.builder(SELF).cope(Cope.of(new float[12], 4))
            .build()),
        invalid("cope table: expected [P = 5, d] with P >= 1, got 12 floats", () -> Cope.of(new float[12], 5)),
        invalid("cope temperature = 0.0: expected a finite value > 0",
            () -> Cope.of(new float[4], 2).withSoftOneHot(0)),
        invalid("sinks: expected h = 4, got 2", () -> Spec.builder(SELF).normalizer(Normalizer.sinks(new float[2]))
            .build()),
        invalid("sinks: expected finite values or -Infinity, got NaN",
            () -> Normalizer.sinks(new float[] {Float.NaN})),
        invalid("sigmoid bias = Infinity: expected a finite value",
            () -> Normalizer.sigmoid(Double.POSITIVE_INFINITY)),
        invalid("softCap = 0.0: expected a finite value > 0", () -> Spec.builder(SELF).softCap(0)),
        invalid("alibi slopes: expected h = 4, got 3",
            () -> Spec.builder(SELF).scoreMod(Gallery.alibi(3)).build()),
        invalid("heads = 0: expected >= 1", () -> Gallery.alibiSlopes(0)),
        invalid("sliding window: expected left >= 0 and right >= 0, got left = -1, right = 0",
            () -> Gallery.slidingWindow(-1, 0)),
        invalid("prefix = -2: expected >= 0", () -> Gallery.prefixLm(-2)),
        invalid("documents: expected b*m ids = 10, got 5",
            () -> Spec.builder(SELF).maskMod(Gallery.documents(new int[5], 5)).build()),
        invalid("documents: expected m = 5, got 4",
            () -> Spec.builder(SELF).maskMod(Gallery.documents(new int[8], 4)).build()),
        invalid("documents: expected SELF attention, got CROSS", () -> Spec.builder(FULL).kind(AttentionKind.CROSS)
            .maskMod(Gallery.documents(new int[10], 5)).build()),
        invalid("t5 table: expected numBuckets*h = 128, got 64",
            () -> Spec.builder(SELF).scoreMod(Gallery.t5Bias(new float[64], Causal.NONE, 32, 128, 1)).build()),
        invalid("t5 bias: expected numBuckets >= 2 and maxDistance > the exact buckets, got numBuckets = 32,"
            + " maxDistance = 8", () -> Gallery.t5Bias(new float[64], Causal.NONE, 32, 8, 1)),
        invalid("forgetting gates: expected SELF attention, got CROSS", () -> Spec.builder(FULL)
            .kind(AttentionKind.CROSS).scoreMod(Forgetting.none()).build()),
        invalid("forgetting gates: expected n <= m (queries are the last n tokens), got n = 5, m = 3",
            () -> Spec.builder(SELF.toBuilder().n(5).m(3).build()).scoreMod(Forgetting.none()).build()),
        invalid("forgetting gates: expected m = 5, got 4",
            () -> Spec.builder(SELF).scoreMod(Forgetting.fromLogGates(new float[2 * 4 * 4], 2, 4)).build()),
        invalid("forgetting gates: expected h = 4, got 2",
            () -> Spec.builder(SELF).scoreMod(Forgetting.fixed(new double[2])).build()),
        invalid("logGates: expected [b = 2, h = 4, m], got 12 floats", () -> Forgetting.fromLogGates(new float[12],
            2, 4)),
        invalid("forget gate w: expected h*dim = 6 floats, got 5", () -> Forgetting.dataDependent(new float[6], 1, 3,
            new float[5], new float[2], 1)),
        invalid("forgetting: expected one forward and one reverse gate set", () -> Forgetting.none()
            .withReverse(Forgetting.none().withReverse(Forgetting.none()))),
        invalid("lse: not defined for the SIGMOID normaliser, expected null", () -> AttentionOracle.run(
            Spec.builder(SELF).normalizer(Normalizer.sigmoid(0)).build(), new float[SELF.getQSize()],
            new float[SELF.getKvSize()], new float[SELF.getKvSize()], new float[SELF.getQSize()],
            new float[SELF.getLseSize()])),
        invalid("q: expected b*h*n*d = 192 floats, got 3",
            () -> AttentionOracle.scores(Spec.builder(SELF).build(), new float[3], new float[SELF.getKvSize()])),
        invalid("core: expected SELF attention with m = n, got SELF with n = 3, m = 5",
            () -> Layer.builder(4, Spec.builder(SELF).build()).build()),
        invalid("layer: expected norm(...) and projections(...) to be set", () -> Layer.builder(4, square()).build()),
        invalid("wo: expected dim*h*d = 128 floats, got 3", () -> Layer.builder(4, square())
            .norm(Norm.RMS_NORM, new float[4]).projections(new float[128], new float[64], new float[64], new float[3])
            .build()),
        invalid("condition gate: expected dim = 4 floats, got 3", () -> layer().conditionGate(new float[3]).build()),
        invalid("forget gate β: expected h = 4 floats, got 1", () -> layer()
            .forgetGate(new float[16], new float[1], 1).build()),
        invalid("value residual: expected both w and bias, or neither", () -> layer()
            .valueResidual(new float[2 * 2 * 3 * 8], new float[8], null).build()),
        invalid("z: expected b*dim or b*n*dim = 24 floats, got 5",
            () -> AttentionLayerOracle.run(layer().build(), new float[24], new float[5])),
        invalid("x0: expected [b, n, dim] (read by the condition gate), got null", () -> AttentionLayerOracle.run(layer().conditionGate(new float[4]).build(),
            new float[24], new float[8], null)));
  }

  private static Spec square() {
    return Spec.builder(SELF.toBuilder().m(3).build()).build();
  }

  private static Layer.Builder layer() {
    return Layer.builder(4, square()).norm(Norm.LAYER_NORM, new float[4])
        .projections(new float[128], new float[64], new float[64], new float[128]);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidCombinations")
  void invalidCombinationThrows(String message, ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}
