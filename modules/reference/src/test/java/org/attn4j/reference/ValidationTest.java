package org.attn4j.reference;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Consumer;
import java.util.stream.Stream;
import org.attn4j.reference.CoreAttentionOracle.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One negative test per validation branch of the module (house style rule 35). */
class ValidationTest {

  // ---- Options.Builder.build() ----

  static Stream<Arguments> missingDimensions() {
    return Stream.of(
        Arguments.of("b", (Consumer<Options.Builder>) x -> x.h(1).n(1).d(1)),
        Arguments.of("h", (Consumer<Options.Builder>) x -> x.b(1).n(1).d(1)),
        Arguments.of("n", (Consumer<Options.Builder>) x -> x.b(1).h(1).d(1)),
        Arguments.of("d", (Consumer<Options.Builder>) x -> x.b(1).h(1).n(1)));
  }

  @ParameterizedTest(name = "{0} not set")
  @MethodSource("missingDimensions")
  void requiredDimensionNotSet(String name, Consumer<Options.Builder> setOthers) {
    Options.Builder builder = Options.builder();
    setOthers.accept(builder);

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(name + " is not set");
  }

  static Stream<Arguments> dimensionsBelowOne() {
    return Stream.of(
        Arguments.of(Options.builder().shape(0, 1, 1, 1, 1, 1), "b = 0 must be >= 1"),
        Arguments.of(Options.builder().shape(1, -2, 1, 1, 1, 1), "h = -2 must be >= 1"),
        Arguments.of(Options.builder().shape(1, 1, 0, 1, 1, 1), "h_kv = 0 must be >= 1"),
        Arguments.of(Options.builder().shape(1, 1, 1, 0, 1, 1), "n = 0 must be >= 1"),
        Arguments.of(Options.builder().shape(1, 1, 1, 1, 0, 1), "m = 0 must be >= 1"),
        Arguments.of(Options.builder().shape(1, 1, 1, 1, 1, 0), "d = 0 must be >= 1"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("dimensionsBelowOne")
  void dimensionBelowOne(Options.Builder builder, String message) {
    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void queryHeadsNotAMultipleOfKvHeads() {
    assertThatThrownBy(() -> Options.builder().shape(1, 6, 4, 1, 1, 1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("h = 6 is not a multiple of h_kv = 4");
  }

  @Test
  void scaleNotFinite() {
    assertThatThrownBy(() -> Options.builder().shape(1, 1, 1, 1, 1, 1).scale(Double.NaN).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("scale = NaN is not finite");
    assertThatThrownBy(() -> Options.builder().shape(1, 1, 1, 1, 1, 1).scale(Double.NEGATIVE_INFINITY).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("scale = -Infinity is not finite");
  }

  @Test
  void keyLengthsCountIsNotB() {
    assertThatThrownBy(() -> Options.builder().shape(2, 1, 1, 1, 4, 1).keyLengths(new int[] {1, 2, 3}).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keyLengths: expected b = 2 lengths, got 3");
  }

  @Test
  void keyLengthOutsideZeroToM() {
    assertThatThrownBy(() -> Options.builder().shape(2, 1, 1, 1, 4, 1).keyLengths(new int[] {1, 5}).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keyLengths[1] = 5 is outside [0, m = 4]");
    assertThatThrownBy(() -> Options.builder().shape(2, 1, 1, 1, 4, 1).keyLengths(new int[] {-1, 2}).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keyLengths[0] = -1 is outside [0, m = 4]");
  }

  @Test
  void tensorTooLargeForAJavaArray() {
    assertThatThrownBy(() -> Options.builder().shape(65536, 65536, 1, 1, 1, 1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("b*h*n*d = 65536*65536*1*1 floats does not fit in a Java array");
    assertThatThrownBy(() -> Options.builder().shape(1, 1, 1, 1, Integer.MAX_VALUE, 2).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("b*h_kv*m*d = 1*1*" + Integer.MAX_VALUE + "*2 floats does not fit");
  }

  @Test
  void nullModesAreRejected() {
    assertThatThrownBy(() -> Options.builder().causal(nullValue()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("causal");
    assertThatThrownBy(() -> Options.builder().headMapping(nullValue()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("headMapping");
  }

  // ---- Options accessors and the head mapping ----

  @Test
  void keyLengthOfABatchRowOutOfRange() {
    Options o = Options.builder().shape(2, 1, 1, 1, 1, 1).build();

    assertThatThrownBy(() -> o.getKeyLength(2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("batch row 2 is outside [0, b = 2)");
    assertThatThrownBy(() -> o.getKeyLength(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("batch row -1 is outside [0, b = 2)");
  }

  @Test
  void kvHeadOfAQueryHeadOutOfRange() {
    Options o = Options.builder().shape(1, 6, 3, 1, 1, 1).build();

    assertThatThrownBy(() -> o.kvHead(6))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("query head 6 is outside [0, h = 6)");
    assertThatThrownBy(() -> HeadMapping.BLOCKED.kvHead(-1, 6, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("query head -1 is outside [0, h = 6)");
  }

  @Test
  void headMappingChecksItsHeadCounts() {
    assertThatThrownBy(() -> HeadMapping.TILED.kvHead(0, 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("h = 0 and h_kv = 1 must both be >= 1");
    assertThatThrownBy(() -> HeadMapping.TILED.kvHead(0, 4, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("h = 4 and h_kv = 0 must both be >= 1");
    assertThatThrownBy(() -> HeadMapping.BLOCKED.kvHead(0, 6, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("h = 6 is not a multiple of h_kv = 4");
  }

  // ---- CoreAttentionOracle.run ----

  /** b = 1, h = 2, h_kv = 1, n = 3, m = 4, d = 2: q and out 12 floats, k and v 8, lse 6. */
  private static final Options SHAPES = Options.builder().shape(1, 2, 1, 3, 4, 2).build();

  static Stream<Arguments> wrongLengths() {
    float[] q = new float[12];
    float[] kv = new float[8];
    return Stream.of(
        Arguments.of("q", new float[11], kv, kv.clone(), new float[12], null,
            "q: expected b*h*n*d = 12 floats, got 11"),
        Arguments.of("k", q, new float[9], kv, new float[12], null,
            "k: expected b*h_kv*m*d = 8 floats, got 9"),
        Arguments.of("v", q, kv, new float[0], new float[12], null,
            "v: expected b*h_kv*m*d = 8 floats, got 0"),
        Arguments.of("out", q, kv, kv.clone(), new float[6], null,
            "out: expected b*h*n*d = 12 floats, got 6"),
        Arguments.of("lse", q, kv, kv.clone(), new float[12], new float[12],
            "lse: expected b*h*n = 6 floats, got 12"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("wrongLengths")
  void arrayOfTheWrongLength(String name, float[] q, float[] k, float[] v, float[] out, float[] lse,
      String message) {
    assertThatThrownBy(() -> CoreAttentionOracle.run(SHAPES, q, k, v, out, lse))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void shortRunChecksLengthsToo() {
    assertThatThrownBy(() -> CoreAttentionOracle.run(SHAPES, new float[12], new float[8], new float[7]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("v: expected b*h_kv*m*d = 8 floats, got 7");
  }

  /** Every array 6 floats long (b = 1, h = h_kv = 2, n = m = 3, d = 1), so only the aliasing check can fail. */
  static Stream<Arguments> aliasedOutputs() {
    float[] q = new float[6];
    float[] k = new float[6];
    float[] v = new float[6];
    float[] out = new float[6];
    return Stream.of(
        Arguments.of(q, k, v, q, null, "out: must not be the same array as q"),
        Arguments.of(q, k, v, k, null, "out: must not be the same array as k"),
        Arguments.of(q, k, v, v, null, "out: must not be the same array as v"),
        Arguments.of(q, k, v, out, q, "lse: must not be the same array as q"),
        Arguments.of(q, k, v, out, k, "lse: must not be the same array as k"),
        Arguments.of(q, k, v, out, v, "lse: must not be the same array as v"),
        Arguments.of(q, k, v, out, out, "lse: must not be the same array as out"));
  }

  @ParameterizedTest(name = "{5}")
  @MethodSource("aliasedOutputs")
  void outputAliasesAnotherArgument(float[] q, float[] k, float[] v, float[] out, float[] lse, String message) {
    Options o = Options.builder().shape(1, 2, 2, 3, 3, 1).build();

    assertThatThrownBy(() -> CoreAttentionOracle.run(o, q, k, v, out, lse))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  // ---- Tolerances.compare and TestData.uniform ----

  @Test
  void compareArraysOfDifferentLengths() {
    assertThatThrownBy(() -> Tolerances.compare(new float[3], new float[4]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("actual: expected 4 floats (the length of expected), got 3");
  }

  @Test
  void uniformWithANegativeCount() {
    assertThatThrownBy(() -> TestData.uniform(1, -1, 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("count = -1 must be >= 0");
  }

  @Test
  void uniformWithANonFiniteBound() {
    assertThatThrownBy(() -> TestData.uniform(1, 4, Float.NEGATIVE_INFINITY, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("lo = -Infinity and hi = 1.0 must both be finite");
    assertThatThrownBy(() -> TestData.uniform(1, 4, 0, Float.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("lo = 0.0 and hi = NaN must both be finite");
  }

  @Test
  void uniformWithBoundsReversed() {
    assertThatThrownBy(() -> TestData.uniform(1, 4, 2, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("lo = 2.0 is greater than hi = 1.0");
  }

  /** A null passed where JSpecify says none may go, to test the runtime check behind the annotation. */
  @SuppressWarnings("NullAway")
  private static <T> T nullValue() {
    return null;
  }
}
