package org.attn4j.runtime.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import org.attn4j.runtime.io.Npy.NpyArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {

  @TempDir Path dir;

  /** Builds a .npy file the way numpy does: header padded with spaces and '\n' to 64 bytes. */
  private static byte[] npyBytes(int major, String dict, byte[] data) {
    int lenBytes = major == 1 ? 2 : 4;
    int unpadded = 8 + lenBytes + dict.length() + 1;
    int pad = (64 - unpadded % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x93);
    out.writeBytes("NUMPY".getBytes(StandardCharsets.US_ASCII));
    out.write(major);
    out.write(0);
    ByteBuffer len = ByteBuffer.allocate(lenBytes).order(ByteOrder.LITTLE_ENDIAN);
    if (lenBytes == 2) {
      len.putShort((short) header.length());
    } else {
      len.putInt(header.length());
    }
    out.writeBytes(len.array());
    out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(data);
    byte[] bytes = out.toByteArray();
    assertThat((8 + lenBytes + header.length()) % 64).isZero();
    return bytes;
  }

  private static byte[] floatsLe(float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }

  private Path file(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  @Test
  void floatRoundTrip() throws IOException {
    float[] data = {0f, -1.5f, 3.25f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN};
    Path p = dir.resolve("f.npy");
    Npy.write(p, new long[] {2, 3}, data);
    NpyArray a = Npy.read(p);
    assertThat(a.shape()).containsExactly(2, 3);
    assertThat(a.dtype()).isEqualTo(Npy.FLOAT32);
    assertThat(a.rank()).isEqualTo(2);
    assertThat(a.elementCount()).isEqualTo(6);
    assertThat(a.data().isDirect()).isTrue();
    assertThat(a.data().order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
    assertThat(Npy.toFloats(a)).containsExactly(data);
    // header is a multiple of 64 bytes, data follows it directly
    assertThat(Files.size(p)).isEqualTo(128 + 6 * 4);
  }

  @Test
  void intRoundTrip() throws IOException {
    int[] data = {1, -2, Integer.MIN_VALUE, Integer.MAX_VALUE};
    Path p = dir.resolve("i.npy");
    Npy.write(p, new long[] {4}, data);
    NpyArray a = Npy.read(p);
    assertThat(a.shape()).containsExactly(4);
    assertThat(a.dtype()).isEqualTo(Npy.INT32);
    assertThat(Npy.toInts(a)).containsExactly(data);
    assertThatThrownBy(() -> Npy.toFloats(a))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected dtype '<f4', found '<i4'");
  }

  @Test
  void largeArrayRoundTripCrossesWriteChunks() throws IOException {
    float[] data = new float[7 * 100_003]; // 2.8 MB: several 1 MiB chunks
    for (int i = 0; i < data.length; i++) {
      data[i] = i * 0.5f - 7;
    }
    Path p = dir.resolve("big.npy");
    Npy.write(p, new long[] {7, 100_003}, data);
    assertThat(Npy.toFloats(Npy.read(p))).isEqualTo(data);
  }

  @Test
  void npyArrayRoundTripThroughByteBuffer() throws IOException {
    ByteBuffer direct = ByteBuffer.allocateDirect(3 * 4).order(ByteOrder.LITTLE_ENDIAN);
    direct.putInt(7).putInt(8).putInt(9).flip();
    NpyArray a = new NpyArray(new long[] {3, 1}, Npy.INT32, direct);
    Path p = dir.resolve("bb.npy");
    Npy.write(p, a);
    NpyArray back = Npy.read(p);
    assertThat(back).isEqualTo(a);
    assertThat(Npy.toInts(back)).containsExactly(7, 8, 9);
    assertThat(direct.position()).isZero(); // caller's buffer untouched
  }

  @Test
  void writesExactlyTheHeaderNumpyWrites() {
    // Captured from numpy 2.4 np.save: header length 118, data at offset 128.
    String[] dicts = {
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
    };
    long[][] shapes = {{2, 3}, {5}, {}};
    for (int i = 0; i < shapes.length; i++) {
      byte[] h = Npy.headerBytes(Npy.FLOAT32, shapes[i]);
      assertThat(h).hasSize(128);
      assertThat(Arrays.copyOf(h, 8)).containsExactly(0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0);
      assertThat(ByteBuffer.wrap(h, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort())
          .isEqualTo((short) 118);
      String expected = dicts[i] + " ".repeat(117 - dicts[i].length()) + "\n";
      assertThat(new String(h, 10, 118, StandardCharsets.ISO_8859_1)).isEqualTo(expected);
    }
  }

  @Test
  void readsHandWrittenNumpyHeader() throws IOException {
    byte[] bytes =
        npyBytes(
            1,
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            floatsLe(1, 2, 3, 4, 5, 6));
    assertThat(bytes.length).isEqualTo(128 + 24);
    Path p = file("hand.npy", bytes);
    Npy.Header h = Npy.readHeader(p);
    assertThat(h.majorVersion()).isEqualTo(1);
    assertThat(h.minorVersion()).isZero();
    assertThat(h.descr()).isEqualTo("<f4");
    assertThat(h.fortranOrder()).isFalse();
    assertThat(h.shape()).containsExactly(2, 3);
    assertThat(h.dataOffset()).isEqualTo(128);
    NpyArray a = Npy.read(p);
    assertThat(a.shape()).containsExactly(2, 3);
    assertThat(Npy.toFloats(a)).containsExactly(1, 2, 3, 4, 5, 6);
  }

  @Test
  void readsRankZeroAndRankOne() throws IOException {
    Path scalar =
        file(
            "scalar.npy",
            npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", floatsLe(42)));
    NpyArray s = Npy.read(scalar);
    assertThat(s.shape()).isEmpty();
    assertThat(s.elementCount()).isEqualTo(1);
    assertThat(Npy.toFloats(s)).containsExactly(42f);

    Path vec =
        file(
            "vec.npy",
            npyBytes(
                1,
                "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }",
                floatsLe(1, 2, 3, 4, 5)));
    NpyArray v = Npy.read(vec);
    assertThat(v.shape()).containsExactly(5);
    assertThat(Npy.toFloats(v)).containsExactly(1, 2, 3, 4, 5);

    // and the writer's side of the same shapes
    Path w0 = dir.resolve("w0.npy");
    Npy.write(w0, new long[0], new float[] {7});
    assertThat(Npy.readHeader(w0).shape()).isEmpty();
    assertThat(Npy.toFloats(Npy.read(w0))).containsExactly(7f);
    Path w1 = dir.resolve("w1.npy");
    Npy.write(w1, new long[] {5}, new float[] {1, 2, 3, 4, 5});
    assertThat(Npy.toFloats(Npy.read(w1))).containsExactly(1, 2, 3, 4, 5);
    Path empty = dir.resolve("empty.npy");
    Npy.write(empty, new long[] {0, 4}, new float[0]);
    assertThat(Npy.read(empty).shape()).containsExactly(0, 4);
  }

  @Test
  void headerVariantsNumpyAccepts() throws IOException {
    // key order, double quotes, Python 2 long suffix, version 2.0 length field
    Path p =
        file(
            "v2.npy",
            npyBytes(
                2,
                "{\"shape\": (2L, 1L), \"fortran_order\": False, \"descr\": \"<i4\"}",
                floatsLe(0, 0)));
    Npy.Header h = Npy.readHeader(p);
    assertThat(h.majorVersion()).isEqualTo(2);
    assertThat(h.descr()).isEqualTo("<i4");
    assertThat(Npy.read(p).shape()).containsExactly(2, 1);
  }

  @Test
  void readsFloat64FromNumpyVersion2FileNarrowingToFloat32() throws IOException {
    // np.lib.format.write_array(f, np.arange(6.).reshape(2, 3) / 3, version=(2, 0))
    byte[] bytes =
        Base64.getDecoder()
            .decode(
                "k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAo"
                    + "MiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg"
                    + "ICAgIAoAAAAAAAAAAFVVVVVVVdU/VVVVVVVV5T8AAAAAAADwP1VVVVVVVfU/q6qqqqqq+j8=");
    Path p = file("f8.npy", bytes);
    assertThat(Npy.readHeader(p).descr()).isEqualTo("<f8");
    NpyArray a = Npy.read(p);
    assertThat(a.dtype()).isEqualTo(Npy.FLOAT32);
    assertThat(a.shape()).containsExactly(2, 3);
    assertThat(Npy.toFloats(a)).containsExactly(0f, 1 / 3f, 2 / 3f, 1f, 4 / 3f, 5 / 3f);
  }

  @Test
  void readsNumpyInt32File() throws IOException {
    // np.save(f, np.array([[1, -2], [3, 2**31 - 1]], dtype=np.int32))
    byte[] bytes =
        Base64.getDecoder()
            .decode(
                "k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIs"
                    + "IDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg"
                    + "ICAgIAoBAAAA/v///wMAAAD///9/");
    NpyArray a = Npy.read(file("i4.npy", bytes));
    assertThat(a.shape()).containsExactly(2, 2);
    assertThat(Npy.toInts(a)).containsExactly(1, -2, 3, Integer.MAX_VALUE);
  }

  @Test
  void rejectsFortranOrder() throws IOException {
    Path p =
        file(
            "fortran.npy",
            npyBytes(
                1,
                "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                floatsLe(new float[6])));
    assertThatThrownBy(() -> Npy.read(p))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(p.toString())
        .hasMessageContaining("expected 'fortran_order': False")
        .hasMessageContaining("found True");
  }

  @Test
  void rejectsBigEndian() throws IOException {
    Path p =
        file(
            "be.npy",
            npyBytes(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", new byte[8]));
    assertThatThrownBy(() -> Npy.read(p))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(p.toString())
        .hasMessageContaining("big-endian")
        .hasMessageContaining("expected dtype '<f4', '<i4' or '<f8'")
        .hasMessageContaining("found '>f4'");
  }

  @Test
  void rejectsObjectAndStructuredDtypes() throws IOException {
    Path obj =
        file(
            "obj.npy",
            npyBytes(1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new byte[8]));
    assertThatThrownBy(() -> Npy.read(obj))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(obj.toString())
        .hasMessageContaining("object")
        .hasMessageContaining("found '|O'");
    Path rec =
        file(
            "rec.npy",
            npyBytes(
                1,
                "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }",
                new byte[8]));
    assertThatThrownBy(() -> Npy.read(rec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(rec.toString())
        .hasMessageContaining("expected dtype");
  }

  @Test
  void rejectsMalformedFiles() throws IOException {
    Path notNpy =
        file("x.npy", "PK\3\4 this is a zip file, not npy".getBytes(StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> Npy.read(notNpy))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(notNpy.toString())
        .hasMessageContaining("expected the magic string");

    Path truncated =
        file(
            "trunc.npy",
            npyBytes(
                1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", floatsLe(1, 2)));
    assertThatThrownBy(() -> Npy.read(truncated))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected 24 data bytes")
        .hasMessageContaining("found 8");

    Path badHeader =
        file(
            "bad.npy",
            npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3) ", new byte[24]));
    assertThatThrownBy(() -> Npy.read(badHeader))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("malformed header");

    Path missingKey = file("mk.npy", npyBytes(1, "{'descr': '<f4', 'shape': (2,), }", new byte[8]));
    assertThatThrownBy(() -> Npy.read(missingKey))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected header keys");

    Path notTuple =
        file(
            "nt.npy",
            npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", new byte[8]));
    assertThatThrownBy(() -> Npy.read(notTuple))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected 'shape' to be a tuple");

    byte[] v9 =
        npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]);
    v9[6] = 9;
    Path version = file("v9.npy", v9);
    assertThatThrownBy(() -> Npy.read(version))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected format version 1.0, 2.0 or 3.0, found 9.0");
  }

  @Test
  void rejectsMismatchedWriteArguments() {
    assertThatThrownBy(() -> Npy.write(dir.resolve("m.npy"), new long[] {2, 3}, new float[5]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected 6 elements, found 5");
    assertThatThrownBy(() -> new NpyArray(new long[] {2}, "<f8", ByteBuffer.allocate(16)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new NpyArray(new long[] {3}, Npy.FLOAT32, ByteBuffer.allocate(8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected 12 bytes, found 8");
  }
}
