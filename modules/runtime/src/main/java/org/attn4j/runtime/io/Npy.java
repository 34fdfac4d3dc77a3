package org.attn4j.runtime.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Reads and writes NumPy {@code .npy} files (the format of {@code numpy.save} / {@code
 * numpy.load}), for exchanging reference inputs and outputs with Python tooling without Python on
 * the classpath.
 *
 * <h2>Supported subset</h2>
 *
 * <ul>
 *   <li>Reading: format versions 1.0, 2.0 and 3.0 (3.0 only differs by a UTF-8 header); C order
 *       ({@code 'fortran_order': False}) only; dtypes {@value #FLOAT32} (float32), {@value #INT32}
 *       (int32) and {@value #FLOAT64} (float64). A float64 file is <b>narrowed to float32 while it
 *       is read</b>: that takes an extra conversion pass (a copy through a small staging buffer)
 *       and rounds every value to the nearest float, so the returned {@link NpyArray} always has
 *       dtype {@value #FLOAT32} or {@value #INT32}.
 *   <li>Writing: format version 1.0 (2.0 only when the header would not fit 1.0's 16-bit length, as
 *       NumPy does), C order, dtypes {@value #FLOAT32} and {@value #INT32}. The header is
 *       byte-for-byte what NumPy ≥ 1.23 writes: {@code repr}-style dictionary with sorted keys, 21
 *       − len(str(shape[0])) spare spaces for in-place growth, then spaces and a newline so that
 *       the data starts at a multiple of 64 bytes.
 * </ul>
 *
 * <p>Anything else — {@code fortran_order True}, big-endian ({@code '>f4'}), object ({@code '|O'}),
 * structured or other dtypes, a data section whose length does not match the shape, an unknown
 * version or a malformed header — throws {@link IllegalArgumentException} whose message names the
 * file and says what was expected and what was found. I/O failures are {@link IOException}s.
 */
public final class Npy {

  /** NumPy descr of little-endian float32. */
  public static final String FLOAT32 = "<f4";

  /** NumPy descr of little-endian int32. */
  public static final String INT32 = "<i4";

  /** NumPy descr of little-endian float64 (read only; converted to {@link #FLOAT32}). */
  public static final String FLOAT64 = "<f8";

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int ARRAY_ALIGN = 64;
  private static final int GROWTH_AXIS_MAX_DIGITS = 21;

  /** Refuse absurd header lengths (corrupt files) before allocating for them. */
  private static final int MAX_HEADER_BYTES = 1 << 20;

  private static final int CHUNK_BYTES = 1 << 20;

  private Npy() {}

  /**
   * An n-dimensional array in C (row-major) order.
   *
   * @param shape the dimensions; {@code {}} for a scalar (rank 0, one element)
   * @param dtype {@link #FLOAT32} or {@link #INT32}
   * @param data the elements, little-endian, exactly {@code product(shape) * 4} bytes; the
   *     constructor keeps a little-endian {@linkplain ByteBuffer#slice() slice} of the bytes
   *     between the buffer's position and limit (sharing them, not copying), so {@link #data()}
   *     always has position 0 and {@link ByteOrder#LITTLE_ENDIAN} order. Buffers returned by {@link
   *     Npy#read(Path)} are direct.
   */
  public record NpyArray(long[] shape, String dtype, ByteBuffer data) {

    public NpyArray {
      Objects.requireNonNull(shape, "shape");
      Objects.requireNonNull(dtype, "dtype");
      Objects.requireNonNull(data, "data");
      shape = shape.clone();
      long count = Npy.elementCount(shape);
      if (!dtype.equals(FLOAT32) && !dtype.equals(INT32)) {
        throw new IllegalArgumentException(
            "NpyArray dtype: expected '" + FLOAT32 + "' or '" + INT32 + "', found '" + dtype + "'");
      }
      long expectedBytes = Math.multiplyExact(count, 4L);
      if (data.remaining() != expectedBytes) {
        throw new IllegalArgumentException(
            "NpyArray data for shape "
                + shapeRepr(shape)
                + " and dtype '"
                + dtype
                + "': expected "
                + expectedBytes
                + " bytes, found "
                + data.remaining());
      }
      data = data.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Returns a copy of the dimensions. */
    @Override
    public long[] shape() {
      return shape.clone();
    }

    /**
     * Returns a little-endian view of the elements (position 0, limit = byte size). The view shares
     * its contents with this array; its position, limit and mark are independent.
     */
    @Override
    public ByteBuffer data() {
      return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Number of dimensions. */
    public int rank() {
      return shape.length;
    }

    /** Product of the dimensions (1 for rank 0). */
    public long elementCount() {
      return Npy.elementCount(shape);
    }

    /** Equal when shape, dtype and element bytes are equal. */
    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof NpyArray
          && Arrays.equals(shape, ((NpyArray) o).shape)
          && dtype.equals(((NpyArray) o).dtype)
          && data.equals(((NpyArray) o).data);
    }

    @Override
    public int hashCode() {
      return 31 * (31 * Arrays.hashCode(shape) + dtype.hashCode()) + data.hashCode();
    }

    @Override
    public String toString() {
      return "NpyArray[shape="
          + Arrays.toString(shape)
          + ", dtype="
          + dtype
          + ", bytes="
          + data.remaining()
          + "]";
    }
  }

  /**
   * The parsed header of a {@code .npy} file.
   *
   * @param majorVersion format major version (1, 2 or 3)
   * @param minorVersion format minor version
   * @param descr the {@code 'descr'} entry as written (for example {@code "<f4"}); for a structured
   *     dtype, its Python {@code repr}-like text
   * @param fortranOrder the {@code 'fortran_order'} entry
   * @param shape the {@code 'shape'} entry
   * @param dataOffset byte offset of the first element in the file
   */
  public record Header(
      int majorVersion,
      int minorVersion,
      String descr,
      boolean fortranOrder,
      long[] shape,
      long dataOffset) {

    public Header {
      shape = shape.clone();
    }

    /** Returns a copy of the dimensions. */
    @Override
    public long[] shape() {
      return shape.clone();
    }

    @Override
    public boolean equals(@Nullable Object o) {
      if (!(o instanceof Header)) {
        return false;
      }
      Header h = (Header) o;
      return majorVersion == h.majorVersion
          && minorVersion == h.minorVersion
          && descr.equals(h.descr)
          && fortranOrder == h.fortranOrder
          && Arrays.equals(shape, h.shape)
          && dataOffset == h.dataOffset;
    }

    @Override
    public int hashCode() {
      return Objects.hash(
          majorVersion, minorVersion, descr, fortranOrder, Arrays.hashCode(shape), dataOffset);
    }

    @Override
    public String toString() {
      return "Header[version="
          + majorVersion
          + "."
          + minorVersion
          + ", descr="
          + descr
          + ", fortranOrder="
          + fortranOrder
          + ", shape="
          + Arrays.toString(shape)
          + ", dataOffset="
          + dataOffset
          + "]";
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reading
  // ---------------------------------------------------------------------------------------------

  /**
   * Reads only the header of a {@code .npy} file. The header's structure is checked (magic,
   * version, the three required keys, an integer shape), its dtype and order are not.
   *
   * @throws IllegalArgumentException if the file is not a well-formed {@code .npy} file
   */
  public static Header readHeader(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      return readHeader(ch, path);
    }
  }

  /**
   * Reads a {@code .npy} file into a direct little-endian buffer. A {@value #FLOAT64} file is
   * narrowed to {@value #FLOAT32} (see the class documentation).
   *
   * @throws IllegalArgumentException if the file is malformed or outside the supported subset; the
   *     message names the file, what was expected and what was found
   */
  public static NpyArray read(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      Header h = readHeader(ch, path);
      if (h.fortranOrder()) {
        throw new IllegalArgumentException(
            path + ": expected 'fortran_order': False (C order), found True");
      }
      String descr = h.descr();
      if (!descr.equals(FLOAT32) && !descr.equals(INT32) && !descr.equals(FLOAT64)) {
        String why =
            descr.startsWith(">")
                ? "big-endian data is not supported"
                : descr.contains("O") ? "object arrays are not supported" : "unsupported dtype";
        throw new IllegalArgumentException(
            path
                + ": "
                + why
                + ": expected dtype '"
                + FLOAT32
                + "', '"
                + INT32
                + "' or '"
                + FLOAT64
                + "', found "
                + (descr.startsWith("[") ? descr : "'" + descr + "'"));
      }
      long[] shape = h.shape();
      long count = elementCount(shape);
      int itemSize = descr.equals(FLOAT64) ? 8 : 4;
      long expected = multiplyOrFail(count, itemSize, path);
      long found = ch.size() - h.dataOffset();
      if (found != expected) {
        throw new IllegalArgumentException(
            path
                + ": expected "
                + expected
                + " data bytes for shape "
                + shapeRepr(shape)
                + " and dtype '"
                + descr
                + "', found "
                + found);
      }
      long outBytes = count * 4;
      if (outBytes > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            path
                + ": expected at most "
                + Integer.MAX_VALUE
                + " bytes of float32/int32 data (one ByteBuffer), found "
                + outBytes);
      }
      ByteBuffer out = ByteBuffer.allocateDirect((int) outBytes).order(ByteOrder.LITTLE_ENDIAN);
      long pos = h.dataOffset();
      if (itemSize == 4) {
        readFully(ch, out, pos, path);
        out.flip();
        return new NpyArray(shape, descr, out);
      }
      // float64 -> float32 through a bounded staging buffer.
      ByteBuffer staging = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      long remaining = expected;
      while (remaining > 0) {
        int n = (int) Math.min(remaining, CHUNK_BYTES);
        staging.clear().limit(n);
        readFully(ch, staging, pos, path);
        pos += n;
        remaining -= n;
        staging.flip();
        while (staging.remaining() >= 8) {
          out.putFloat((float) staging.getDouble());
        }
      }
      out.flip();
      return new NpyArray(shape, FLOAT32, out);
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer dst, long position, Path path)
      throws IOException {
    long pos = position;
    while (dst.hasRemaining()) {
      int n = ch.read(dst, pos);
      if (n < 0) {
        throw new EOFException(path + ": unexpected end of file at byte " + pos);
      }
      pos += n;
    }
  }

  private static Header readHeader(FileChannel ch, Path path) throws IOException {
    long size = ch.size();
    if (size < 10) {
      throw new IllegalArgumentException(
          path + ": expected a .npy file of at least 10 bytes, found " + size + " bytes");
    }
    ByteBuffer prefix = ByteBuffer.allocate(8);
    readFully(ch, prefix, 0, path);
    byte[] magic = Arrays.copyOf(prefix.array(), 6);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new IllegalArgumentException(
          path + ": expected the magic string \\x93NUMPY, found " + hex(magic));
    }
    int major = prefix.get(6) & 0xff;
    int minor = prefix.get(7) & 0xff;
    int lenBytes;
    if (major == 1) {
      lenBytes = 2;
    } else if (major == 2 || major == 3) {
      lenBytes = 4;
    } else {
      throw new IllegalArgumentException(
          path + ": expected format version 1.0, 2.0 or 3.0, found " + major + "." + minor);
    }
    if (minor != 0) {
      throw new IllegalArgumentException(
          path + ": expected format version 1.0, 2.0 or 3.0, found " + major + "." + minor);
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(lenBytes).order(ByteOrder.LITTLE_ENDIAN);
    if (size < 8 + lenBytes) {
      throw new IllegalArgumentException(
          path + ": expected a " + lenBytes + "-byte header length, found end of file");
    }
    readFully(ch, lenBuf, 8, path);
    long headerLen =
        lenBytes == 2 ? (lenBuf.getShort(0) & 0xffff) : (lenBuf.getInt(0) & 0xffffffffL);
    long dataOffset = 8 + lenBytes + headerLen;
    if (headerLen > MAX_HEADER_BYTES) {
      throw new IllegalArgumentException(
          path
              + ": expected a header of at most "
              + MAX_HEADER_BYTES
              + " bytes, found "
              + headerLen);
    }
    if (dataOffset > size) {
      throw new IllegalArgumentException(
          path
              + ": expected a "
              + headerLen
              + "-byte header, found only "
              + (size - 8 - lenBytes)
              + " bytes after the header length");
    }
    ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
    readFully(ch, headerBuf, 8 + lenBytes, path);
    String text =
        new String(
            headerBuf.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    return parseHeader(text, major, minor, dataOffset, path.toString());
  }

  /** Parses the dictionary text of a header (package-private for tests). */
  static Header parseHeader(String text, int major, int minor, long dataOffset, String source) {
    Object parsed = new PyLiteralParser(text, source).parseTop();
    if (!(parsed instanceof Map)) {
      throw new IllegalArgumentException(
          source + ": expected the header to be a dictionary, found " + text.strip());
    }
    Map<?, ?> dict = (Map<?, ?>) parsed;
    List<String> required = List.of("descr", "fortran_order", "shape");
    if (!dict.keySet().equals(new java.util.HashSet<>(required))) {
      throw new IllegalArgumentException(
          source + ": expected header keys " + required + ", found " + dict.keySet());
    }
    Object descr = dict.get("descr");
    String descrText;
    if (descr instanceof String) {
      descrText = (String) descr;
    } else {
      descrText = String.valueOf(descr); // structured dtype: a list; rejected by read()
    }
    Object fortran = dict.get("fortran_order");
    if (!(fortran instanceof Boolean)) {
      throw new IllegalArgumentException(
          source + ": expected 'fortran_order' to be True or False, found " + fortran);
    }
    Object shapeObj = dict.get("shape");
    if (!(shapeObj instanceof Tuple)) {
      throw new IllegalArgumentException(
          source + ": expected 'shape' to be a tuple of integers, found " + shapeObj);
    }
    List<Object> dims = ((Tuple) shapeObj).items();
    long[] shape = new long[dims.size()];
    for (int i = 0; i < shape.length; i++) {
      Object d = dims.get(i);
      if (!(d instanceof Long) || (Long) d < 0) {
        throw new IllegalArgumentException(
            source
                + ": expected 'shape' to be a tuple of non-negative integers, found "
                + shapeObj);
      }
      shape[i] = (Long) d;
    }
    try {
      elementCount(shape);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          source + ": expected a shape whose element count fits in a long, found " + shapeObj, e);
    }
    return new Header(major, minor, descrText, (Boolean) fortran, shape, dataOffset);
  }

  /** A Python tuple, distinguished from a list. */
  private record Tuple(List<Object> items) {
    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder("(");
      for (int i = 0; i < items.size(); i++) {
        sb.append(i == 0 ? "" : ", ").append(items.get(i));
      }
      return sb.append(items.size() == 1 ? ",)" : ")").toString();
    }
  }

  /** Python's None. */
  private enum PyNone {
    NONE;

    @Override
    public String toString() {
      return "None";
    }
  }

  /**
   * Parses the Python literal subset that NumPy headers use: dicts, tuples, lists, strings in
   * single or double quotes, integers (optionally with Python 2's {@code L} suffix), True, False
   * and None.
   */
  private static final class PyLiteralParser {
    private final String s;
    private final String source;
    private int pos;

    PyLiteralParser(String s, String source) {
      this.s = s;
      this.source = source;
    }

    Object parseTop() {
      skipWs();
      Object v = value();
      skipWs();
      if (pos != s.length()) {
        throw fail("end of header");
      }
      return v;
    }

    private IllegalArgumentException fail(String expected) {
      String found =
          pos >= s.length()
              ? "end of header"
              : "'" + s.substring(pos, Math.min(s.length(), pos + 20)) + "'";
      return new IllegalArgumentException(
          source
              + ": malformed header at offset "
              + pos
              + ": expected "
              + expected
              + ", found "
              + found
              + " in "
              + s.strip());
    }

    private void skipWs() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
        pos++;
      }
    }

    private boolean peek(char c) {
      return pos < s.length() && s.charAt(pos) == c;
    }

    private Object value() {
      if (pos >= s.length()) {
        throw fail("a value");
      }
      char c = s.charAt(pos);
      if (c == '{') {
        return dict();
      }
      if (c == '(') {
        return sequence('(', ')');
      }
      if (c == '[') {
        return sequence('[', ']');
      }
      if (c == '\'' || c == '"') {
        return string();
      }
      if (c == '-' || (c >= '0' && c <= '9')) {
        return integer();
      }
      for (Map.Entry<String, Object> kw :
          Map.<String, Object>of("True", Boolean.TRUE, "False", Boolean.FALSE, "None", PyNone.NONE)
              .entrySet()) {
        String word = kw.getKey();
        if (s.startsWith(word, pos)
            && (pos + word.length() == s.length()
                || !Character.isLetterOrDigit(s.charAt(pos + word.length())))) {
          pos += word.length();
          return kw.getValue();
        }
      }
      throw fail("a value");
    }

    private Map<Object, Object> dict() {
      pos++;
      Map<Object, Object> map = new LinkedHashMap<>();
      while (true) {
        skipWs();
        if (peek('}')) {
          pos++;
          return map;
        }
        Object key = value();
        skipWs();
        if (!peek(':')) {
          throw fail("':'");
        }
        pos++;
        skipWs();
        Object v = value();
        if (map.put(key, v) != null) {
          throw fail("no duplicate key " + key);
        }
        skipWs();
        if (peek(',')) {
          pos++;
        } else if (!peek('}')) {
          throw fail("',' or '}'");
        }
      }
    }

    private Object sequence(char open, char close) {
      pos++;
      List<Object> items = new ArrayList<>();
      boolean sawComma = false;
      while (true) {
        skipWs();
        if (peek(close)) {
          pos++;
          break;
        }
        items.add(value());
        skipWs();
        if (peek(',')) {
          pos++;
          sawComma = true;
        } else if (!peek(close)) {
          throw fail("',' or '" + close + "'");
        }
      }
      if (open == '[') {
        return items;
      }
      // "(x)" is just a parenthesized x in Python, not a tuple.
      return items.size() == 1 && !sawComma ? items.get(0) : new Tuple(items);
    }

    private String string() {
      char quote = s.charAt(pos++);
      StringBuilder sb = new StringBuilder();
      while (true) {
        if (pos >= s.length()) {
          throw fail("closing " + quote);
        }
        char c = s.charAt(pos++);
        if (c == quote) {
          return sb.toString();
        }
        if (c == '\\' && pos < s.length()) {
          c = s.charAt(pos++);
        }
        sb.append(c);
      }
    }

    private Long integer() {
      int start = pos;
      if (peek('-')) {
        pos++;
      }
      int digits = pos;
      while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
        pos++;
      }
      if (pos == digits) {
        throw fail("a digit");
      }
      String token = s.substring(start, pos);
      if (peek('L') || peek('l')) {
        pos++; // Python 2 long suffix, as in old headers: (2L, 3L)
      }
      try {
        return Long.parseLong(token);
      } catch (NumberFormatException e) {
        pos = start;
        throw fail("an integer that fits in a long");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Writing
  // ---------------------------------------------------------------------------------------------

  /**
   * Writes float32 elements as a version 1.0 {@code .npy} file ({@value #FLOAT32}, C order),
   * replacing any existing file.
   *
   * @throws IllegalArgumentException if {@code data.length} is not the product of {@code shape}
   */
  public static void write(Path path, long[] shape, float[] data) throws IOException {
    writeChunked(path, FLOAT32, shape, data.length, (chunk, off, n) -> chunk.asFloatBuffer().put(data, off, n));
  }

  /**
   * Writes int32 elements as a version 1.0 {@code .npy} file ({@value #INT32}, C order), replacing
   * any existing file.
   *
   * @throws IllegalArgumentException if {@code data.length} is not the product of {@code shape}
   */
  public static void write(Path path, long[] shape, int[] data) throws IOException {
    writeChunked(path, INT32, shape, data.length, (chunk, off, n) -> chunk.asIntBuffer().put(data, off, n));
  }

  /** Puts elements {@code [off, off + n)} of an array into {@code chunk} (little endian, at position 0). */
  @FunctionalInterface
  private interface ChunkFill {
    void fill(ByteBuffer chunk, int off, int n);
  }

  /** Writes {@code count} 4-byte elements of {@code descr} through a bounded buffer, {@code fill} supplying them. */
  private static void writeChunked(Path path, String descr, long[] shape, int count, ChunkFill fill)
      throws IOException {
    checkCount(shape, count);
    try (FileChannel ch = openForWrite(path)) {
      writeHeader(ch, descr, shape);
      ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      int perChunk = CHUNK_BYTES / 4;
      for (int off = 0; off < count; off += perChunk) {
        int n = Math.min(perChunk, count - off);
        chunk.clear();
        fill.fill(chunk, off, n);
        chunk.limit(n * 4);
        writeFully(ch, chunk);
      }
    }
  }

  /**
   * Writes an array (for example one whose {@link ByteBuffer} wraps off-heap memory) as a version
   * 1.0 {@code .npy} file, replacing any existing file. The array's buffer is not modified.
   */
  public static void write(Path path, NpyArray array) throws IOException {
    try (FileChannel ch = openForWrite(path)) {
      writeHeader(ch, array.dtype(), array.shape());
      writeFully(ch, array.data());
    }
  }

  /** The header bytes (magic through the terminating newline) NumPy writes for this array. */
  static byte[] headerBytes(String descr, long[] shape) {
    StringBuilder dict = new StringBuilder();
    dict.append("{'descr': '")
        .append(descr)
        .append("', 'fortran_order': False, 'shape': ")
        .append(shapeRepr(shape))
        .append(", }");
    if (shape.length > 0) {
      dict.append(
          " ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - Long.toString(shape[0]).length())));
    }
    byte[] header = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
    int major = 1;
    int lenBytes = 2;
    int hlen = header.length + 1;
    int padlen = ARRAY_ALIGN - ((8 + lenBytes + hlen) % ARRAY_ALIGN);
    if (hlen + padlen > 0xffff) {
      major = 2;
      lenBytes = 4;
      padlen = ARRAY_ALIGN - ((8 + lenBytes + hlen) % ARRAY_ALIGN);
    }
    ByteBuffer out =
        ByteBuffer.allocate(8 + lenBytes + hlen + padlen).order(ByteOrder.LITTLE_ENDIAN);
    out.put(MAGIC).put((byte) major).put((byte) 0);
    if (lenBytes == 2) {
      out.putShort((short) (hlen + padlen));
    } else {
      out.putInt(hlen + padlen);
    }
    out.put(header);
    for (int i = 0; i < padlen; i++) {
      out.put((byte) ' ');
    }
    out.put((byte) '\n');
    return out.array();
  }

  private static void writeHeader(FileChannel ch, String descr, long[] shape) throws IOException {
    writeFully(ch, ByteBuffer.wrap(headerBytes(descr, shape)));
  }

  private static FileChannel openForWrite(Path path) throws IOException {
    return FileChannel.open(
        path,
        StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE);
  }

  private static void writeFully(FileChannel ch, ByteBuffer src) throws IOException {
    while (src.hasRemaining()) {
      ch.write(src);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Conversions and helpers
  // ---------------------------------------------------------------------------------------------

  /**
   * Copies the elements of a {@value #FLOAT32} array into a new {@code float[]}.
   *
   * @throws IllegalArgumentException if the array's dtype is not {@value #FLOAT32}
   */
  public static float[] toFloats(NpyArray array) {
    if (!array.dtype().equals(FLOAT32)) {
      throw new IllegalArgumentException(
          "toFloats: expected dtype '" + FLOAT32 + "', found '" + array.dtype() + "'");
    }
    float[] out = new float[(int) array.elementCount()];
    array.data().asFloatBuffer().get(out);
    return out;
  }

  /**
   * Copies the elements of an {@value #INT32} array into a new {@code int[]}.
   *
   * @throws IllegalArgumentException if the array's dtype is not {@value #INT32}
   */
  public static int[] toInts(NpyArray array) {
    if (!array.dtype().equals(INT32)) {
      throw new IllegalArgumentException(
          "toInts: expected dtype '" + INT32 + "', found '" + array.dtype() + "'");
    }
    int[] out = new int[(int) array.elementCount()];
    array.data().asIntBuffer().get(out);
    return out;
  }

  /**
   * Product of the dimensions (1 for rank 0).
   *
   * @throws IllegalArgumentException for a negative dimension
   * @throws ArithmeticException if the product overflows a long
   */
  public static long elementCount(long[] shape) {
    long count = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "shape: expected non-negative dimensions, found " + Arrays.toString(shape));
      }
      count = Math.multiplyExact(count, d);
    }
    return count;
  }

  private static void checkCount(long[] shape, int length) {
    long count = elementCount(shape);
    if (count != length) {
      throw new IllegalArgumentException(
          "data for shape "
              + shapeRepr(shape)
              + ": expected "
              + count
              + " elements, found "
              + length);
    }
  }

  private static long multiplyOrFail(long count, int itemSize, Path path) {
    try {
      return Math.multiplyExact(count, itemSize);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          path + ": expected a data size that fits in a long, found " + count + " elements", e);
    }
  }

  /** Python's repr of a shape tuple: {@code ()}, {@code (5,)}, {@code (2, 3)}. */
  static String shapeRepr(long[] shape) {
    if (shape.length == 1) {
      return "(" + shape[0] + ",)";
    }
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    return sb.append(')').toString();
  }

  private static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte b : bytes) {
      sb.append(String.format("\\x%02x", b & 0xff));
    }
    return sb.toString();
  }
}
