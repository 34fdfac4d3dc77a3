package org.attn4j.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.attn4j.tvm.Attn4jException;
import org.attn4j.tvm.TvmGlobal;
import org.attn4j.tvm.TvmNatives;
import org.jspecify.annotations.Nullable;

/**
 * What this machine can run, as artifact selection needs it: the CPU's feature flags (hence the x86-64
 * micro-architecture levels it supports) and whether a CUDA GPU is usable, with its architecture. Immutable.
 * {@link #detect()} reads {@code /proc/cpuinfo} at once and probes CUDA only when first asked (the probe loads
 * TVM's GPU runtime, so it is skipped unless a CUDA artifact is a candidate); {@link #of} describes another host
 * (tests, explicit overrides).
 *
 * <pre>{@code
 * Host host = Host.detect();
 * host.getCpuLevel();              // "x86-64-v3"
 * host.missingFor("x86-64-v4");    // "host lacks avx512f, avx512bw, avx512cd, avx512dq, avx512vl"
 * }</pre>
 */
public final class Host {
  /** x86-64 micro-architecture levels (psABI), lowest first, each with the flags it adds to the one before. */
  private static final Map<String, List<String>> LEVELS = new LinkedHashMap<>();

  static {
    LEVELS.put("x86-64", List.of());
    LEVELS.put("x86-64-v2", List.of("cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"));
    LEVELS.put("x86-64-v3", List.of("avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"));
    LEVELS.put("x86-64-v4", List.of("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"));
  }

  /** A usable GPU's architecture ({@code sm_80}), or why there is none. */
  private record Cuda(@Nullable String arch, String reason) {}

  private final Set<String> cpuFlags;
  private final Supplier<Cuda> cuda;
  private @Nullable Cuda probed;

  private Host(Set<String> cpuFlags, Supplier<Cuda> cuda) {
    this.cpuFlags = Set.copyOf(cpuFlags);
    this.cuda = cuda;
  }

  /** This machine: CPU flags from {@code /proc/cpuinfo} (none if unreadable); CUDA probed on first use. */
  public static Host detect() {
    return new Host(readCpuFlags(), Host::probeCuda);
  }

  /**
   * A described host.
   *
   * @param cpuFlags {@code /proc/cpuinfo} flag names ({@code avx2}, {@code avx512f}, ...)
   * @param cudaArch the GPU's architecture ({@code sm_80}), or {@code null} for none
   */
  public static Host of(Set<String> cpuFlags, @Nullable String cudaArch) {
    Cuda c = new Cuda(cudaArch, cudaArch == null ? "no GPU (described host)" : "");
    return new Host(cpuFlags, () -> c);
  }

  /** The CPU's feature flags. */
  public Set<String> getCpuFlags() {
    return cpuFlags;
  }

  /** The best x86-64 level this CPU supports ({@code x86-64} at least). */
  public String getCpuLevel() {
    String best = "x86-64";
    for (String level : LEVELS.keySet()) {
      if (missingFor(level) == null) {
        best = level;
      }
    }
    return best;
  }

  /**
   * Why this CPU cannot run code for {@code level} ({@code "host lacks avx512bw"}), or {@code null} if it can.
   * A level that is not an x86-64 psABI level (an LLVM CPU name such as {@code znver3}) cannot be checked.
   */
  public @Nullable String missingFor(String level) {
    if (!LEVELS.containsKey(level)) {
      return "unknown CPU level '" + level + "' (only " + LEVELS.keySet() + " are checked; select it explicitly)";
    }
    List<String> lacks = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : LEVELS.entrySet()) {
      e.getValue().stream().filter(f -> !cpuFlags.contains(f)).forEach(lacks::add);
      if (e.getKey().equals(level)) {
        break;
      }
    }
    return lacks.isEmpty() ? null : "host lacks " + String.join(", ", lacks);
  }

  /** The rank of a CPU level (higher is better), or -1 for a level that is not an x86-64 psABI level. */
  static int rank(String level) {
    return new ArrayList<>(LEVELS.keySet()).indexOf(level);
  }

  /** The architecture ({@code sm_80}) of CUDA device 0 if it is usable from this process, else {@code null}. */
  public synchronized @Nullable String getCudaArch() {
    return cuda().arch();
  }

  /** Why no GPU is usable ({@code ""} when one is). */
  public synchronized String getCudaReason() {
    return cuda().reason();
  }

  private Cuda cuda() {
    if (probed == null) {
      probed = cuda.get();
    }
    return probed;
  }

  private static Set<String> readCpuFlags() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("flags")) {
          return Set.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
        }
      }
    } catch (IOException | RuntimeException e) {
      // An unreadable cpuinfo means the baseline level only.
    }
    return Set.of();
  }

  /**
   * Probes CUDA device 0 without ever crashing the JVM: the GPU runtime is loaded only when the driver is there,
   * TVM's GPU natives are on the class path, and no flavour without CUDA (or with stand-in CUDA libraries) was
   * loaded first.
   */
  private static Cuda probeCuda() {
    TvmNatives.Flavor f = TvmNatives.loadedFlavor();
    if (f == TvmNatives.Flavor.RUNTIME || f == TvmNatives.Flavor.COMPILER) {
      return new Cuda(null, "TVM natives were loaded without CUDA (" + f + ") in this process");
    }
    if (!Files.exists(Path.of("/proc/driver/nvidia/version")) && !Files.exists(Path.of("/dev/nvidiactl"))) {
      return new Cuda(null, "no NVIDIA driver (/proc/driver/nvidia/version and /dev/nvidiactl absent)");
    }
    if (TvmNatives.usesCudaStandIns()) {
      return new Cuda(null, "this process loaded stand-ins for the CUDA libraries (a build process)");
    }
    if (Host.class.getResource("/org/bytedeco/tvm/linux-x86_64-gpu/libtvm_runtime.so") == null) {
      return new Cuda(null, "TVM's GPU runtime is not on the class path (add org.bytedeco:tvm:0.18.0-1.5.11:"
          + "linux-x86_64-gpu)");
    }
    try {
      if (!DeviceArray.exists(Device.cuda(0))) {
        return new Cuda(null, "TVM's runtime finds no cuda:0");
      }
      String version = TvmGlobal.get("runtime.GetDeviceAttr").call(null, 2, 0, 4).asString(); // kComputeVersion
      return new Cuda("sm_" + version.replace(".", ""), "");
    } catch (Attn4jException | UnsatisfiedLinkError e) {
      return new Cuda(null, "CUDA runtime unusable: " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "Host(cpu " + getCpuLevel() + (probed == null ? ")" : ", cuda " + probed + ")");
  }
}
