package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.Modifier;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.ScaledDotProduct;
import org.attn4j.attention.Slots;
import org.attn4j.attention.Variant;
import org.attn4j.build.VariantKernels.Qkv;
import org.attn4j.build.VariantKernels.Shape;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.Gallery;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.Manifest;
import org.attn4j.schedules.AttentionSchedule;
import org.attn4j.schedules.GenericSchedule;
import org.attn4j.schedules.TargetKind;
import org.attn4j.te.DType;
import org.attn4j.te.Te;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Modifiers outside the happy path: invalid parameters and definitions, captured tensors the runtime refuses,
 * what the manifest and the cache key record, and the key tiles a sliding window never reads.
 */
class ModifierChecksTest extends ArrowTestBase {
  private static final AttentionSchedule FLASH = ArtifactRequest.defaultSchedule(BuildTarget.hostCpu());

  @Test
  void invalidParametersAreRefused() {
    assertThatThrownBy(() -> Modifiers.slidingWindow(-1, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected left >= 0");
    assertThatThrownBy(() -> Modifiers.softCap(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected a finite c > 0");
    assertThatThrownBy(() -> Modifiers.softCap(Double.POSITIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected a finite c > 0");
    assertThatThrownBy(() -> Modifiers.t5Bias(Causal.NONE, 2, 128, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected buckets >= 4");
    assertThatThrownBy(() -> Modifiers.t5Bias(Causal.NONE, 32, 8, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxDistance > the exact buckets (8)");
    assertThatThrownBy(() -> Modifiers.sigmoid(Double.NaN)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected a finite β");
    assertThatThrownBy(() -> Modifiers.alibiSlopes(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected h >= 1");
    assertThatThrownBy(() -> Modifier.named("a b", Map.of(), ctx -> Slots.none()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected letters, digits");
  }

  @Test
  void alibiSlopesMatchTheReference() {
    for (int h = 1; h <= 12; h++) {
      double[] want = Gallery.alibiSlopes(h);
      float[] got = Modifiers.alibiSlopes(h);
      for (int i = 0; i < h; i++) {
        assertThat((double) got[i]).as("h=%d head %d", h, i).isEqualTo((float) want[i]);
      }
    }
  }

  private static void define(Variant v) {
    try (Te te = Te.create()) {
      ScaledDotProduct.define(te, v);
    }
  }

  @Test
  void invalidDefinitionsAreRefused() {
    AttentionSpec mha = ModifierConformanceTest.MHA;
    assertThatThrownBy(() -> define(Variant.of(mha, Modifiers.alibi(), Modifiers.alibi())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capture alibi_slopes: expected a name");
    assertThatThrownBy(() -> define(Variant.of(mha, ctx -> {
      ctx.capture("q", DType.FLOAT32, 4);
      return Slots.none();
    }))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capture q: expected a name not used");
    assertThatThrownBy(() -> define(Variant.of(mha, ctx -> {
      ctx.capture("twice_b", DType.FLOAT32, ctx.getB().times(ctx.getTe().i32(2)));
      return Slots.none();
    }))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected dims that are integers >= 1");
    assertThatThrownBy(() -> define(Variant.of(ModifierConformanceTest.PLAIN, Modifiers.sinks(),
        Modifiers.sigmoid(0)))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("normalizer: expected at most one modifier");
    assertThatThrownBy(() -> define(Variant.of(mha, Modifiers.sigmoid(0))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lse: not defined for sigmoid");
  }

  @Test
  void capturedTensorsOfTheWrongShapeOrTypeAreRefused() throws IOException {
    AttentionSpec gqa = ModifierConformanceTest.GQA;
    Path dir = VariantKernels.artifact(Variant.of(gqa, Modifiers.alibi()), FLASH);
    Shape sh = Shape.of(1, 4, 4);
    Qkv in = Qkv.of(gqa, sh);
    assertThatThrownBy(() -> VariantKernels.run(allocator, dir, gqa, sh, in, List.of(new float[5])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alibi_slopes: expected [6]");
    assertThatThrownBy(() -> VariantKernels.run(allocator, dir, gqa, sh, in, List.of(new int[6])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alibi_slopes: expected dtype float32");
    AttentionSpec mha = ModifierConformanceTest.MHA;
    Path docs = VariantKernels.artifact(Variant.of(mha, Modifiers.documents()), FLASH);
    assertThatThrownBy(() -> VariantKernels.run(allocator, docs, mha, Shape.of(2, 3, 5), Qkv.of(mha,
        Shape.of(2, 3, 5)), List.of(new int[5]))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("document_ids: expected [b, m]");
  }

  @Test
  void manifestRecordsTheVariantAndItsArguments(@TempDir Path out) throws IOException {
    Variant v = Variant.of(ModifierConformanceTest.GQA_PADDED, Modifiers.alibi(), Modifiers.softCap(5),
        Modifiers.slidingWindow(8, 0));
    ArtifactBuilder.Built built = ArtifactBuilder.build(new ArtifactRequest(v, BuildTarget.hostCpu(), FLASH,
        ArtifactRequest.defaultBounds()), out, Progress.silent());
    Manifest m = built.manifest();
    assertThat(m.variant()).isEqualTo(v.getName()).endsWith("+alibi+softcap_5.0+window_l8_r0");
    assertThat(m.arguments()).extracting(Manifest.Argument::name)
        .containsExactly("q", "k", "v", "key_lengths", "alibi_slopes", "out", "lse");
    assertThat(m.arguments().get(4).shape()).containsExactly(6L);
    assertThat(m.spec().get("modifiers")).asString().contains("window_l8_r0").contains("left=8");
    assertThat(built.directory().getFileName().toString()).isEqualTo(v.getName() + "-" + BuildTarget.hostCpu().getName());
  }

  private static Modifier bias(double c) {
    return ctx -> Slots.score((s, b, h, i, j) -> s.plus(c));
  }

  @Test
  void cacheKeyFollowsTheComputeOfUserLambdas() {
    AttentionSpec mha = ModifierConformanceTest.MHA;
    for (AttentionSchedule s : List.of(FLASH, new GenericSchedule(TargetKind.CPU))) {
      String one = ArtifactBuilder.cacheKey(new ArtifactRequest(Variant.of(mha, bias(1)), BuildTarget.hostCpu(), s,
          ArtifactRequest.defaultBounds()));
      String same = ArtifactBuilder.cacheKey(new ArtifactRequest(Variant.of(mha, bias(1)), BuildTarget.hostCpu(), s,
          ArtifactRequest.defaultBounds()));
      String two = ArtifactBuilder.cacheKey(new ArtifactRequest(Variant.of(mha, bias(2)), BuildTarget.hostCpu(), s,
          ArtifactRequest.defaultBounds()));
      assertThat(one).as(s.getName()).isEqualTo(same).isNotEqualTo(two);
    }
  }

  /**
   * A decode step (n = 8) over a 400-key cache with a causal window of 16 needs keys 376..399 only. Keys and
   * values 0..199 hold NaN: cpu-flash, which starts each query block at the tile of its first key, never reads
   * them (finite, exact output); the generic schedule reads every key (0·NaN poisons its sums).
   */
  @Test
  void slidingWindowSkipsTheTilesItNeverReaches() throws IOException {
    AttentionSpec causal = ModifierConformanceTest.CAUSAL;
    Variant v = Variant.of(causal, Modifiers.slidingWindow(16, 0));
    Shape sh = Shape.of(1, 8, 400);
    Qkv clean = Qkv.of(causal, sh);
    float[] k = clean.k().clone();
    float[] val = clean.v().clone();
    int d = causal.getHeadDim();
    for (int h = 0; h < causal.getKvHeads(); h++) {
      Arrays.fill(k, h * sh.m() * d, (h * sh.m() + 200) * d, Float.NaN);
      Arrays.fill(val, h * sh.m() * d, (h * sh.m() + 200) * d, Float.NaN);
    }
    Qkv poisoned = new Qkv(clean.q(), k, val);
    CoreAttentionOracle.Options o = VariantKernels.options(causal, sh);
    float[] want = AttentionOracle.run(AttentionOracle.Spec.builder(o).maskMod(Gallery.slidingWindow(16, 0)).build(),
        clean.q(), clean.k(), clean.v());
    float[] flash = VariantKernels.run(allocator, VariantKernels.artifact(v, FLASH), causal, sh, poisoned, List.of())
        .out();
    assertThat(Tolerances.compare(flash, want).isWithin(Tolerances.FP32)).isTrue();
    float[] generic = VariantKernels.run(allocator, VariantKernels.artifact(v, new GenericSchedule(TargetKind.CPU)),
        causal, sh, poisoned, List.of()).out();
    assertThat(generic).contains(Float.NaN);
  }
}
