package org.attn4j.runtime.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A small, strict JSON (RFC 8259) parser and pretty writer for the runtime's manifests and
 * metadata, so that the runtime needs no JSON library.
 *
 * <h2>Parsing</h2>
 *
 * {@link #parse(String)} maps JSON values to Java as follows:
 *
 * <ul>
 *   <li>object → {@link LinkedHashMap}{@code <String, Object>} in document order;
 *   <li>array → {@link ArrayList}{@code <Object>};
 *   <li>string → {@link String};
 *   <li>number without fraction or exponent → {@link Long} (a value outside the {@code long} range
 *       is an error rather than a silent loss of precision);
 *   <li>any other number → {@link Double};
 *   <li>{@code true}/{@code false} → {@link Boolean};
 *   <li>{@code null} → Java {@code null} (no sentinel object).
 * </ul>
 *
 * <p>The parser is strict: no comments, no trailing commas, no single quotes, no leading zeros, no
 * {@code NaN}/{@code Infinity}, no byte order mark, no unescaped control characters in strings, no
 * duplicate keys within one object, no content after the top-level value, nesting at most {@value
 * #MAX_DEPTH} deep. Any violation throws {@link IllegalArgumentException} whose message contains
 * {@code "at offset N"}, N being the zero-based {@code char} index in the input where the problem
 * was found.
 *
 * <h2>Writing</h2>
 *
 * {@link #write(Object)} produces pretty-printed JSON with a two-space indent, one member or
 * element per line, {@code ": "} between key and value, keys in the map's iteration order (so a
 * {@link LinkedHashMap} gives stable output) and no trailing newline; empty containers are written
 * as {@code {}} and {@code []}. This is the same layout as Python's {@code json.dumps(value,
 * indent=2, ensure_ascii=False)}. Strings are escaped per RFC 8259: {@code "} and {@code \}, the
 * control characters U+0000..U+001F (short forms {@code \b \f \n \r \t} where they exist, <code>
 * &#92;u00XX</code> otherwise) and unpaired surrogates (as <code>&#92;uXXXX</code>, so that the
 * output is always valid UTF-16 and encodes to valid UTF-8); all other characters are written as
 * themselves.
 *
 * <p>Supported values: {@link Map} with {@link String} keys, {@link List}, {@link String}, {@link
 * Boolean}, {@code null}, {@code long[]} and {@code int[]} (written as arrays), and numbers:
 * integral types ({@link Byte}, {@link Short}, {@link Integer}, {@link Long}, {@link BigInteger},
 * {@link AtomicInteger}, {@link AtomicLong}) are written without a fraction ({@code 3}, never
 * {@code 3.0}); {@link Double} and {@link Float} use their shortest {@code toString} form (so
 * {@code 3.0} stays {@code 3.0} and parses back as a {@link Double}) and must be finite; {@link
 * BigDecimal} uses {@link BigDecimal#toString()}. Anything else, a non-String map key, or a
 * container that contains itself, throws {@link IllegalArgumentException}.
 *
 * <p>Round trip: {@code parse(write(v))} equals {@code v} for every value built from the types that
 * {@link #parse(String)} returns.
 */
public final class Json {

  /** Deepest nesting of arrays and objects that {@link #parse(String)} accepts. */
  public static final int MAX_DEPTH = 512;

  private static final String INDENT = "  ";

  private Json() {}

  // ---------------------------------------------------------------------------------------------
  // Parsing
  // ---------------------------------------------------------------------------------------------

  /**
   * Parses one JSON text.
   *
   * @param text the complete JSON text; surrounding whitespace (space, tab, CR, LF) is allowed
   * @return the value, mapped as described in the class documentation; {@code null} for JSON {@code
   *     null}
   * @throws IllegalArgumentException if {@code text} is not valid JSON; the message names the
   *     character offset
   */
  public static @Nullable Object parse(String text) {
    Parser p = new Parser(text);
    p.skipWhitespace();
    Object value = p.readValue(0);
    p.skipWhitespace();
    if (p.pos != text.length()) {
      throw p.error("unexpected " + p.describeCurrent() + " after the top-level value");
    }
    return value;
  }

  private static final class Parser {
    private final String s;
    int pos;

    Parser(String s) {
      this.s = s;
    }

    IllegalArgumentException error(String what) {
      return errorAt(pos, what);
    }

    IllegalArgumentException errorAt(int offset, String what) {
      return new IllegalArgumentException("malformed JSON at offset " + offset + ": " + what);
    }

    String describeCurrent() {
      if (pos >= s.length()) {
        return "end of input";
      }
      char c = s.charAt(pos);
      if (c >= 0x20 && c < 0x7f) {
        return "'" + c + "'";
      }
      return String.format("character U+%04X", (int) c);
    }

    void skipWhitespace() {
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
          pos++;
        } else {
          return;
        }
      }
    }

    @Nullable Object readValue(int depth) {
      if (pos >= s.length()) {
        throw error("expected a value but found end of input");
      }
      char c = s.charAt(pos);
      switch (c) {
        case '{':
          return readObject(depth + 1);
        case '[':
          return readArray(depth + 1);
        case '"':
          return readString();
        case 't':
          expectLiteral("true");
          return Boolean.TRUE;
        case 'f':
          expectLiteral("false");
          return Boolean.FALSE;
        case 'n':
          expectLiteral("null");
          return null;
        default:
          if (c == '-' || (c >= '0' && c <= '9')) {
            return readNumber();
          }
          throw error("expected a value but found " + describeCurrent());
      }
    }

    private void expectLiteral(String literal) {
      if (!s.startsWith(literal, pos)) {
        throw error("expected '" + literal + "'");
      }
      pos += literal.length();
    }

    private void checkDepth(int depth) {
      if (depth > MAX_DEPTH) {
        throw error("nesting deeper than " + MAX_DEPTH);
      }
    }

    private Map<String, @Nullable Object> readObject(int depth) {
      checkDepth(depth);
      pos++; // '{'
      LinkedHashMap<String, @Nullable Object> map = new LinkedHashMap<>();
      skipWhitespace();
      if (pos < s.length() && s.charAt(pos) == '}') {
        pos++;
        return map;
      }
      while (true) {
        skipWhitespace();
        if (pos >= s.length() || s.charAt(pos) != '"') {
          throw error("expected a string key but found " + describeCurrent());
        }
        int keyOffset = pos;
        String key = readString();
        skipWhitespace();
        if (pos >= s.length() || s.charAt(pos) != ':') {
          throw error("expected ':' but found " + describeCurrent());
        }
        pos++;
        skipWhitespace();
        Object value = readValue(depth);
        if (map.containsKey(key)) {
          throw errorAt(keyOffset, "duplicate key \"" + key + "\"");
        }
        map.put(key, value);
        skipWhitespace();
        if (pos >= s.length()) {
          throw error("expected ',' or '}' but found end of input");
        }
        char c = s.charAt(pos++);
        if (c == '}') {
          return map;
        }
        if (c != ',') {
          pos--;
          throw error("expected ',' or '}' but found " + describeCurrent());
        }
      }
    }

    private List<@Nullable Object> readArray(int depth) {
      checkDepth(depth);
      pos++; // '['
      ArrayList<@Nullable Object> list = new ArrayList<>();
      skipWhitespace();
      if (pos < s.length() && s.charAt(pos) == ']') {
        pos++;
        return list;
      }
      while (true) {
        skipWhitespace();
        list.add(readValue(depth));
        skipWhitespace();
        if (pos >= s.length()) {
          throw error("expected ',' or ']' but found end of input");
        }
        char c = s.charAt(pos++);
        if (c == ']') {
          return list;
        }
        if (c != ',') {
          pos--;
          throw error("expected ',' or ']' but found " + describeCurrent());
        }
      }
    }

    private String readString() {
      pos++; // opening quote
      @Nullable StringBuilder sb = null;
      int runStart = pos;
      while (true) {
        if (pos >= s.length()) {
          throw error("unterminated string");
        }
        char c = s.charAt(pos);
        if (c == '"') {
          String result =
              sb == null ? s.substring(runStart, pos) : sb.append(s, runStart, pos).toString();
          pos++;
          return result;
        }
        if (c < 0x20) {
          throw error(String.format("unescaped control character U+%04X in string", (int) c));
        }
        if (c != '\\') {
          pos++;
          continue;
        }
        if (sb == null) {
          sb = new StringBuilder();
        }
        sb.append(s, runStart, pos);
        int escapeOffset = pos;
        pos++;
        if (pos >= s.length()) {
          throw error("unterminated escape sequence");
        }
        char e = s.charAt(pos++);
        switch (e) {
          case '"':
            sb.append('"');
            break;
          case '\\':
            sb.append('\\');
            break;
          case '/':
            sb.append('/');
            break;
          case 'b':
            sb.append('\b');
            break;
          case 'f':
            sb.append('\f');
            break;
          case 'n':
            sb.append('\n');
            break;
          case 'r':
            sb.append('\r');
            break;
          case 't':
            sb.append('\t');
            break;
          case 'u':
            sb.append(readHex4(escapeOffset));
            break;
          default:
            throw errorAt(escapeOffset, "invalid escape sequence '\\" + e + "'");
        }
        runStart = pos;
      }
    }

    private char readHex4(int escapeOffset) {
      if (pos + 4 > s.length()) {
        throw errorAt(escapeOffset, "truncated \\u escape");
      }
      int v = 0;
      for (int i = 0; i < 4; i++) {
        int d = Character.digit(s.charAt(pos + i), 16);
        // Character.digit accepts non-ASCII digits; JSON wants ASCII hex only.
        if (d < 0 || s.charAt(pos + i) > 0x7f) {
          throw errorAt(
              escapeOffset, "invalid \\u escape '" + s.substring(escapeOffset, pos + 4) + "'");
        }
        v = (v << 4) | d;
      }
      pos += 4;
      return (char) v;
    }

    private Object readNumber() {
      int start = pos;
      if (s.charAt(pos) == '-') {
        pos++;
      }
      if (pos >= s.length() || !isDigit(s.charAt(pos))) {
        throw error("expected a digit but found " + describeCurrent());
      }
      if (s.charAt(pos) == '0') {
        pos++;
        if (pos < s.length() && isDigit(s.charAt(pos))) {
          throw error("leading zeros are not allowed");
        }
      } else {
        while (pos < s.length() && isDigit(s.charAt(pos))) {
          pos++;
        }
      }
      boolean integral = true;
      if (pos < s.length() && s.charAt(pos) == '.') {
        integral = false;
        pos++;
        if (pos >= s.length() || !isDigit(s.charAt(pos))) {
          throw error("expected a digit after '.' but found " + describeCurrent());
        }
        while (pos < s.length() && isDigit(s.charAt(pos))) {
          pos++;
        }
      }
      if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
        integral = false;
        pos++;
        if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) {
          pos++;
        }
        if (pos >= s.length() || !isDigit(s.charAt(pos))) {
          throw error("expected a digit in the exponent but found " + describeCurrent());
        }
        while (pos < s.length() && isDigit(s.charAt(pos))) {
          pos++;
        }
      }
      String token = s.substring(start, pos);
      if (integral) {
        try {
          return Long.parseLong(token);
        } catch (NumberFormatException ex) {
          throw errorAt(start, "integer " + token + " does not fit in a 64-bit long");
        }
      }
      double d = Double.parseDouble(token);
      if (Double.isInfinite(d)) {
        throw errorAt(start, "number " + token + " is out of the double range");
      }
      return d;
    }

    private static boolean isDigit(char c) {
      return c >= '0' && c <= '9';
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Writing
  // ---------------------------------------------------------------------------------------------

  /**
   * Writes {@code value} as pretty-printed JSON (two-space indent, no trailing newline).
   *
   * @param value a value built from the supported types listed in the class documentation
   * @return the JSON text
   * @throws IllegalArgumentException for an unsupported type, a non-String map key, a non-finite
   *     floating-point number or a container that contains itself
   */
  public static String write(@Nullable Object value) {
    StringBuilder sb = new StringBuilder();
    new Writer(sb).writeValue(value, 0, "$");
    return sb.toString();
  }

  private static final class Writer {
    private final StringBuilder sb;
    private final IdentityHashMap<Object, Boolean> open = new IdentityHashMap<>();

    Writer(StringBuilder sb) {
      this.sb = sb;
    }

    void writeValue(@Nullable Object value, int depth, String path) {
      if (value == null) {
        sb.append("null");
      } else if (value instanceof String) {
        writeString((String) value);
      } else if (value instanceof Boolean) {
        sb.append(((Boolean) value).booleanValue() ? "true" : "false");
      } else if (value instanceof Number) {
        writeNumber((Number) value, path);
      } else if (value instanceof Map) {
        writeMap((Map<?, ?>) value, depth, path);
      } else if (value instanceof List) {
        writeList((List<?>) value, depth, path);
      } else if (value instanceof long[]) {
        long[] a = (long[]) value;
        writeArray(a.length, i -> sb.append(a[i]), depth);
      } else if (value instanceof int[]) {
        int[] a = (int[]) value;
        writeArray(a.length, i -> sb.append(a[i]), depth);
      } else {
        throw new IllegalArgumentException(
            "cannot write a " + value.getClass().getName() + " as JSON (at " + path + ")");
      }
    }

    private void writeNumber(Number n, String path) {
      if (n instanceof Long
          || n instanceof Integer
          || n instanceof Short
          || n instanceof Byte
          || n instanceof AtomicInteger
          || n instanceof AtomicLong) {
        sb.append(n.longValue());
      } else if (n instanceof BigInteger || n instanceof BigDecimal) {
        sb.append(n.toString());
      } else if (n instanceof Double || n instanceof Float) {
        double d = n.doubleValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) {
          throw new IllegalArgumentException(
              "cannot write the non-finite number " + n + " as JSON (at " + path + ")");
        }
        sb.append(n instanceof Float ? Float.toString(n.floatValue()) : Double.toString(d));
      } else {
        throw new IllegalArgumentException(
            "cannot write a " + n.getClass().getName() + " as JSON (at " + path + ")");
      }
    }

    private void enter(Object container, String path) {
      if (open.put(container, Boolean.TRUE) != null) {
        throw new IllegalArgumentException("container contains itself (at " + path + ")");
      }
    }

    private void writeMap(Map<?, ?> map, int depth, String path) {
      if (map.isEmpty()) {
        sb.append("{}");
        return;
      }
      enter(map, path);
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        Object key = e.getKey();
        if (!(key instanceof String)) {
          throw new IllegalArgumentException(
              "JSON object keys must be Strings, found "
                  + (key == null ? "null" : key.getClass().getName())
                  + " (at "
                  + path
                  + ")");
        }
        if (!first) {
          sb.append(',');
        }
        first = false;
        newline(depth + 1);
        writeString((String) key);
        sb.append(": ");
        writeValue(e.getValue(), depth + 1, path + "." + key);
      }
      newline(depth);
      sb.append('}');
      open.remove(map);
    }

    private void writeList(List<?> list, int depth, String path) {
      if (list.isEmpty()) {
        sb.append("[]");
        return;
      }
      enter(list, path);
      sb.append('[');
      int i = 0;
      for (Object element : list) {
        if (i > 0) {
          sb.append(',');
        }
        newline(depth + 1);
        writeValue(element, depth + 1, path + "[" + i + "]");
        i++;
      }
      newline(depth);
      sb.append(']');
      open.remove(list);
    }

    private interface ElementWriter {
      void write(int index);
    }

    private void writeArray(int length, ElementWriter element, int depth) {
      if (length == 0) {
        sb.append("[]");
        return;
      }
      sb.append('[');
      for (int i = 0; i < length; i++) {
        if (i > 0) {
          sb.append(',');
        }
        newline(depth + 1);
        element.write(i);
      }
      newline(depth);
      sb.append(']');
    }

    private void newline(int depth) {
      sb.append('\n');
      for (int i = 0; i < depth; i++) {
        sb.append(INDENT);
      }
    }

    private void writeString(String s) {
      sb.append('"');
      int runStart = 0;
      int n = s.length();
      for (int i = 0; i < n; i++) {
        char c = s.charAt(i);
        @Nullable String replacement = null;
        if (c == '"') {
          replacement = "\\\"";
        } else if (c == '\\') {
          replacement = "\\\\";
        } else if (c < 0x20) {
          switch (c) {
            case '\b':
              replacement = "\\b";
              break;
            case '\f':
              replacement = "\\f";
              break;
            case '\n':
              replacement = "\\n";
              break;
            case '\r':
              replacement = "\\r";
              break;
            case '\t':
              replacement = "\\t";
              break;
            default:
              replacement = String.format("\\u%04x", (int) c);
          }
        } else if (Character.isSurrogate(c)) {
          boolean paired =
              Character.isHighSurrogate(c)
                  ? i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))
                  : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
          if (!paired) {
            replacement = String.format("\\u%04x", (int) c);
          }
        }
        if (replacement != null) {
          sb.append(s, runStart, i).append(replacement);
          runStart = i + 1;
        }
      }
      sb.append(s, runStart, n).append('"');
    }
  }
}
