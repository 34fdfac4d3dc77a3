package org.attn4j.build;


import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.ForgetDirection;
import org.attn4j.attention.ForgetGate;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Variant;
import org.attn4j.build.ModifierConformanceTest.Case;
import org.attn4j.build.VariantKernels.Shape;
import org.attn4j.reference.Forgetting;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.schedules.AttentionSchedule;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Forgetting attention ({@link Modifiers#forgetting}) against modules/reference's {@link Forgetting} oracle, per
 * schedule (generic CPU, cpu-flash, cuda-flash emulated on the CPU) and shape: KV-cache shapes ({@code n < m}), GQA,
 * key lengths, every gate type, forward and bidirectional. Tolerance: {@link Tolerances#FP32}.
 *
 * <p>The "strong" gates ({@code a_t} in {@code [-3, -0.5]}) make the default {@code ε} skip whole key tiles in the
 * flash schedules (keys about 16 positions behind a block's first row), so those cases check that skipping keeps
 * the result within FP32 of the exact oracle. Their gates are multiples of {@code 2^-8}, so {@code F} (up to
 * {@code |F| ~ 450}) is exact in float32 and the comparison measures the kernel, not the rounding of its input
 * {@code F} (which is the caller's: at {@code |F| = 450} one float32 ulp is {@code 3e-5}).
 */
class ForgettingConformanceTest extends ArrowTestBase {
  static final int DIM = 8;

  static double logSigmoid(double z) {
    return Math.min(z, 0) - Math.log1p(Math.exp(-Math.abs(z)));
  }

  /** x [b, m, DIM], the layer's normed input of a shape. */
  static float[] layerInput(Shape sh) {
    return TestData.uniform(11, sh.b() * sh.m() * DIM, -1, 1);
  }

  static float[] gateWeights(int h) {
    return TestData.uniform(12, h * DIM, -1, 1);
  }

  static float[] gateBias(int h) {
    return TestData.uniform(13, h, -1, 2);
  }

  /** FoX's data-dependent log gates {@code λ logsigmoid(w_h·x_t + β_h)} [b, h, m], as the layer computes them. */
  static float[] dataDependentGates(Shape sh, int h, double lambda) {
    float[] x = layerInput(sh);
    float[] w = gateWeights(h);
    float[] beta = gateBias(h);
    float[] a = new float[sh.b() * h * sh.m()];
    for (int b = 0; b < sh.b(); b++) {
      for (int hh = 0; hh < h; hh++) {
        for (int t = 0; t < sh.m(); t++) {
          double z = beta[hh];
          for (int c = 0; c < DIM; c++) {
            z += (double) w[hh * DIM + c] * x[(b * sh.m() + t) * DIM + c];
          }
          a[(b * h + hh) * sh.m() + t] = (float) (lambda * logSigmoid(z));
        }
      }
    }
    return a;
  }

  /** Log gates in {@code [lo, hi]}, multiples of 2^-8 (so their cumulative sums are exact in float32). */
  static float[] quantizedGates(long seed, Shape sh, int h, float lo, float hi) {
    float[] a = TestData.uniform(seed, sh.b() * h * sh.m(), lo, hi);
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.round(a[i] * 256f) / 256f;
    }
    return a;
  }

  static List<Shape> shapes(int[]... bnm) {
    return ModifierConformanceTest.shapes(bnm);
  }

  static final List<Shape> CAUSAL_SHAPES = shapes(new int[] {2, 9, 9}, new int[] {1, 40, 150},
      new int[] {1, 150, 150});

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    AttentionSpec causal = ModifierConformanceTest.CAUSAL;
    AttentionSpec gqa = ModifierConformanceTest.GQA;
    AttentionSpec gqaPadded = ModifierConformanceTest.GQA_PADDED;
    AttentionSpec mha = ModifierConformanceTest.MHA;
    ForgetDirection fwd = ForgetDirection.FORWARD;
    ForgetDirection bidir = ForgetDirection.BIDIRECTIONAL;
    // the full FoX path: the layer's gates λ logsigmoid(w·x + β), λ = 1/2, F computed on the host
    c.add(new Case("data-dependent causal", Variant.of(causal, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT, fwd)),
        sh -> List.of(Modifiers.forgetCumsum(dataDependentGates(sh, 4, 0.5), sh.b(), 4)),
        (o, sh, cap) -> o.scoreMod(Forgetting.dataDependent(layerInput(sh), sh.b(), DIM, gateWeights(4),
            gateBias(4), 0.5)), CAUSAL_SHAPES));
    c.add(new Case("strong gqa causal", Variant.of(gqa, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT, fwd)),
        sh -> List.of(Modifiers.forgetCumsum(quantizedGates(21, sh, 6, -3, -0.5f), sh.b(), 6)),
        (o, sh, cap) -> o.scoreMod(Forgetting.fromLogGates(quantizedGates(21, sh, 6, -3, -0.5f), sh.b(), 6)),
        shapes(new int[] {2, 33, 33}, new int[] {1, 20, 70}, new int[] {1, 150, 150})));
    // rows past their key length: their own key is masked, so the flash schedules must not skip for them
    c.add(new Case("strong gqa padded", Variant.of(gqaPadded, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT, fwd)),
        sh -> List.of(Modifiers.forgetCumsum(quantizedGates(22, sh, 6, -3, -0.5f), sh.b(), 6)),
        (o, sh, cap) -> o.scoreMod(Forgetting.fromLogGates(quantizedGates(22, sh, 6, -3, -0.5f), sh.b(), 6)),
        List.of(new Shape(2, 12, 20, new int[] {20, 7}), new Shape(1, 100, 130, new int[] {97}),
            new Shape(2, 150, 150, new int[] {150, 60}))));
    float[] beta = {-1f, 0.5f, 2f, 5f};
    c.add(new Case("bias-only causal", Variant.of(causal, Modifiers.forgetting(ForgetGate.BIAS_ONLY, fwd, 0.5,
        Modifiers.FORGET_EPSILON)), sh -> List.of(beta), (o, sh, cap) -> o.scoreMod(Forgetting.biasOnly(beta, 0.5)),
        CAUSAL_SHAPES));
    float[] slopes6 = Modifiers.alibiSlopes(6);
    c.add(new Case("fixed gqa causal", Variant.of(gqa, Modifiers.forgetting(ForgetGate.FIXED, fwd)),
        sh -> List.of(slopes6), (o, sh, cap) -> o.scoreMod(Forgetting.fixed(ModifierConformanceTest.widen(slopes6))),
        shapes(new int[] {2, 9, 9}, new int[] {1, 20, 70}, new int[] {1, 150, 150})));
    c.add(new Case("none causal", Variant.of(causal, Modifiers.forgetting(ForgetGate.NONE, fwd)), sh -> List.of(),
        (o, sh, cap) -> o.scoreMod(Forgetting.none()), shapes(new int[] {2, 9, 9}, new int[] {1, 40, 150})));
    List<Shape> bidirShapes = shapes(new int[] {2, 9, 9}, new int[] {1, 40, 60}, new int[] {1, 100, 100});
    c.add(new Case("data-dependent bidirectional", Variant.of(mha, Modifiers.forgetting(ForgetGate.DATA_DEPENDENT,
        bidir)), sh -> List.of(Modifiers.forgetCumsum(quantizedGates(23, sh, 4, -1, 0), sh.b(), 4),
            Modifiers.forgetCumsum(quantizedGates(24, sh, 4, -2, 0), sh.b(), 4)),
        (o, sh, cap) -> o.scoreMod(Forgetting.fromLogGates(quantizedGates(23, sh, 4, -1, 0), sh.b(), 4)
            .withReverse(Forgetting.fromLogGates(quantizedGates(24, sh, 4, -2, 0), sh.b(), 4))), bidirShapes));
    float[] betaReverse = {3f, -0.5f, 0f, 1f};
    c.add(new Case("bias-only bidirectional", Variant.of(mha, Modifiers.forgetting(ForgetGate.BIAS_ONLY, bidir, 2,
        Modifiers.FORGET_EPSILON)), sh -> List.of(beta, betaReverse),
        (o, sh, cap) -> o.scoreMod(Forgetting.biasOnly(beta, 2).withReverse(Forgetting.biasOnly(betaReverse, 2))),
        bidirShapes));
    float[] slopes4 = Modifiers.alibiSlopes(4);
    float[] slopesReverse = {0.05f, 0.5f, 0f, 1f};
    c.add(new Case("fixed bidirectional", Variant.of(mha, Modifiers.forgetting(ForgetGate.FIXED, bidir)),
        sh -> List.of(slopes4, slopesReverse),
        (o, sh, cap) -> o.scoreMod(Forgetting.fixed(ModifierConformanceTest.widen(slopes4))
            .withReverse(Forgetting.fixed(ModifierConformanceTest.widen(slopesReverse)))), bidirShapes));
    // the oracle's forward form without the causal mask: later keys get no bias
    c.add(new Case("data-dependent forward non-causal", Variant.of(mha, Modifiers.forgetting(
        ForgetGate.DATA_DEPENDENT, fwd)), sh -> List.of(Modifiers.forgetCumsum(quantizedGates(25, sh, 4, -2, 0),
            sh.b(), 4)),
        (o, sh, cap) -> o.scoreMod(Forgetting.fromLogGates(quantizedGates(25, sh, 4, -2, 0), sh.b(), 4)),
        bidirShapes));
    return c;
  }

  static List<AttentionSchedule> schedules() {
    return VariantKernels.schedules();
  }

  static Stream<Arguments> conformance() {
    return VariantKernels.onEverySchedule(cases());
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("conformance")
  void matchesReference(Case c, AttentionSchedule schedule) throws IOException {
    VariantKernels.check("forgetting", c, schedule, allocator);
  }
}
