package org.attn4j.runtime.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.attn4j.runtime.io.ArrowTensorFile.TensorData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArrowTensorFileTest {

  @TempDir Path dir;

  private BufferAllocator allocator;

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void tearDown() {
    // RootAllocator.close() throws IllegalStateException if any buffer leaked.
    allocator.close();
  }

  private static float[] floats(int n, float scale) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = i * scale - 1;
    }
    return f;
  }

  private static void closeAll(Map<String, TensorData> m) {
    m.values().forEach(TensorData::close);
  }

  @Test
  void roundTripsTensorsOfDifferentSizes() throws IOException {
    long[] qShape = {2, 8, 16, 4};
    float[] q = floats(2 * 8 * 16 * 4, 0.25f);
    long[] biasShape = {3, 5};
    float[] bias = floats(15, -0.5f);
    long[] lensShape = {2};
    int[] lens = {7, 13};
    Path p = dir.resolve("tensors.arrow");
    Map<String, TensorData> in = new LinkedHashMap<>();
    try {
      in.put("q", TensorData.ofFloats(allocator, qShape, q));
      in.put("bias", TensorData.ofFloats(allocator, biasShape, bias));
      in.put("seq_lens", TensorData.ofInts(allocator, lensShape, lens));
      in.put("scalar", TensorData.ofFloats(allocator, new long[0], new float[] {0.125f}));
      in.put("empty", TensorData.ofFloats(allocator, new long[] {0, 3}, new float[0]));
      ArrowTensorFile.write(p, allocator, in);
    } finally {
      closeAll(in);
    }
    // write freed its padded copies
    assertThat(allocator.getAllocatedMemory()).isZero();

    Map<String, TensorData> out = ArrowTensorFile.read(p, allocator);
    try {
      assertThat(out.keySet()).containsExactly("q", "bias", "seq_lens", "scalar", "empty");
      TensorData qOut = out.get("q");
      assertThat(qOut.shape()).containsExactly(qShape);
      assertThat(qOut.vector()).isInstanceOf(Float4Vector.class);
      assertThat(qOut.vector().getValueCount()).isEqualTo(q.length);
      assertThat(qOut.vector().getNullCount()).isZero();
      assertThat(qOut.toFloats()).containsExactly(q);
      assertThat(qOut.vector().getField().getMetadata())
          .containsEntry(ArrowTensorFile.SHAPE_KEY, "2,8,16,4");

      TensorData biasOut = out.get("bias");
      assertThat(biasOut.shape()).containsExactly(biasShape);
      assertThat(biasOut.elementCount()).isEqualTo(15);
      assertThat(biasOut.toFloats()).containsExactly(bias);
      assertThat(((Float4Vector) biasOut.vector()).get(14)).isEqualTo(bias[14]);

      TensorData lensOut = out.get("seq_lens");
      assertThat(lensOut.vector()).isInstanceOf(IntVector.class);
      assertThat(lensOut.isFloat32()).isFalse();
      assertThat(lensOut.toInts()).containsExactly(lens);

      assertThat(out.get("scalar").shape()).isEmpty();
      assertThat(out.get("scalar").toFloats()).containsExactly(0.125f);
      assertThat(out.get("empty").shape()).containsExactly(0, 3);
      assertThat(out.get("empty").elementCount()).isZero();
    } finally {
      closeAll(out);
    }
  }

  @Test
  void fileLayoutIsOneBatchPaddedWithNulls() throws IOException {
    Path p = dir.resolve("layout.arrow");
    Map<String, TensorData> in = new LinkedHashMap<>();
    try {
      in.put("a", TensorData.ofFloats(allocator, new long[] {2, 5}, floats(10, 1)));
      in.put("b", TensorData.ofInts(allocator, new long[] {3}, new int[] {4, 5, 6}));
      ArrowTensorFile.write(p, allocator, in);
    } finally {
      closeAll(in);
    }
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
        ArrowFileReader reader = new ArrowFileReader(ch, allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      assertThat(reader.getRecordBlocks()).hasSize(1);
      assertThat(reader.loadNextBatch()).isTrue();
      assertThat(root.getRowCount()).isEqualTo(10);
      Field a = root.getSchema().getFields().get(0);
      Field b = root.getSchema().getFields().get(1);
      assertThat(a.getName()).isEqualTo("a");
      assertThat(a.getType()).isEqualTo(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE));
      assertThat(a.getMetadata()).isEqualTo(Map.of("shape", "2,5"));
      assertThat(b.getType()).isEqualTo(new ArrowType.Int(32, true));
      assertThat(b.getMetadata()).isEqualTo(Map.of("shape", "3"));
      IntVector bv = (IntVector) root.getVector("b");
      assertThat(bv.getValueCount()).isEqualTo(10);
      assertThat(bv.getNullCount()).isEqualTo(7);
      assertThat(bv.get(2)).isEqualTo(6);
      assertThat(bv.isNull(3)).isTrue();
      assertThat(root.getVector("a").getNullCount()).isZero();
      assertThat(reader.loadNextBatch()).isFalse();
    }
  }

  @Test
  void vectorsSurviveClosingTheReaderAndAreOwnedByTheCaller() throws IOException {
    Path p = dir.resolve("own.arrow");
    try (TensorData t = TensorData.ofFloats(allocator, new long[] {4}, new float[] {1, 2, 3, 4})) {
      ArrowTensorFile.write(p, allocator, Map.of("x", t));
    }
    Map<String, TensorData> out = ArrowTensorFile.read(p, allocator);
    // the reader is closed; the data is still there and accounted to our allocator
    assertThat(allocator.getAllocatedMemory()).isPositive();
    assertThat(out.get("x").toFloats()).containsExactly(1, 2, 3, 4);
    closeAll(out);
    assertThat(allocator.getAllocatedMemory()).isZero();
  }

  @Test
  void emptyMapRoundTrips() throws IOException {
    Path p = dir.resolve("none.arrow");
    ArrowTensorFile.write(p, allocator, Map.of());
    assertThat(ArrowTensorFile.read(p, allocator)).isEmpty();
  }

  @Test
  void writeRejectsVectorsWithNulls() {
    try (Float4Vector v = new Float4Vector("v", allocator)) {
      v.allocateNew(2);
      v.set(0, 1f);
      v.setNull(1);
      v.setValueCount(2);
      TensorData t = new TensorData(new long[] {2}, v);
      assertThatThrownBy(
              () -> ArrowTensorFile.write(dir.resolve("n.arrow"), allocator, Map.of("t", t)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("expected no null values, found 1");
    }
  }

  @Test
  void tensorDataValidatesShapeAndType() {
    try (Float4Vector v = new Float4Vector("v", allocator);
        VarCharVector s = new VarCharVector("s", allocator)) {
      v.allocateNew(3);
      v.setValueCount(3);
      assertThatThrownBy(() -> new TensorData(new long[] {2, 2}, v))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("expected a vector of 4 values, found 3");
      assertThatThrownBy(() -> new TensorData(new long[0], s))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("expected a Float4Vector or IntVector");
    }
  }

  /** Writes a one-batch file with arbitrary columns, bypassing ArrowTensorFile.write. */
  private void writeRaw(Path p, List<FieldVector> columns, int rows) throws IOException {
    try (VectorSchemaRoot root = new VectorSchemaRoot(columns);
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        ArrowFileWriter w =
            new ArrowFileWriter(root, new DictionaryProvider.MapDictionaryProvider(), ch)) {
      root.setRowCount(rows);
      w.start();
      w.writeBatch();
      w.end();
    }
  }

  private Float4Vector floatColumn(String name, Map<String, String> metadata, float... values) {
    Float4Vector v =
        new Float4Vector(
            new Field(
                name,
                new FieldType(
                    true,
                    new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE),
                    null,
                    metadata),
                null),
            allocator);
    v.allocateNew(values.length);
    for (int i = 0; i < values.length; i++) {
      v.set(i, values[i]);
    }
    v.setValueCount(values.length);
    return v;
  }

  @Test
  void readRejectsMissingShapeMetadataWithoutLeaking() throws IOException {
    Path p = dir.resolve("noshape.arrow");
    writeRaw(
        p,
        List.of(floatColumn("ok", Map.of("shape", "2"), 1, 2), floatColumn("bad", Map.of(), 1, 2)),
        2);
    assertThatThrownBy(() -> ArrowTensorFile.read(p, allocator))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(p.toString())
        .hasMessageContaining("column 'bad'")
        .hasMessageContaining("expected field metadata 'shape'");
  }

  @Test
  void readRejectsShapeLargerThanColumnAndNullsInsideTensor() throws IOException {
    Path big = dir.resolve("big.arrow");
    writeRaw(big, List.of(floatColumn("t", Map.of("shape", "3,2"), 1, 2)), 2);
    assertThatThrownBy(() -> ArrowTensorFile.read(big, allocator))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected at most 2 elements");

    Path holes = dir.resolve("holes.arrow");
    Float4Vector v = floatColumn("t", Map.of("shape", "3"), 1, 2, 3);
    v.setNull(1);
    writeRaw(holes, List.of(v), 3);
    assertThatThrownBy(() -> ArrowTensorFile.read(holes, allocator))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected 3 valid values followed by 0 nulls");

    Path badShape = dir.resolve("badshape.arrow");
    writeRaw(badShape, List.of(floatColumn("t", Map.of("shape", "2,x"), 1, 2)), 2);
    assertThatThrownBy(() -> ArrowTensorFile.read(badShape, allocator))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("found '2,x'");
  }
}
