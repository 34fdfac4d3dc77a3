package org.attn4j.bench.gpu;

import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.DeviceArray;
import org.attn4j.runtime.Manifest;

/**
 * A kernel's arguments for one call as {@link DeviceArray}s on its device: inputs copied in (rounded to their
 * dtypes; fp16 and bf16 through {@link Transfers}), outputs poisoned with NaN so that an element the kernel does
 * not write shows up. Caller must close.
 */
final class DeviceCall implements AutoCloseable {
  private final AttentionKernel kernel;
  private final CallInputs in;
  private final BufferAllocator allocator;
  private final List<Manifest.Argument> spec;
  private final DeviceArray[] arrays;

  DeviceCall(AttentionKernel kernel, CallInputs in, BufferAllocator allocator) {
    this.kernel = kernel;
    this.in = in;
    this.allocator = allocator;
    this.spec = kernel.getManifest().arguments();
    this.arrays = new DeviceArray[spec.size()];
    try {
      for (int i = 0; i < arrays.length; i++) {
        Manifest.Argument a = spec.get(i);
        arrays[i] = DeviceArray.allocate(kernel.getDevice(), a.dtype(), a.resolve(in.dims));
        if (a.name().equals("key_lengths")) {
          arrays[i].copyFrom(in.lengths == null ? new int[0] : in.lengths);
        } else {
          Transfers.upload(arrays[i], a.isOutput() ? nan(arrays[i].getCount()) : input(a.name()), allocator);
        }
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private float[] input(String name) {
    return switch (name) {
      case "q" -> in.q;
      case "k" -> in.k;
      case "v" -> in.v;
      default -> {
        float[] c = in.captures.get(name);
        if (c == null) {
          throw new IllegalArgumentException("no input drawn for argument " + name);
        }
        yield c;
      }
    };
  }

  private static float[] nan(long count) {
    float[] x = new float[Math.toIntExact(count)];
    Arrays.fill(x, Float.NaN);
    return x;
  }

  /** Queues the kernel on these arrays (on CUDA it returns before the kernel ends). */
  void run() {
    kernel.run(in.dims, arrays);
  }

  /** Poisons every output with NaN again (before a call whose every output element must be written). */
  void poisonOutputs() {
    for (int i = 0; i < arrays.length; i++) {
      if (spec.get(i).isOutput()) {
        Transfers.upload(arrays[i], nan(arrays[i].getCount()), allocator);
      }
    }
  }

  /** An output's values widened to float; waits for the device. */
  float[] output(String name) {
    for (int i = 0; i < spec.size(); i++) {
      if (spec.get(i).name().equals(name)) {
        return Transfers.download(arrays[i], allocator);
      }
    }
    throw new IllegalArgumentException("no argument named " + name + " in " + spec);
  }

  @Override
  public void close() {
    for (DeviceArray a : arrays) {
      if (a != null) {
        a.close();
      }
    }
  }
}
