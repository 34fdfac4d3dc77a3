package org.attn4j.runtime.io;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.util.TransferPair;
import org.jspecify.annotations.Nullable;

/**
 * Reads and writes named float32 and int32 tensors in one Arrow IPC <em>file</em> (the random
 * access format of {@link ArrowFileWriter}, readable by {@code pyarrow.ipc.open_file}).
 *
 * <h2>Format</h2>
 *
 * <ul>
 *   <li>The file holds exactly <b>one record batch</b> and no dictionaries.
 *   <li>Each tensor is <b>one column</b>, named after the tensor, in the order of the map given to
 *       {@link #write}. A float32 tensor is a nullable {@code FloatingPoint(SINGLE)} column ({@link
 *       Float4Vector}), an int32 tensor a nullable signed {@code Int(32)} column ({@link
 *       IntVector}).
 *   <li>The column's field metadata holds the shape under the key {@value #SHAPE_KEY} as decimal
 *       dimensions separated by commas without spaces, for example {@code "2,8,128,64"}; the empty
 *       string is a rank-0 (scalar, one element) tensor.
 *   <li>Rows {@code 0 .. n-1} of the column hold the tensor's {@code n = product(shape)} elements
 *       in row-major (C) order, all valid. Since all columns of a record batch have the same
 *       length, the batch has {@code max(n)} rows and each shorter column is padded at the end with
 *       nulls (validity bit 0, value bytes zero). A reader recovers {@code n} from the shape, not
 *       from the null count.
 * </ul>
 *
 * <p>In Python, tensor {@code t} of such a file is {@code
 * table.column(t).chunk(0).to_numpy(zero_copy_only=False)[:n].reshape(shape)} with {@code shape}
 * parsed from {@code table.schema.field(t).metadata[b"shape"]}.
 *
 * <p>{@link #write} copies the tensors into padded vectors allocated from the given allocator and
 * frees them before returning; the caller's vectors are only read. {@link #read} returns vectors
 * that <b>the caller owns and must close</b> (each {@link TensorData} is {@link AutoCloseable}).
 */
public final class ArrowTensorFile {

  /** Field metadata key holding a tensor's comma-separated shape. */
  public static final String SHAPE_KEY = "shape";

  private static final ArrowType FLOAT32 =
      new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
  private static final ArrowType INT32 = new ArrowType.Int(32, true);

  private ArrowTensorFile() {}

  /**
   * A tensor: its shape and a {@link Float4Vector} or {@link IntVector} holding exactly {@code
   * product(shape)} elements in row-major order. Closing it closes the vector. Two instances are
   * equal when their shapes are equal and they hold the same vector instance.
   *
   * @param shape the dimensions ({@code {}} for a scalar)
   * @param vector a {@link Float4Vector} or {@link IntVector} whose value count is {@code
   *     product(shape)}
   */
  public record TensorData(long[] shape, FieldVector vector) implements AutoCloseable {

    public TensorData {
      Objects.requireNonNull(shape, "shape");
      Objects.requireNonNull(vector, "vector");
      shape = shape.clone();
      if (!(vector instanceof Float4Vector) && !(vector instanceof IntVector)) {
        throw new IllegalArgumentException(
            "TensorData vector: expected a Float4Vector or IntVector, found "
                + vector.getClass().getSimpleName());
      }
      long n = Npy.elementCount(shape);
      if (vector.getValueCount() != n) {
        throw new IllegalArgumentException(
            "TensorData for shape "
                + Arrays.toString(shape)
                + ": expected a vector of "
                + n
                + " values, found "
                + vector.getValueCount());
      }
    }

    /** Allocates a {@link Float4Vector} from {@code allocator} holding a copy of {@code data}. */
    public static TensorData ofFloats(BufferAllocator allocator, long[] shape, float[] data) {
      return filled(new Float4Vector("tensor", allocator), shape, data.length,
          bytes -> bytes.asFloatBuffer().put(data));
    }

    /** Allocates an {@link IntVector} from {@code allocator} holding a copy of {@code data}. */
    public static TensorData ofInts(BufferAllocator allocator, long[] shape, int[] data) {
      return filled(new IntVector("tensor", allocator), shape, data.length, bytes -> bytes.asIntBuffer().put(data));
    }

    /** {@code v} with {@code count} 4-byte values written by {@code write}, all valid; closed if this fails. */
    private static TensorData filled(BaseFixedWidthVector v, long[] shape, int count,
        java.util.function.Consumer<java.nio.ByteBuffer> write) {
      try {
        checkLength(shape, count);
        v.allocateNew(count);
        if (count > 0) {
          write.accept(v.getDataBuffer().nioBuffer(0, count * 4).order(ByteOrder.nativeOrder()));
        }
        setLeadingBits(v.getValidityBuffer(), count);
        v.setValueCount(count);
        return new TensorData(shape, v);
      } catch (RuntimeException e) {
        v.close();
        throw e;
      }
    }

    /** Returns a copy of the dimensions. */
    @Override
    public long[] shape() {
      return shape.clone();
    }

    /** Product of the dimensions. */
    public int elementCount() {
      return vector.getValueCount();
    }

    /** Whether the vector is a {@link Float4Vector}. */
    public boolean isFloat32() {
      return vector instanceof Float4Vector;
    }

    /**
     * Copies the elements into a new {@code float[]}.
     *
     * @throws IllegalArgumentException if the vector is not a {@link Float4Vector}
     */
    public float[] toFloats() {
      if (!(vector instanceof Float4Vector)) {
        throw new IllegalArgumentException(
            "toFloats: expected a Float4Vector, found " + vector.getClass().getSimpleName());
      }
      float[] out = new float[elementCount()];
      if (out.length > 0) {
        vector
            .getDataBuffer()
            .nioBuffer(0, out.length * 4)
            .order(ByteOrder.nativeOrder())
            .asFloatBuffer()
            .get(out);
      }
      return out;
    }

    /**
     * Copies the elements into a new {@code int[]}.
     *
     * @throws IllegalArgumentException if the vector is not an {@link IntVector}
     */
    public int[] toInts() {
      if (!(vector instanceof IntVector)) {
        throw new IllegalArgumentException(
            "toInts: expected an IntVector, found " + vector.getClass().getSimpleName());
      }
      int[] out = new int[elementCount()];
      if (out.length > 0) {
        vector
            .getDataBuffer()
            .nioBuffer(0, out.length * 4)
            .order(ByteOrder.nativeOrder())
            .asIntBuffer()
            .get(out);
      }
      return out;
    }

    /** Closes the vector. */
    @Override
    public void close() {
      vector.close();
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof TensorData
          && Arrays.equals(shape, ((TensorData) o).shape)
          && vector == ((TensorData) o).vector;
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(shape) + System.identityHashCode(vector);
    }

    @Override
    public String toString() {
      return "TensorData[shape="
          + Arrays.toString(shape)
          + ", type="
          + (isFloat32() ? "float32" : "int32")
          + "]";
    }

    private static void checkLength(long[] shape, int length) {
      long n = Npy.elementCount(shape);
      if (n != length) {
        throw new IllegalArgumentException(
            "data for shape "
                + Arrays.toString(shape)
                + ": expected "
                + n
                + " elements, found "
                + length);
      }
    }
  }

  /**
   * Writes the tensors to {@code path} (replacing any existing file) in the format described in the
   * class documentation, one column per map entry in iteration order.
   *
   * @param allocator allocates the padded copies, all of which are freed before returning
   * @param tensors tensors by name; their vectors must have no null values. They are read, not
   *     modified or closed.
   * @throws IllegalArgumentException if a vector contains nulls
   */
  public static void write(Path path, BufferAllocator allocator, Map<String, TensorData> tensors)
      throws IOException {
    int rows = 0;
    for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
      int nulls = e.getValue().vector().getNullCount();
      if (nulls != 0) {
        throw new IllegalArgumentException(
            path + ": tensor '" + e.getKey() + "': expected no null values, found " + nulls);
      }
      rows = Math.max(rows, e.getValue().elementCount());
    }
    List<Field> fields = new ArrayList<>(tensors.size());
    List<FieldVector> columns = new ArrayList<>(tensors.size());
    try {
      for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
        TensorData t = e.getValue();
        Map<String, String> metadata = Map.of(SHAPE_KEY, shapeText(t.shape));
        ArrowType type = t.isFloat32() ? FLOAT32 : INT32;
        Field field = new Field(e.getKey(), new FieldType(true, type, null, metadata), null);
        FieldVector column = field.createVector(allocator);
        columns.add(column);
        fields.add(field);
        BaseFixedWidthVector fixed = (BaseFixedWidthVector) column;
        fixed.allocateNew(rows);
        fixed.zeroVector();
        int n = t.elementCount();
        if (n > 0) {
          column.getDataBuffer().setBytes(0, t.vector().getDataBuffer(), 0, n * 4L);
        }
        setLeadingBits(column.getValidityBuffer(), n);
        column.setValueCount(rows);
      }
      VectorSchemaRoot root = new VectorSchemaRoot(fields, new ArrayList<>(columns), rows);
      columns.clear(); // the root owns them now
      try (root;
          FileChannel ch =
              FileChannel.open(
                  path,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.TRUNCATE_EXISTING,
                  StandardOpenOption.WRITE);
          ArrowFileWriter writer =
              new ArrowFileWriter(root, new DictionaryProvider.MapDictionaryProvider(), ch)) {
        writer.start();
        writer.writeBatch();
        writer.end();
      }
    } finally {
      for (FieldVector c : columns) {
        c.close();
      }
    }
  }

  /**
   * Reads all tensors of a file written in the format described in the class documentation.
   *
   * <p><b>Ownership:</b> the returned vectors are transferred out of the reader into {@code
   * allocator}; they stay valid after this method returns and <b>the caller must close them</b>
   * (for example {@code result.values().forEach(TensorData::close)}). Each vector's value count is
   * its tensor's element count; its {@link FieldVector#getField() field} keeps the {@value
   * #SHAPE_KEY} metadata. Nothing is left allocated when this method throws.
   *
   * @return tensors by column name, in column order
   * @throws IllegalArgumentException if the file does not follow the format; the message names the
   *     file, what was expected and what was found
   */
  public static Map<String, TensorData> read(Path path, BufferAllocator allocator)
      throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        ArrowFileReader reader = new ArrowFileReader(ch, allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      List<ArrowBlock> blocks = reader.getRecordBlocks();
      if (blocks.size() != 1) {
        throw new IllegalArgumentException(
            path + ": expected exactly one record batch, found " + blocks.size());
      }
      if (!reader.loadRecordBatch(blocks.get(0))) {
        throw new IllegalArgumentException(path + ": expected a record batch, found none");
      }
      int rows = root.getRowCount();
      List<FieldVector> vectors = root.getFieldVectors();
      long[][] shapes = new long[vectors.size()][];
      Map<String, Integer> seen = new HashMap<>();
      for (int i = 0; i < vectors.size(); i++) {
        FieldVector v = vectors.get(i);
        Field f = v.getField();
        String where = path + ": column '" + f.getName() + "'";
        if (seen.put(f.getName(), i) != null) {
          throw new IllegalArgumentException(
              where + ": expected unique column names, found a duplicate");
        }
        if (!(v instanceof Float4Vector) && !(v instanceof IntVector)) {
          throw new IllegalArgumentException(
              where + ": expected type float32 or int32, found " + f.getType());
        }
        String shapeText = f.getMetadata().get(SHAPE_KEY);
        if (shapeText == null) {
          throw new IllegalArgumentException(
              where + ": expected field metadata '" + SHAPE_KEY + "', found " + f.getMetadata());
        }
        long[] shape = parseShape(shapeText, where);
        long n = Npy.elementCount(shape);
        if (n > rows) {
          throw new IllegalArgumentException(
              where
                  + ": expected at most "
                  + rows
                  + " elements (the batch's row count), found shape "
                  + shapeText
                  + " with "
                  + n);
        }
        int prefixNulls = n == 0 ? 0 : BitVectorHelper.getNullCount(v.getValidityBuffer(), (int) n);
        if (prefixNulls != 0 || v.getNullCount() != rows - n) {
          throw new IllegalArgumentException(
              where
                  + ": expected "
                  + n
                  + " valid values followed by "
                  + (rows - n)
                  + " nulls, found "
                  + prefixNulls
                  + " nulls among the first "
                  + n
                  + " and "
                  + v.getNullCount()
                  + " in all");
        }
        shapes[i] = shape;
      }
      Map<String, TensorData> out = new LinkedHashMap<>();
      try {
        for (int i = 0; i < vectors.size(); i++) {
          FieldVector v = vectors.get(i);
          TransferPair tp = v.getTransferPair(allocator);
          tp.transfer();
          FieldVector moved = (FieldVector) tp.getTo();
          try {
            moved.setValueCount((int) Npy.elementCount(shapes[i]));
            out.put(v.getField().getName(), new TensorData(shapes[i], moved));
          } catch (RuntimeException e) {
            moved.close();
            throw e;
          }
        }
      } catch (RuntimeException e) {
        out.values().forEach(TensorData::close);
        throw e;
      }
      return out;
    }
  }

  /** Formats a shape as stored in the metadata: {@code "2,8,128,64"}; {@code ""} for rank 0. */
  public static String shapeText(long[] shape) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(shape[i]);
    }
    return sb.toString();
  }

  private static long[] parseShape(String text, String where) {
    if (text.isBlank()) {
      return new long[0];
    }
    String[] parts = text.split(",", -1);
    long[] shape = new long[parts.length];
    try {
      for (int i = 0; i < parts.length; i++) {
        shape[i] = Long.parseLong(parts[i].strip());
        if (shape[i] < 0) {
          throw new NumberFormatException();
        }
      }
      long n = Npy.elementCount(shape);
      if (n > Integer.MAX_VALUE) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(
          where
              + ": expected '"
              + SHAPE_KEY
              + "' to be comma-separated non-negative integers with at most "
              + Integer.MAX_VALUE
              + " elements in all, found '"
              + text
              + "'",
          e);
    }
    return shape;
  }

  /** Sets validity bits {@code 0 .. n-1}. */
  private static void setLeadingBits(ArrowBuf validity, int n) {
    int fullBytes = n / 8;
    if (fullBytes > 0) {
      validity.setOne(0L, (long) fullBytes);
    }
    for (int i = fullBytes * 8; i < n; i++) {
      BitVectorHelper.setBit(validity, i);
    }
  }
}
