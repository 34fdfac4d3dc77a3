package org.attn4j.build;


import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.HeadMapping;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Variant;
import org.attn4j.build.VariantKernels.Shape;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.Gallery;
import org.attn4j.reference.Normalizer;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.schedules.AttentionSchedule;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The modifier gallery ({@link Modifiers}) against modules/reference's oracle, per schedule (generic CPU and
 * cpu-flash) and shape: n != m (KV cache, and n > m with empty rows), causal, GQA, key lengths. One artifact
 * per (variant, schedule) serves every shape of its case. Tolerance: {@link Tolerances#FP32}.
 */
class ModifierConformanceTest extends ArrowTestBase {
  static final AttentionSpec MHA = AttentionSpec.builder().heads(4).headDim(16).lse(true).build();
  static final AttentionSpec CAUSAL = AttentionSpec.builder().heads(4).headDim(16).causal(Causal.BOTTOM_RIGHT)
      .lse(true).build();
  static final AttentionSpec PLAIN = AttentionSpec.builder().heads(4).headDim(16).build();
  static final AttentionSpec GQA = AttentionSpec.builder().heads(6).kvHeads(2).headDim(16)
      .causal(Causal.BOTTOM_RIGHT).build();
  static final AttentionSpec GQA_PADDED = AttentionSpec.builder().heads(6).kvHeads(2).headDim(16)
      .headMapping(HeadMapping.BLOCKED).causal(Causal.BOTTOM_RIGHT).keyLengths(true).lse(true).build();
  static final float[] SINKS = {0.5f, Float.NEGATIVE_INFINITY, 1.5f, -1f};

  /** The captured inputs of a call, in capture order (float[] or int[]). */
  interface Captures extends Function<Shape, List<Object>> {}

  /** Adds the oracle's counterparts of the variant's modifiers, given the same captured inputs. */
  interface OracleMods {
    void apply(AttentionOracle.Spec.Builder spec, Shape sh, List<Object> captures);
  }

  record Case(String name, Variant variant, Captures captures, OracleMods oracle, List<Shape> shapes) {
    @Override
    public String toString() {
      return name;
    }
  }

  static double[] widen(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /** Sorted document ids, a different segmentation per batch row. */
  static int[] documentIds(Shape sh) {
    int[] ids = new int[sh.b() * sh.m()];
    for (int b = 0; b < sh.b(); b++) {
      for (int j = 0; j < sh.m(); j++) {
        ids[b * sh.m() + j] = (j + 2 * b) / (5 + b);
      }
    }
    return ids;
  }

  static int[] prefixLengths(Shape sh) {
    int[] p = new int[sh.b()];
    for (int b = 0; b < p.length; b++) {
      p[b] = b == 0 ? Math.min(3, sh.m()) : b == 1 ? 0 : sh.m();
    }
    return p;
  }

  static float[] t5Table(int buckets, int heads) {
    return TestData.uniform(7, buckets * heads, -1, 1);
  }

  static List<Shape> shapes(int[]... bnm) {
    return Arrays.stream(bnm).map(s -> Shape.of(s[0], s[1], s[2])).toList();
  }

  static List<Case> gallery() {
    List<Case> c = new ArrayList<>();
    float[] slopes6 = Modifiers.alibiSlopes(6);
    c.add(new Case("alibi gqa causal", Variant.of(GQA, Modifiers.alibi()), sh -> List.of(slopes6),
        (o, sh, cap) -> o.scoreMod(Gallery.alibi(widen((float[]) cap.get(0)))),
        shapes(new int[] {2, 9, 9}, new int[] {1, 5, 13}, new int[] {1, 13, 5})));
    c.add(new Case("softcap 2", Variant.of(MHA, Modifiers.softCap(2)), sh -> List.of(),
        (o, sh, cap) -> o.softCap(2), shapes(new int[] {2, 9, 9}, new int[] {1, 7, 12})));
    c.add(new Case("window 16,0 causal", Variant.of(CAUSAL, Modifiers.slidingWindow(16, 0)), sh -> List.of(),
        (o, sh, cap) -> o.maskMod(Gallery.slidingWindow(16, 0)),
        shapes(new int[] {1, 150, 150}, new int[] {1, 20, 70}, new int[] {2, 9, 9})));
    c.add(new Case("window 3,2", Variant.of(MHA, Modifiers.slidingWindow(3, 2)), sh -> List.of(),
        (o, sh, cap) -> o.maskMod(Gallery.slidingWindow(3, 2)), shapes(new int[] {2, 9, 9}, new int[] {1, 70, 40})));
    c.add(new Case("documents", Variant.of(MHA, Modifiers.documents()), sh -> List.of(documentIds(sh)),
        (o, sh, cap) -> o.maskMod(Gallery.documents((int[]) cap.get(0), sh.m())),
        shapes(new int[] {2, 20, 20}, new int[] {2, 7, 20}, new int[] {1, 25, 9})));
    c.add(new Case("prefix-lm", Variant.of(MHA, Modifiers.prefixLm()), sh -> List.of(prefixLengths(sh)),
        (o, sh, cap) -> {
          int[] p = (int[]) cap.get(0);
          o.maskMod((b, h, i, j) -> j <= i || j < p[b]);
        }, shapes(new int[] {3, 20, 20}, new int[] {3, 7, 12}, new int[] {1, 70, 70})));
    float[] t5 = t5Table(32, 4);
    c.add(new Case("t5 bidirectional", Variant.of(MHA, Modifiers.t5Bias(Causal.NONE, 32, 128, 4)),
        sh -> List.of(t5), (o, sh, cap) -> o.scoreMod(Gallery.t5Bias((float[]) cap.get(0),
            org.attn4j.reference.Causal.NONE, 32, 128, 4)), shapes(new int[] {1, 40, 60}, new int[] {1, 30, 170})));
    c.add(new Case("t5 causal", Variant.of(CAUSAL, Modifiers.t5Bias(Causal.BOTTOM_RIGHT, 32, 128, 4)),
        sh -> List.of(t5), (o, sh, cap) -> o.scoreMod(Gallery.t5Bias((float[]) cap.get(0),
            org.attn4j.reference.Causal.BOTTOM_RIGHT, 32, 128, 4)), shapes(new int[] {1, 40, 160})));
    c.add(new Case("sinks", Variant.of(MHA, Modifiers.sinks()), sh -> List.of(SINKS),
        (o, sh, cap) -> o.normalizer(Normalizer.sinks((float[]) cap.get(0))),
        shapes(new int[] {2, 9, 9}, new int[] {1, 5, 13})));
    c.add(new Case("softmax+1 causal", Variant.of(CAUSAL, Modifiers.softmaxPlusOne()), sh -> List.of(),
        (o, sh, cap) -> o.normalizer(Normalizer.softmaxPlusOne()), shapes(new int[] {2, 9, 9}, new int[] {1, 13, 5})));
    c.add(new Case("sigmoid -1", Variant.of(PLAIN, Modifiers.sigmoid(-1)), sh -> List.of(),
        (o, sh, cap) -> o.normalizer(Normalizer.sigmoid(-1)), shapes(new int[] {2, 9, 9}, new int[] {1, 13, 20})));
    c.add(new Case("alibi+softcap+window gqa padded",
        Variant.of(GQA_PADDED, Modifiers.alibi(), Modifiers.softCap(5), Modifiers.slidingWindow(8, 0)),
        sh -> List.of(slopes6), (o, sh, cap) -> o.scoreMod(Gallery.alibi(widen((float[]) cap.get(0)))).softCap(5)
            .maskMod(Gallery.slidingWindow(8, 0)),
        List.of(new Shape(2, 12, 20, new int[] {20, 7}), new Shape(1, 100, 130, new int[] {97}))));
    return c;
  }

  static Stream<Arguments> cases() {
    return VariantKernels.onEverySchedule(gallery());
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void matchesReference(Case c, AttentionSchedule schedule) throws IOException {
    VariantKernels.check("modifiers", c, schedule, allocator);
  }
}
