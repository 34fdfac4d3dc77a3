package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.HeadMapping;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Rotary;
import org.attn4j.attention.RotaryPositions;
import org.attn4j.attention.Variant;
import org.attn4j.build.VariantKernels.Qkv;
import org.attn4j.build.VariantKernels.Result;
import org.attn4j.build.VariantKernels.Shape;
import org.attn4j.schedules.AttentionSchedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Invariants of the core that hold for every variant, on each schedule: a causal row never reads a later key
 * (changing the keys and values after it leaves the row's output bit for bit), and grouped-query attention is
 * multi-head attention with each kv head repeated as its mapping says (TILED: query head h reads kv head
 * h mod h_kv; BLOCKED: h / (h / h_kv)).
 */
class CoreInvariantsTest extends ArrowTestBase {
  static final int D = 16;

  static List<AttentionSchedule> schedules() {
    return VariantKernels.schedules();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schedules")
  void aCausalRowIgnoresLaterKeys(AttentionSchedule schedule) throws IOException {
    AttentionSpec spec = AttentionSpec.builder().heads(4).kvHeads(2).headDim(D).causal(Causal.BOTTOM_RIGHT).build();
    // with rotary, so the prologue's key positions are covered as well
    Variant variant = Variant.of(spec, Modifiers.rotary(Rotary.halfOf(D), RotaryPositions.arange()));
    Path dir = VariantKernels.artifact(variant, schedule);
    Shape sh = Shape.of(2, 150, 150);
    Qkv in = Qkv.of(spec, sh);
    int cut = 70;
    float[] k2 = in.k().clone();
    float[] v2 = in.v().clone();
    for (int row = 0; row < sh.b() * spec.getKvHeads(); row++) {
      for (int j = cut; j < sh.m(); j++) {
        for (int c = 0; c < D; c++) {
          k2[(row * sh.m() + j) * D + c] = 100 + j;
          v2[(row * sh.m() + j) * D + c] = -1000;
        }
      }
    }
    Result a = VariantKernels.run(allocator, dir, spec, sh, in, List.of());
    Result b = VariantKernels.run(allocator, dir, spec, sh, new Qkv(in.q(), k2, v2), List.of());
    int changedLater = 0;
    for (int row = 0; row < sh.b() * spec.getHeads(); row++) {
      for (int i = 0; i < sh.n(); i++) {
        for (int c = 0; c < D; c++) {
          int at = (row * sh.n() + i) * D + c;
          if (i < cut) {
            assertThat(b.out()[at]).as("row %d of head-row %d, a key >= %d changed", i, row, cut)
                .isEqualTo(a.out()[at]);
          } else if (b.out()[at] != a.out()[at]) {
            changedLater++;
          }
        }
      }
    }
    assertThat(changedLater).as("rows that see the changed keys change").isPositive();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schedules")
  void groupedQueryAttentionIsMultiHeadWithRepeatedKvHeads(AttentionSchedule schedule) throws IOException {
    Shape sh = Shape.of(2, 33, 40);
    AttentionSpec mha = AttentionSpec.builder().heads(6).headDim(D).causal(Causal.BOTTOM_RIGHT).build();
    Path mhaDir = VariantKernels.artifact(Variant.of(mha), schedule);
    for (HeadMapping mapping : HeadMapping.values()) {
      AttentionSpec gqa = AttentionSpec.builder().heads(6).kvHeads(2).headDim(D).headMapping(mapping)
          .causal(Causal.BOTTOM_RIGHT).build();
      Qkv in = Qkv.of(gqa, sh);
      float[] k = new float[sh.b() * 6 * sh.m() * D];
      float[] v = new float[k.length];
      for (int bi = 0; bi < sh.b(); bi++) {
        for (int h = 0; h < 6; h++) {
          int kv = mapping == HeadMapping.TILED ? h % 2 : h / 3;
          int from = ((bi * 2 + kv) * sh.m()) * D;
          int to = ((bi * 6 + h) * sh.m()) * D;
          System.arraycopy(in.k(), from, k, to, sh.m() * D);
          System.arraycopy(in.v(), from, v, to, sh.m() * D);
        }
      }
      Result g = VariantKernels.run(allocator, VariantKernels.artifact(Variant.of(gqa), schedule), gqa, sh, in,
          List.of());
      Result m = VariantKernels.run(allocator, mhaDir, mha, sh, new Qkv(in.q(), k, v), List.of());
      for (int i = 0; i < g.out().length; i++) {
        assertThat(g.out()[i]).as("%s element %d", mapping, i).isCloseTo(m.out()[i],
            org.assertj.core.data.Offset.offset(1e-6f));
      }
    }
  }
}
