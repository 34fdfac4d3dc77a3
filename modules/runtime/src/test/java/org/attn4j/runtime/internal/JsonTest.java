package org.attn4j.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonTest {

  private static Map<String, Object> sample() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("z", 1L);
    inner.put("a", -2.5);
    List<Object> list = new ArrayList<>();
    list.add(1L);
    list.add("two");
    list.add(null);
    list.add(true);
    list.add(new ArrayList<>());
    list.add(new LinkedHashMap<>());
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("name", "flash_attention");
    root.put("version", 3L);
    root.put("scale", 0.125);
    root.put("big", Long.MIN_VALUE);
    root.put("causal", false);
    root.put("nothing", null);
    root.put("inner", inner);
    root.put("list", list);
    return root;
  }

  @Test
  void roundTripKeepsValuesTypesAndKeyOrder() {
    Map<String, Object> value = sample();
    String text = Json.write(value);
    Object parsed = Json.parse(text);
    assertThat(parsed).isInstanceOf(LinkedHashMap.class).isEqualTo(value);
    assertThat(List.copyOf(((Map<?, ?>) parsed).keySet()))
        .isEqualTo(
            List.of("name", "version", "scale", "big", "causal", "nothing", "inner", "list"));
    assertThat(((Map<?, ?>) parsed).get("version")).isInstanceOf(Long.class);
    assertThat(((Map<?, ?>) parsed).get("scale")).isInstanceOf(Double.class);
    assertThat(((Map<?, ?>) parsed).get("list")).isInstanceOf(ArrayList.class);
    assertThat(Json.write(parsed)).isEqualTo(text);
  }

  @Test
  void writesPrettyTwoSpaceIndentLikePythonJsonDumps() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("b", 1);
    m.put("a", List.of(1L, 2.0, "x"));
    m.put("e", Map.of());
    m.put("l", List.of());
    m.put("shape", new long[] {2, 8});
    m.put("ints", new int[] {});
    m.put("n", null);
    // json.dumps(..., indent=2) layout
    assertThat(Json.write(m))
        .isEqualTo(
            "{\n"
                + "  \"b\": 1,\n"
                + "  \"a\": [\n"
                + "    1,\n"
                + "    2.0,\n"
                + "    \"x\"\n"
                + "  ],\n"
                + "  \"e\": {},\n"
                + "  \"l\": [],\n"
                + "  \"shape\": [\n"
                + "    2,\n"
                + "    8\n"
                + "  ],\n"
                + "  \"ints\": [],\n"
                + "  \"n\": null\n"
                + "}");
  }

  @Test
  void writesScalars() {
    assertThat(Json.write(null)).isEqualTo("null");
    assertThat(Json.write(true)).isEqualTo("true");
    assertThat(Json.write(3)).isEqualTo("3");
    assertThat(Json.write(3L)).isEqualTo("3");
    assertThat(Json.write((short) -7)).isEqualTo("-7");
    assertThat(Json.write(new BigInteger("123456789012345678901234567890")))
        .isEqualTo("123456789012345678901234567890");
    assertThat(Json.write(3.0)).isEqualTo("3.0");
    assertThat(Json.write(0.1f)).isEqualTo("0.1");
    assertThat(Json.write(1e-7)).isEqualTo("1.0E-7");
    assertThat(Json.parse(Json.write(1e-7))).isEqualTo(1e-7);
    assertThat(Json.write(new int[] {1, -2})).isEqualTo("[\n  1,\n  -2\n]");
  }

  @Test
  void escapesPerRfc8259() {
    String s = "q\" b\\ s/ \b\f\n\r\t \u0000\u001f\u007f é €";
    String text = Json.write(s);
    assertThat(text).isEqualTo("\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0000\\u001f\u007f é €\"");
    assertThat(Json.parse(text)).isEqualTo(s);
  }

  @Test
  void parsesAllEscapes() {
    assertThat(Json.parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041\\u00e9\\u20AC\""))
        .isEqualTo("\" \\ / \b \f \n \r \t Aé€");
  }

  @Test
  void unicodeRoundTripsIncludingSurrogatePairs() {
    String s = "日本語 😀 \ud83d\ude00 Ω";
    assertThat(Json.write(s)).isEqualTo("\"" + s + "\"");
    assertThat(Json.parse(Json.write(s))).isEqualTo(s);
    // A surrogate pair given as two escapes.
    assertThat(Json.parse("\"\\ud83d\\ude00\"")).isEqualTo("😀");
    // Unpaired surrogates are escaped so the output is valid UTF-16, and round trip.
    String lone = "a\ud800b\udc00c";
    assertThat(Json.write(lone)).isEqualTo("\"a\\ud800b\\udc00c\"");
    assertThat(Json.parse(Json.write(lone))).isEqualTo(lone);
    // Non-ASCII map keys.
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("clé", "valeur");
    assertThat(Json.parse(Json.write(m))).isEqualTo(m);
  }

  @Test
  void parsesNumbers() {
    assertThat(Json.parse("0")).isEqualTo(0L);
    assertThat(Json.parse("-0")).isEqualTo(0L);
    assertThat(Json.parse("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
    assertThat(Json.parse("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
    assertThat(Json.parse("1.5")).isEqualTo(1.5);
    assertThat(Json.parse("-1e3")).isEqualTo(-1000.0);
    assertThat(Json.parse("2E-2")).isEqualTo(0.02);
    assertThat(Json.parse("1.0e+2")).isEqualTo(100.0);
    assertThat(Json.parse(" \t\r\n[ ]\n")).isEqualTo(List.of());
    assertThat(Json.parse("null")).isNull();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "''|0",
        "'   '|3",
        "'{\"a\":1,}'|7",
        "'[1,]'|3",
        "'[1 2]'|3",
        "'{\"a\" 1}'|5",
        "'{a:1}'|1",
        "'01'|1",
        "'1.'|2",
        "'.5'|0",
        "'-'|1",
        "'1e'|2",
        "'+1'|0",
        "'NaN'|0",
        "'tru'|0",
        "'nul'|0",
        "'\"abc'|4",
        "'\"\\x\"'|1",
        "'\"\\u12g4\"'|1",
        "'\"\\u12\"'|1",
        "'[1] x'|4",
        "'{\"a\":1,\"a\":2}'|7",
        "'99999999999999999999'|0",
        "'1e999'|0",
        "'// c\n1'|0",
        "'\ufeff1'|0",
        "'[\"a\",\"b\"'|8",
      })
  void rejectsMalformedInputWithOffset(String text, int offset) {
    assertThatThrownBy(() -> Json.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at offset " + offset + ":");
  }

  @Test
  void rejectsControlCharacterInString() {
    assertThatThrownBy(() -> Json.parse("[\"a\nb\"]"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at offset 3")
        .hasMessageContaining("U+000A");
  }

  @Test
  void rejectsExcessiveNesting() {
    String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
    assertThatThrownBy(() -> Json.parse(deep))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at offset " + Json.MAX_DEPTH);
    String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
    assertThat(Json.parse(ok)).isInstanceOf(List.class);
  }

  @Test
  void writeRejectsUnsupportedValues() {
    assertThatThrownBy(() -> Json.write(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("non-finite");
    assertThatThrownBy(() -> Json.write(Map.of("x", List.of(new Object()))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.Object")
        .hasMessageContaining("$.x[0]");
    assertThatThrownBy(() -> Json.write(Map.of(1, "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("keys must be Strings");
    List<Object> self = new ArrayList<>();
    self.add(self);
    assertThatThrownBy(() -> Json.write(self))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("contains itself");
  }

  @Test
  void sameListTwiceIsNotACycle() {
    List<Object> shared = List.of(1L);
    assertThat(Json.parse(Json.write(Arrays.asList(shared, shared))))
        .isEqualTo(List.of(List.of(1L), List.of(1L)));
  }
}
