package org.attn4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

  @Test
  void defaultsAreTheReferenceShapeNonCausalAndCausal() {
    BenchOptions o = BenchOptions.parse();
    assertThat(o.shapes()).containsExactly(new Shape(1, 8, 1024, 1024, 64, false),
        new Shape(1, 8, 1024, 1024, 64, true));
    assertThat(o.impls()).containsExactly(Impl.ATTN4J, Impl.ONNXRUNTIME, Impl.PYTORCH, Impl.OPENBLAS, Impl.NAIVE);
    assertThat(o.threads()).isEqualTo(1);
    assertThat(o.requireAll()).isFalse();
  }

  @Test
  void parsesEveryOption() {
    BenchOptions o = BenchOptions.parse("--shapes", "2x4x128x256x32c, 1x2x64x16", "--threads", "2", "--rounds",
        "7", "--warmup", "0", "--round-ms", "12.5", "--peers", "naive,ONNXRUNTIME", "--out", "x/y",
        "--require-all");
    assertThat(o.shapes()).containsExactly(new Shape(2, 4, 128, 256, 32, true), new Shape(1, 2, 64, 64, 16, false));
    assertThat(o.threads()).isEqualTo(2);
    assertThat(o.rounds()).isEqualTo(7);
    assertThat(o.warmup()).isZero();
    assertThat(o.roundMillis()).isEqualTo(12.5);
    assertThat(o.impls()).isEqualTo(List.of(Impl.NAIVE, Impl.ONNXRUNTIME));
    assertThat(o.out()).isEqualTo(Path.of("x/y"));
    assertThat(o.requireAll()).isTrue();
  }

  @Test
  void variantsDefaultToTheCoreAndAlwaysStartWithIt() {
    assertThat(BenchOptions.parse().variants()).containsExactly(BenchVariant.CORE);
    assertThat(BenchOptions.parse("--variants", "rotary-cross, FOX,alibi,fox").variants())
        .containsExactly(BenchVariant.CORE, BenchVariant.ROTARY_CROSS, BenchVariant.FOX, BenchVariant.ALIBI);
    assertThat(BenchOptions.parse("--variants", "all").variants()).containsExactly(BenchVariant.values());
    assertThatThrownBy(() -> BenchOptions.parse("--variants", "cope")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("variant: expected one of").hasMessageContaining("usage:");
  }

  @Test
  void rejectsBadOptionsWithTheUsage() {
    assertThatThrownBy(() -> BenchOptions.parse("--bogus", "1")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown option --bogus").hasMessageContaining("usage:");
    assertThatThrownBy(() -> BenchOptions.parse("--threads")).hasMessageContaining("missing value after --threads");
    assertThatThrownBy(() -> BenchOptions.parse("--threads", "0")).hasMessageContaining("threads >= 1");
    assertThatThrownBy(() -> BenchOptions.parse("--rounds", "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BenchOptions.parse("--peers", "tensorflow"))
        .hasMessageContaining("expected one of [attn4j, attn4j-avx2, onnxruntime, pytorch, openblas, naive]");
  }

  @Test
  void shapesRoundTripAndCountFlops() {
    Shape s = Shape.parse("1x8x1024x1024x64");
    assertThat(s.toString()).isEqualTo("1x8x1024x1024x64");
    assertThat(s.flops()).isEqualTo(4.0 * 8 * 1024 * 1024 * 64);
    Shape c = Shape.parse(" 1x8x1024x64C ");
    assertThat(c).isEqualTo(new Shape(1, 8, 1024, 1024, 64, true));
    assertThat(Shape.parse(c.toString())).isEqualTo(c);
    assertThat(c.flops()).isEqualTo(s.flops() / 2);
    assertThat(c.qSize()).isEqualTo(8 * 1024 * 64);
    assertThatThrownBy(() -> Shape.parse("1x8x1024")).hasMessageContaining("expected BxHxNxMxD");
    assertThatThrownBy(() -> Shape.parse("1x8x0x64")).hasMessageContaining("expected b, h, n, m, d >= 1");
    assertThatThrownBy(() -> Shape.parse("1x1x16x8x4c")).hasMessageContaining("causal needs m >= n");
  }
}
