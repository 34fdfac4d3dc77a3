package org.attn4j.runtime;

import static org.bytedeco.tvm.global.tvm_runtime.TVMArrayAlloc;
import static org.bytedeco.tvm.global.tvm_runtime.TVMArrayCopyFromBytes;
import static org.bytedeco.tvm.global.tvm_runtime.TVMArrayCopyToBytes;
import static org.bytedeco.tvm.global.tvm_runtime.TVMArrayFree;
import static org.bytedeco.tvm.global.tvm_runtime.TVMSynchronize;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.attn4j.tvm.TvmException;
import org.attn4j.tvm.TvmGlobal;
import org.attn4j.tvm.TvmNatives;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tvm.DLDataType;
import org.bytedeco.tvm.DLTensor;

/**
 * A dense, row-major tensor in memory of one {@link Device} (host or CUDA), allocated by TVM's runtime
 * ({@code TVMArrayAlloc}: 64-byte aligned on the CPU, 256 on CUDA). This is how data reaches a CUDA kernel:
 * host Arrow vector or Java array -> {@link #copyFrom} -> {@link AttentionKernel#run(Dims, DeviceArray...)} ->
 * {@link #copyTo} -> host. Caller must close; {@link #close()} is idempotent and frees the memory. Not
 * thread-safe.
 *
 * <pre>{@code
 * Device gpu = Device.cuda(0);
 * try (AttentionKernel kernel = AttentionKernel.load(dir, gpu);
 *      DeviceArray q = DeviceArray.copyOf(gpu, new long[] {b, h, n, d}, qHost);   // q [b h n d]
 *      DeviceArray k = DeviceArray.copyOf(gpu, new long[] {b, hKv, m, d}, kHost); // k, v [b h_kv m d]
 *      DeviceArray v = DeviceArray.copyOf(gpu, new long[] {b, hKv, m, d}, vHost);
 *      DeviceArray out = DeviceArray.allocate(gpu, "float32", b, h, n, d)) {
 *   kernel.run(Dims.of(b, n, m), q, k, v, out);
 *   float[] result = out.toFloatArray();   // waits for the kernel, copies to the host
 * }
 * }</pre>
 */
public final class DeviceArray implements AutoCloseable {
  private static final AtomicLong LIVE = new AtomicLong();
  private final Device device;
  private final String dtype;
  private final long[] shape;
  private final long count;
  private final DLTensor tensor;
  private boolean closed;

  private DeviceArray(Device device, String dtype, long[] shape, long count, DLTensor tensor) {
    this.device = device;
    this.dtype = dtype;
    this.shape = shape;
    this.count = count;
    this.tensor = tensor;
    LIVE.incrementAndGet();
  }

  /**
   * Allocates an uninitialised tensor of {@code shape} and {@code dtype} ({@code float32}, {@code int32},
   * {@code float16}, {@code bfloat16}) on {@code device}. Caller must close.
   *
   * @throws IllegalArgumentException on a negative dim or an unknown dtype
   * @throws TvmException if TVM cannot allocate (no such device, out of memory); nothing is leaked
   */
  public static DeviceArray allocate(Device device, String dtype, long... shape) {
    long count = 1;
    for (long s : shape) {
      if (s < 0) {
        throw new IllegalArgumentException("shape: expected dims >= 0, got " + Arrays.toString(shape));
      }
      count = Math.multiplyExact(count, s);
    }
    TvmNatives.ensureRuntime(device.isCuda());
    try (DLDataType t = new DLDataType()) {
      DTypes.fill(t, dtype);
      DLTensor out = new DLTensor(null);
      TvmException.check(TVMArrayAlloc(shape, shape.length, t.code(), t.bits(), t.lanes(), device.dlpackType(),
          device.index(), out), "TVMArrayAlloc(" + dtype + Arrays.toString(shape) + " on " + device + ")");
      return new DeviceArray(device, dtype, shape.clone(), count, out);
    }
  }

  /** A float32 tensor of {@code shape} on {@code device} holding a copy of {@code data}. Caller must close. */
  public static DeviceArray copyOf(Device device, long[] shape, float[] data) {
    DeviceArray a = allocate(device, "float32", shape);
    try {
      a.copyFrom(data);
      return a;
    } catch (RuntimeException e) {
      a.close();
      throw e;
    }
  }

  /**
   * Whether {@code device} exists in this process's TVM runtime (for CUDA: a GPU with that index, a driver,
   * and the CUDA runtime flavour loaded). Loads the runtime natives (the CUDA flavour for a CUDA device).
   */
  public static boolean exists(Device device) {
    TvmNatives.ensureRuntime(device.isCuda());
    return TvmGlobal.get("runtime.GetDeviceAttr").call(null, device.dlpackType(), device.index(), 0).asLong() != 0;
  }

  /** Waits until every kernel and copy queued on {@code device}'s default stream has finished. */
  public static void synchronize(Device device) {
    TvmException.check(TVMSynchronize(device.dlpackType(), device.index(), null), "TVMSynchronize(" + device + ")");
  }

  /** How many device arrays are allocated and not yet closed, process-wide (leak checks in tests). */
  public static long liveCount() {
    return LIVE.get();
  }

  /** Copies {@code src} (exactly {@link #getCount()} floats) into this float32 tensor. Borrows {@code src}. */
  public void copyFrom(float[] src) {
    checkLength(src.length, "float32");
    try (FloatPointer p = new FloatPointer(src)) {
      copy(p, true);
    }
  }

  /** Copies {@code src} (exactly {@link #getCount()} ints) into this int32 tensor. Borrows {@code src}. */
  public void copyFrom(int[] src) {
    checkLength(src.length, "int32");
    try (IntPointer p = new IntPointer(src)) {
      copy(p, true);
    }
  }

  /**
   * Copies an Arrow vector of this tensor's dtype ({@link Float4Vector} float32, {@code Float2Vector} float16,
   * {@code UInt2Vector} bfloat16 bits, {@link IntVector} int32) of exactly {@link #getCount()} values and no nulls
   * (its data buffer, row-major) into this tensor. Borrows {@code src}.
   */
  public void copyFrom(FieldVector src) {
    checkVector(src);
    if (src.getValueCount() != count || src.getNullCount() != 0) {
      throw new IllegalArgumentException(src.getName() + ": expected " + count + " values without nulls for "
          + this + ", got " + src.getValueCount() + " values, " + src.getNullCount() + " nulls");
    }
    copy(new DTypes.RawPointer().at(src.getDataBuffer().memoryAddress()), true);
  }

  /** Copies this float32 tensor into {@code dst} (length exactly {@link #getCount()}); waits for the device. */
  public void copyTo(float[] dst) {
    checkLength(dst.length, "float32");
    try (FloatPointer p = new FloatPointer(dst.length)) {
      copy(p, false);
      p.get(dst);
    }
  }

  /** A new host array with this float32 tensor's values; waits for the device. */
  public float[] toFloatArray() {
    float[] out = new float[Math.toIntExact(count)];
    copyTo(out);
    return out;
  }

  /**
   * Copies this tensor into an Arrow vector of its dtype (as for {@link #copyFrom(FieldVector)}) with capacity for
   * {@link #getCount()} values, then sets its value count and every validity bit;
   * waits for the device. Borrows {@code dst}.
   */
  public void copyTo(FieldVector dst) {
    checkVector(dst);
    if (dst.getValueCapacity() < count) {
      throw new IllegalArgumentException(dst.getName() + ": expected capacity for " + count + " values, got "
          + dst.getValueCapacity());
    }
    copy(new DTypes.RawPointer().at(dst.getDataBuffer().memoryAddress()), false);
    dst.setValueCount((int) count);
    dst.getValidityBuffer().setOne(0, (count + 7) / 8);
  }

  private void checkVector(FieldVector v) {
    String got = DTypes.ofVector(v);
    if (!got.equals(dtype)) {
      throw new IllegalArgumentException(v.getName() + ": expected a vector of " + dtype + " for " + this + ", got "
          + got);
    }
  }

  private void checkLength(int length, String arrayType) {
    if (!arrayType.equals(dtype) || length != count) {
      throw new IllegalArgumentException(this + ": expected " + count + " values of " + dtype + ", got an array of "
          + length + " " + arrayType);
    }
  }

  private void copy(Pointer host, boolean toDevice) {
    long bytes = getByteSize();
    DLTensor t = getTensor();
    if (toDevice) {
      TvmException.check(TVMArrayCopyFromBytes(t, host, bytes), "TVMArrayCopyFromBytes(" + this + ")");
    } else {
      TvmException.check(TVMArrayCopyToBytes(t, host, bytes), "TVMArrayCopyToBytes(" + this + ")");
    }
  }

  /**
   * The DLTensor TVM allocated (borrowed: valid until {@link #close()}); what
   * {@link AttentionKernel#run(Dims, DLTensor...)} takes.
   *
   * @throws IllegalStateException if this array was closed
   */
  public DLTensor getTensor() {
    if (closed) {
      throw new IllegalStateException(this + " was used after close()");
    }
    return tensor;
  }

  /** The device holding the data. */
  public Device getDevice() {
    return device;
  }

  /** The dtype name, e.g. {@code float32}. */
  public String getDtype() {
    return dtype;
  }

  /** The shape (a copy). */
  public long[] getShape() {
    return shape.clone();
  }

  /** The number of elements. */
  public long getCount() {
    return count;
  }

  /** The size of the data in bytes. */
  public long getByteSize() {
    return count * DTypes.bytes(dtype);
  }

  /** Whether {@link #close()} was called. */
  public boolean isClosed() {
    return closed;
  }

  /** Frees the device memory; idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      LIVE.decrementAndGet();
      TVMArrayFree(tensor);
      tensor.setNull();
    }
  }

  @Override
  public String toString() {
    return "DeviceArray(" + dtype + Arrays.toString(shape) + " on " + device
        + (closed ? ", closed)" : ")");
  }
}
