package org.attn4j.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.attn4j.tvm.TvmFunction;
import org.attn4j.tvm.TvmModule;
import org.attn4j.tvm.TvmNatives;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tvm.DLDataType;
import org.bytedeco.tvm.DLTensor;
import org.jspecify.annotations.Nullable;

/**
 * A loaded attention artifact (holds the compiled module; caller must close, {@link #close()} is idempotent).
 * Calls are checked against the artifact's manifest in Java before any native code runs: argument count, dtype,
 * every dimension (static values and symbolic bounds), buffer sizes, strides, alignment, output/input overlap,
 * released buffers and the device. One call at a time per kernel (calls are serialised); the argument structs
 * are allocated once and reused, so a call allocates no native memory.
 *
 * <p>Three entry points: Arrow vectors (host memory, zero copy: CPU kernels only), {@link DeviceArray}s or raw
 * DLTensors in the kernel's device memory (zero copy: CPU and CUDA kernels), and Java arrays (copies).
 *
 * <pre>{@code
 * try (AttentionKernel kernel = AttentionKernel.load(dir)) {
 *   kernel.run(Dims.of(b, n, m), q, k, v, out);   // q, out [b h n d], k, v [b h_kv m d]: Float4Vectors, zero copy
 * }
 * }</pre>
 */
public final class AttentionKernel implements AutoCloseable {
  private final Manifest manifest;
  private final Path directory;
  private final Device device;
  private final TvmModule module;
  private final TvmFunction function;
  private final TvmFunction.Frame frame;
  private final DLTensor[] tensors;
  private final LongPointer[] shapes;
  private final long[][] shapeValues;
  private final DTypes.RawPointer[] pointers;
  private boolean closed;

  private AttentionKernel(Manifest manifest, Path directory, Device device, TvmModule module,
      TvmFunction function) {
    this.manifest = manifest;
    this.directory = directory;
    this.device = device;
    this.module = module;
    this.function = function;
    int n = manifest.arguments().size();
    this.frame = function.newFrame(n);
    this.tensors = new DLTensor[n];
    this.shapes = new LongPointer[n];
    this.shapeValues = new long[n][];
    this.pointers = new DTypes.RawPointer[n];
    for (int i = 0; i < n; i++) {
      Manifest.Argument a = manifest.arguments().get(i);
      int rank = a.shape().size();
      shapes[i] = new LongPointer(rank);
      shapeValues[i] = new long[rank];
      DLTensor t = new DLTensor();
      t.ndim(rank);
      t.shape(shapes[i]);
      t.strides(null);
      t.byte_offset(0);
      t.device().device_type(device.dlpackType()).device_id(device.index());
      DTypes.fill(t.dtype(), a.dtype());
      tensors[i] = t;
      pointers[i] = new DTypes.RawPointer();
      frame.setTensor(i, t);
    }
  }

  /** Equivalent to {@link #load(Path, Device)} on the CPU. */
  public static AttentionKernel load(Path artifactDir) throws IOException {
    return load(artifactDir, Device.cpu());
  }

  /**
   * Loads the artifact in {@code artifactDir} for {@code device}, with {@code libtvm_runtime} only. The
   * manifest is checked first (ABI, TVM version, target kind vs device, library sha256); a mismatch refuses
   * to load and names both sides. Caller must close.
   *
   * @throws IOException if the files cannot be read
   * @throws IllegalArgumentException on a manifest mismatch
   */
  public static AttentionKernel load(Path artifactDir, Device device) throws IOException {
    Manifest m = Manifest.read(artifactDir);
    verify(m, artifactDir, device);
    TvmNatives.ensureRuntime(device.isCuda());
    TvmModule module = TvmModule.load(artifactDir.resolve(m.library()));
    try {
      TvmFunction f = module.getFunction(m.function());
      return new AttentionKernel(m, artifactDir, device, module, f);
    } catch (RuntimeException e) {
      module.close();
      throw e;
    }
  }

  /** The checks done before loading; public so tools can run them alone. */
  public static void verify(Manifest m, Path dir, Device device) throws IOException {
    if (m.abi() != Manifest.ABI) {
      throw new IllegalArgumentException("artifact " + dir + ": ABI " + m.abi() + ", this runtime reads ABI "
          + Manifest.ABI);
    }
    if (!m.tvmVersion().equals(Manifest.TVM_VERSION)) {
      throw new IllegalArgumentException("artifact " + dir + ": built with TVM " + m.tvmVersion()
          + ", this runtime links TVM " + Manifest.TVM_VERSION);
    }
    String kind = m.target().getOrDefault("kind", "?");
    if (!kind.equals(device.kind())) {
      throw new IllegalArgumentException("artifact " + dir + ": built for target " + kind + " ("
          + m.target().get("level") + "), asked to run on " + device.kind());
    }
    if (m.alignment() < 4 || Integer.bitCount(m.alignment()) != 1) {
      throw new IllegalArgumentException("artifact " + dir + ": alignment " + m.alignment()
          + " is not a power of two >= 4");
    }
    Path lib = dir.resolve(m.library()).normalize();
    if (!lib.startsWith(dir.normalize()) || !Files.isRegularFile(lib)) {
      throw new IllegalArgumentException("artifact " + dir + ": library " + m.library() + " not found");
    }
    String actual = sha256(lib);
    if (!actual.equalsIgnoreCase(m.sha256())) {
      throw new IllegalArgumentException("artifact " + dir + ": library sha256 " + actual
          + " does not match the manifest's " + m.sha256());
    }
  }

  /** Hex sha256 of a file. */
  public static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return sha256(in);
    }
  }

  /** Hex sha256 of the rest of a stream (borrows it; not closed). */
  public static String sha256(InputStream in) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int r; (r = in.read(buf)) > 0; ) {
        md.update(buf, 0, r);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The artifact's manifest. */
  public Manifest getManifest() {
    return manifest;
  }

  /** The device this kernel runs on. */
  public Device getDevice() {
    return device;
  }

  /** The artifact's directory. */
  public Path getDirectory() {
    return directory;
  }

  /**
   * Runs the kernel on Arrow vectors, zero copy: each vector's data buffer is passed to the kernel as a
   * DLTensor view of the given shape (row-major). Arguments in the manifest's order (for attention:
   * {@code q, k, v, [key_lengths], out, [lse]}), each a vector of its dtype: {@code Float4Vector} float32,
   * {@code Float2Vector} float16, {@code UInt2Vector} the raw bits of bfloat16 (Arrow has no bfloat16 type),
   * {@code IntVector} int32. Output vectors get their value count set and every validity
   * bit set. Borrows every vector. Arrow memory is host memory: a CUDA kernel refuses it (copy it into
   * {@link DeviceArray}s and call {@link #run(Dims, DeviceArray...)}; a hidden copy would break this
   * overload's zero-copy promise).
   *
   * @throws IllegalArgumentException if any argument does not match the manifest, or the kernel runs on CUDA
   *     (nothing ran)
   * @throws IllegalStateException if the kernel was closed
   * @throws org.attn4j.tvm.TvmException if the kernel reports an error
   */
  public synchronized void run(Dims dims, FieldVector... args) {
    checkOpen();
    List<Manifest.Argument> spec = checkCount(args.length, "tensors");
    if (device.isCuda()) {
      throw new IllegalArgumentException(spec.get(0).name() + ": Arrow vectors are host memory and this kernel runs "
          + "on " + device + "; copy them with DeviceArray.copyFrom(FieldVector) and call run(Dims, DeviceArray...)"
          + " (or use run(Dims, BufferAllocator, float[]...), which copies)");
    }
    long[] counts = invokeChecked(dims, spec, (a, i, count) -> {
      FieldVector vec = args[i];
      String want = a.dtype();
      String got = DTypes.ofVector(vec);
      if (!want.equals(got)) {
        throw new IllegalArgumentException(a.name() + ": expected dtype " + want + ", got " + got);
      }
      ArrowBuf data = vec.getDataBuffer();
      long elemBytes = DTypes.bytes(want);
      if (a.isOutput()) {
        if (vec.getValueCapacity() < count) {
          throw new IllegalArgumentException(a.name() + ": expected capacity for " + a.shapeText() + " = "
              + count + " values, got capacity " + vec.getValueCapacity()
              + " (allocate with setInitialCapacity + allocateNew)");
        }
      } else if (vec.getValueCount() != count) {
        throw new IllegalArgumentException(a.name() + ": expected " + a.shapeText() + " = " + count
            + " values for " + dims + ", got " + vec.getValueCount());
      }
      if (data.refCnt() == 0 || data.memoryAddress() == 0 || data.capacity() < count * elemBytes) {
        throw new IllegalArgumentException(a.name() + ": its data buffer was released or is too small ("
            + data.capacity() + " bytes for " + count * elemBytes + ")");
      }
      if (!a.isOutput() && vec.getNullCount() != 0) {
        throw new IllegalArgumentException(a.name() + ": expected no nulls, got " + vec.getNullCount());
      }
      return data.memoryAddress();
    });
    for (int i = 0; i < args.length; i++) {
      if (spec.get(i).isOutput()) {
        FieldVector vec = args[i];
        int count = (int) counts[i];
        vec.setValueCount(count);
        vec.getValidityBuffer().setOne(0, (count + 7) / 8);
      }
    }
  }

  /**
   * Runs the kernel on {@link DeviceArray}s in the kernel's device memory, zero copy. Equivalent to
   * {@link #run(Dims, DLTensor...)} on their tensors. On CUDA the call returns once the kernel is queued; a
   * copy back ({@link DeviceArray#copyTo}) or {@link DeviceArray#synchronize} waits for it. Borrows every array.
   *
   * @throws IllegalStateException if the kernel or an array was closed
   */
  public void run(Dims dims, DeviceArray... args) {
    DLTensor[] t = new DLTensor[args.length];
    for (int i = 0; i < args.length; i++) {
      t[i] = args[i] == null ? null : args[i].getTensor();
    }
    run(dims, t);
  }

  /**
   * Runs the kernel on DLTensors (from {@link DeviceArray#getTensor()}, TVM4J, or DLPack), zero copy. Each
   * tensor must have the manifest's rank, shape (symbolic dims from {@code dims}) and dtype, live on this
   * kernel's device, be compact row-major (null strides, or the compact ones), and have its data (plus
   * {@code byte_offset}) aligned to the manifest's alignment; outputs must not overlap any other argument.
   * Borrows every tensor (its memory must stay allocated until the call returns; on CUDA, until the kernel ends).
   *
   * @throws IllegalArgumentException if any argument does not match (nothing ran)
   * @throws IllegalStateException if the kernel was closed
   * @throws org.attn4j.tvm.TvmException if the kernel reports an error
   */
  public synchronized void run(Dims dims, DLTensor... args) {
    checkOpen();
    List<Manifest.Argument> spec = checkCount(args.length, "tensors");
    invokeChecked(dims, spec, (a, i, count) -> {
      DLTensor t = args[i];
      if (t == null || t.isNull()) {
        throw new IllegalArgumentException(a.name() + ": expected a DLTensor, got null");
      }
      checkTensor(a, i, t);
      Pointer data = t.data();
      if (data == null || data.isNull()) {
        throw new IllegalArgumentException(a.name() + ": its data pointer is null (released?)");
      }
      return data.address() + t.byte_offset();
    });
  }

  /** One entry point's own checks of an argument of a zero-copy call. */
  @FunctionalInterface
  private interface ArgumentCheck {
    /**
     * Checks the argument and gives the address of its data.
     *
     * @param a the manifest's argument
     * @param i its position
     * @param count its element count, from the manifest's shape and the call's dims
     * @return the address of its first element
     * @throws IllegalArgumentException if the argument does not match {@code a}
     */
    long address(Manifest.Argument a, int i, long count);
  }

  /**
   * What both zero-copy entry points do around their own per-argument checks: checks {@code dims}, resolves each
   * argument's shape and lets {@code check} validate it and give its address, checks alignment and that no output
   * overlaps another argument, then calls the kernel. Nothing runs if a check throws.
   *
   * @param spec the manifest's arguments, already checked against the call's argument count
   * @return each argument's element count
   */
  private long[] invokeChecked(Dims dims, List<Manifest.Argument> spec, ArgumentCheck check) {
    checkDims(dims);
    long[] addr = new long[spec.size()];
    long[] bytes = new long[spec.size()];
    long[] counts = new long[spec.size()];
    for (int i = 0; i < spec.size(); i++) {
      Manifest.Argument a = spec.get(i);
      counts[i] = resolveShape(i, dims);
      addr[i] = check.address(a, i, counts[i]);
      bytes[i] = counts[i] * DTypes.bytes(a.dtype());
      checkAlignment(a.name(), addr[i]);
    }
    checkOverlap(spec, addr, bytes);
    invoke(addr);
    return counts;
  }

  private void checkTensor(Manifest.Argument a, int i, DLTensor t) {
    long[] want = shapeValues[i];
    long[] got = new long[t.ndim()];
    LongPointer shape = t.shape();
    for (int r = 0; r < got.length; r++) {
      got[r] = shape.get(r);
    }
    if (!Arrays.equals(want, got)) {
      throw new IllegalArgumentException(a.name() + ": expected " + a.shapeText() + " = " + Arrays.toString(want)
          + ", got " + Arrays.toString(got));
    }
    DLDataType w = tensors[i].dtype();
    DLDataType g = t.dtype();
    if (g.code() != w.code() || g.bits() != w.bits() || g.lanes() != w.lanes()) {
      throw new IllegalArgumentException(a.name() + ": expected dtype " + a.dtype() + ", got DLPack (code "
          + g.code() + ", bits " + g.bits() + ", lanes " + g.lanes() + ")");
    }
    int type = t.device().device_type();
    int index = t.device().device_id();
    if (type != device.dlpackType() || index != device.index()) {
      throw new IllegalArgumentException(a.name() + ": expected memory on " + device + " (the kernel's device), got"
          + " DLPack device (type " + type + ", id " + index + ")");
    }
    LongPointer strides = t.strides();
    if (strides != null && !strides.isNull()) {
      long compact = 1;
      for (int r = got.length - 1; r >= 0; r--) {
        if (got[r] != 1 && strides.get(r) != compact) {
          throw new IllegalArgumentException(a.name() + ": expected compact row-major strides, got stride "
              + strides.get(r) + " for dim " + r + " (compact: " + compact + ")");
        }
        compact *= got[r];
      }
    }
  }

  /**
   * Runs the kernel on Java arrays (float[] for float32 tensors, int[] for int32). <b>Copies</b> every input
   * into native memory and every output back: for a CPU kernel into Arrow buffers from {@code allocator}, for a
   * CUDA kernel into {@link DeviceArray}s ({@code allocator} is then unused). Use the Arrow or
   * {@link DeviceArray} overloads to avoid copies. Everything allocated here is released even if it fails.
   */
  public void run(Dims dims, BufferAllocator allocator, Object... arrays) {
    List<Manifest.Argument> spec = checkCount(arrays.length, "arrays");
    if (device.isCuda()) {
      runThroughDevice(dims, spec, arrays);
      return;
    }
    FieldVector[] vecs = new FieldVector[arrays.length];
    try {
      for (int i = 0; i < arrays.length; i++) {
        Manifest.Argument a = spec.get(i);
        if (arrays[i] instanceof float[] f) {
          Float4Vector v = new Float4Vector(a.name(), allocator);
          vecs[i] = v;
          v.allocateNew(f.length);
          if (!a.isOutput()) {
            for (int j = 0; j < f.length; j++) {
              v.set(j, f[j]);
            }
            v.setValueCount(f.length);
          }
        } else if (arrays[i] instanceof int[] f) {
          IntVector v = new IntVector(a.name(), allocator);
          vecs[i] = v;
          v.allocateNew(f.length);
          for (int j = 0; j < f.length; j++) {
            v.set(j, f[j]);
          }
          v.setValueCount(f.length);
        } else {
          throw notAnArray(a, arrays[i]);
        }
      }
      run(dims, vecs);
      for (int i = 0; i < arrays.length; i++) {
        if (spec.get(i).isOutput()) {
          float[] dst = (float[]) arrays[i];
          Float4Vector v = (Float4Vector) vecs[i];
          if (dst.length < v.getValueCount()) {
            throw new IllegalArgumentException(spec.get(i).name() + ": expected " + v.getValueCount()
                + " floats, got an array of " + dst.length);
          }
          for (int j = 0; j < v.getValueCount(); j++) {
            dst[j] = v.get(j);
          }
        }
      }
    } finally {
      for (FieldVector v : vecs) {
        if (v != null) {
          v.close();
        }
      }
    }
  }

  private void runThroughDevice(Dims dims, List<Manifest.Argument> spec, Object[] arrays) {
    DeviceArray[] d = new DeviceArray[arrays.length];
    try {
      for (int i = 0; i < arrays.length; i++) {
        Manifest.Argument a = spec.get(i);
        d[i] = DeviceArray.allocate(device, a.dtype(), a.resolve(dims));
        if (arrays[i] instanceof float[] f) {
          if (!a.isOutput()) {
            d[i].copyFrom(f);
          }
        } else if (arrays[i] instanceof int[] f) {
          d[i].copyFrom(f);
        } else {
          throw notAnArray(a, arrays[i]);
        }
      }
      run(dims, d);
      for (int i = 0; i < arrays.length; i++) {
        if (spec.get(i).isOutput()) {
          d[i].copyTo((float[]) arrays[i]);
        }
      }
    } finally {
      for (DeviceArray a : d) {
        if (a != null) {
          a.close();
        }
      }
    }
  }

  private static IllegalArgumentException notAnArray(Manifest.Argument a, @Nullable Object o) {
    return new IllegalArgumentException(a.name() + ": expected float[] or int[], got "
        + (o == null ? "null" : o.getClass().getSimpleName()));
  }

  private List<Manifest.Argument> checkCount(int count, String what) {
    List<Manifest.Argument> spec = manifest.arguments();
    if (count != spec.size()) {
      throw new IllegalArgumentException(manifest.variant() + ": expected " + spec.size() + " " + what + " "
          + names() + ", got " + count);
    }
    return spec;
  }

  private void invoke(long[] addr) {
    for (int i = 0; i < addr.length; i++) {
      shapes[i].put(shapeValues[i]);
      pointers[i].point(tensors[i], addr[i]);
    }
    frame.invoke();
  }

  private long resolveShape(int i, Dims dims) {
    long[] s = manifest.arguments().get(i).resolve(dims);
    System.arraycopy(s, 0, shapeValues[i], 0, s.length);
    long count = 1;
    for (long v : s) {
      count = Math.multiplyExact(count, v);
    }
    return count;
  }


  private void checkDims(Dims dims) {
    manifest.dims().forEach((name, bounds) -> {
      long v = dims.get(name);
      if (v < bounds[0] || v > bounds[1]) {
        throw new IllegalArgumentException("dim " + name + ": expected " + bounds[0] + " <= " + name + " <= "
            + bounds[1] + " (the artifact's bounds), got " + v);
      }
    });
    for (String name : dims.asMap().keySet()) {
      if (!manifest.dims().containsKey(name)) {
        throw new IllegalArgumentException("dim " + name + ": not a dim of " + manifest.variant()
            + " (its dims: " + manifest.dims().keySet() + ")");
      }
    }
  }

  private void checkAlignment(String name, long address) {
    if (address % manifest.alignment() != 0) {
      throw new IllegalArgumentException(name + ": expected data aligned to " + manifest.alignment()
          + " bytes, got address 0x" + Long.toHexString(address) + " (offset " + address % manifest.alignment()
          + "); Arrow buffers from a RootAllocator are aligned, slices may not be");
    }
  }

  private static void checkOverlap(List<Manifest.Argument> spec, long[] addr, long[] bytes) {
    for (int o = 0; o < spec.size(); o++) {
      if (!spec.get(o).isOutput()) {
        continue;
      }
      for (int i = 0; i < spec.size(); i++) {
        if (i == o || bytes[i] == 0 || bytes[o] == 0) {
          continue;
        }
        boolean overlap = addr[o] < addr[i] + bytes[i] && addr[i] < addr[o] + bytes[o];
        if (overlap) {
          throw new IllegalArgumentException(spec.get(o).name() + ": output overlaps " + spec.get(i).name()
              + " (outputs must not share memory with any other argument)");
        }
      }
    }
  }

  private String names() {
    return manifest.arguments().stream().map(Manifest.Argument::name).toList().toString();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("kernel " + manifest.variant() + " (" + directory + ") was used after close()");
    }
  }

  /** Releases the module and the reusable argument structs; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    frame.close();
    for (int i = 0; i < tensors.length; i++) {
      tensors[i].close();
      shapes[i].close();
    }
    function.close();
    module.close();
  }

  @Override
  public String toString() {
    return "AttentionKernel(" + manifest.variant() + ", " + manifest.target() + (closed ? ", closed)" : ")");
  }
}
