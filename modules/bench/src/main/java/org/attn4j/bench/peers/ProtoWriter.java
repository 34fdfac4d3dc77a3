package org.attn4j.bench.peers;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A minimal protocol-buffers wire-format writer: just enough (varint, fixed32 and length-delimited fields) to
 * encode an ONNX {@code ModelProto} by hand, since no ONNX proto classes are published for Java.
 *
 * <p>Nested messages are written into their own {@code ProtoWriter} and embedded with {@link #message}. Fields are
 * emitted in call order; proto3 parsers accept any order.
 */
final class ProtoWriter {

  private static final int WIRE_VARINT = 0;
  private static final int WIRE_LEN = 2;
  private static final int WIRE_FIXED32 = 5;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

  /** Writes {@code value} as a base-128 varint (negative values take ten bytes, as protobuf requires). */
  private void varint(long value) {
    long v = value;
    while ((v & ~0x7FL) != 0) {
      bytes.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    bytes.write((int) v);
  }

  private void tag(int field, int wireType) {
    varint(((long) field << 3) | wireType);
  }

  /** Writes an {@code int32}, {@code int64} or enum field. */
  ProtoWriter int64(int field, long value) {
    tag(field, WIRE_VARINT);
    varint(value);
    return this;
  }

  /** Writes a {@code float} field (fixed32, little-endian). */
  ProtoWriter float32(int field, float value) {
    tag(field, WIRE_FIXED32);
    int bits = Float.floatToIntBits(value);
    for (int i = 0; i < 4; i++) {
      bytes.write((bits >>> (8 * i)) & 0xFF);
    }
    return this;
  }

  /** Writes a {@code bytes} field. */
  ProtoWriter bytes(int field, byte[] value) {
    tag(field, WIRE_LEN);
    varint(value.length);
    bytes.write(value, 0, value.length);
    return this;
  }

  /** Writes a {@code string} field, UTF-8 encoded. */
  ProtoWriter string(int field, String value) {
    return bytes(field, value.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes an embedded message field. */
  ProtoWriter message(int field, ProtoWriter message) {
    return bytes(field, message.toByteArray());
  }

  /** Returns the bytes written so far. */
  byte[] toByteArray() {
    return bytes.toByteArray();
  }
}
