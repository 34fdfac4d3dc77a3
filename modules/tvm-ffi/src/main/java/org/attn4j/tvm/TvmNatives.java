package org.attn4j.tvm;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.Loader;
import org.jspecify.annotations.Nullable;

/**
 * Loads TVM's natives once per process, lazily and thread-safely.
 *
 * <p>Two flavours exist, and the first one loaded wins for the life of the process:
 * <ul>
 *   <li>{@link Flavor#RUNTIME}: {@code libtvm_runtime.so} and the JNI binding only (about 5 MB). The compiler
 *       ({@code libtvm.so}, LLVM) is never mapped. This is what {@code attn4j-runtime} uses; its natives come
 *       from {@code attn4j-natives-runtime}, a 2 MB jar (see {@link #standIns()}).</li>
 *   <li>{@link Flavor#RUNTIME_CUDA}: the same from TVM's GPU build (classifier {@code linux-x86_64-gpu}), which
 *       also runs CUDA modules and CPU ones. Needs the CUDA driver ({@code libcuda.so.1}) and a real
 *       {@code libcudart.so.12} on the library path; cuBLAS/cuDNN are only linked, never called.</li>
 *   <li>{@link Flavor#COMPILER}: the whole of TVM with LLVM codegen, and optionally CUDA codegen (TVM's GPU
 *       build). On a machine without the CUDA libraries, empty stand-ins with the right sonames are generated
 *       with the system C compiler so the GPU build loads; CUDA kernels are then compiled by the registered
 *       {@code tvm_callback_cuda_compile} (nvcc), never run.</li>
 * </ul>
 * A compiler process can run kernels too; a runtime-only process that later asks for the compiler gets a
 * {@link NativeLoadException} saying so. Nothing is printed and nothing exits the JVM.
 */
public final class TvmNatives {
  /** What part of TVM a process loads. */
  public enum Flavor {
    /** {@code libtvm_runtime} only: loads and runs compiled modules. */
    RUNTIME,
    /** {@code libtvm_runtime} of TVM's GPU build: loads and runs compiled CPU and CUDA modules. */
    RUNTIME_CUDA,
    /** The whole compiler (TVM + LLVM), CPU codegen only. */
    COMPILER,
    /** The whole compiler from TVM's GPU build: CPU and CUDA codegen. */
    COMPILER_CUDA
  }

  private static final String PLATFORM = "linux-x86_64";
  private static final Object LOCK = new Object();
  private static volatile @Nullable Flavor loaded;
  private static volatile boolean cudaStandIns;
  private static final Set<String> standIns = new CopyOnWriteArraySet<>();

  private TvmNatives() {}

  /**
   * Whether this process loaded empty stand-ins for CUDA libraries (a build process on a machine without them):
   * CUDA code can then be generated but never run, and nothing may call into CUDA.
   */
  public static boolean usesCudaStandIns() {
    return cudaStandIns;
  }

  /**
   * The sonames this process satisfied with attn4j-natives-runtime's empty stand-ins (libdnnl.so.2,
   * libopenblas.so.0) because the real libraries' presets were not on the class path; empty when nothing is
   * loaded yet or the presets were there. Functions of TVM that would call into them must not be used.
   */
  public static Set<String> standIns() {
    return Set.copyOf(standIns);
  }

  /** The flavour loaded in this process, or {@code null} if none yet. */
  public static @Nullable Flavor loadedFlavor() {
    return loaded;
  }

  /**
   * Makes sure a flavour able to run compiled kernels is loaded: if none is loaded yet, loads
   * {@link Flavor#RUNTIME}; any flavour already loaded serves.
   *
   * @throws NativeLoadException if the natives cannot be loaded
   */
  public static void ensureRuntime() {
    if (loaded == null) {
      load(Flavor.RUNTIME);
    }
  }

  /**
   * Makes sure a flavour able to run compiled kernels on CUDA devices (when {@code cuda}) or on the CPU is
   * loaded; loads {@link Flavor#RUNTIME_CUDA} or {@link Flavor#RUNTIME} if none is loaded yet.
   *
   * @throws NativeLoadException if the natives cannot be loaded, or if a flavour without CUDA was loaded first
   */
  public static void ensureRuntime(boolean cuda) {
    if (cuda) {
      load(Flavor.RUNTIME_CUDA);
    } else {
      ensureRuntime();
    }
  }

  /**
   * Makes sure the compiler is loaded (CUDA codegen included when {@code cuda}).
   *
   * @throws NativeLoadException if the natives cannot be loaded, or if a flavour without this capability was
   *     loaded first in this process
   */
  public static void ensureCompiler(boolean cuda) {
    load(cuda ? Flavor.COMPILER_CUDA : Flavor.COMPILER);
  }

  /**
   * Loads {@code flavor} unless it (or a superset of it) is already loaded.
   *
   * @throws NativeLoadException if loading fails or conflicts with the flavour already loaded
   */
  public static void load(Flavor flavor) {
    Flavor current = loaded;
    if (current != null) {
      checkCompatible(current, flavor);
      return;
    }
    synchronized (LOCK) {
      current = loaded;
      if (current != null) {
        checkCompatible(current, flavor);
        return;
      }
      String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
      String arch = System.getProperty("os.arch", "");
      if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
        throw new NativeLoadException(
            "attn4j ships TVM natives for " + PLATFORM + " only; this JVM runs on " + os + "-" + arch);
      }
      try {
        switch (flavor) {
          case RUNTIME -> loadRuntimeOnly(PLATFORM);
          case RUNTIME_CUDA -> loadRuntimeOnly(PLATFORM + "-gpu");
          case COMPILER -> loadCompiler(false);
          case COMPILER_CUDA -> loadCompiler(true);
        }
      } catch (NativeLoadException e) {
        throw e;
      } catch (Throwable e) { // UnsatisfiedLinkError, IOException, ...
        throw new NativeLoadException(
            "could not load TVM natives (" + flavor + ") for platform " + PLATFORM + ": " + e + ". " + hint(flavor)
                + "; JavaCPP cache: " + cacheDirOrUnknown(),
            e);
      }
      loaded = flavor;
    }
  }

  private static void checkCompatible(Flavor current, Flavor wanted) {
    boolean ok =
        current == wanted
            || wanted == Flavor.RUNTIME
            || (current == Flavor.COMPILER_CUDA && (wanted == Flavor.COMPILER || wanted == Flavor.RUNTIME_CUDA));
    if (!ok) {
      throw new NativeLoadException(
          "TVM natives were already loaded as " + current + " in this process; " + wanted
              + " cannot be added afterwards. Load the compiler first (TvmNatives.ensureCompiler) in processes"
              + " that build kernels, or build in a separate process.");
    }
  }

  /**
   * The libraries every TVM build names as NEEDED by soname (OpenCL, OpenBLAS, oneDNN), loaded first so that
   * loading {@code libtvm_runtime.so} finds them already in the process.
   *
   * <p>Where a library's JavaCPP preset is on the class path with its natives (the compiler side: attn4j-te
   * declares them), the preset is loaded, as before. Otherwise {@code attn4j-natives-runtime} supplies them: the
   * real {@code libOpenCL.so.1} (57 kB) and empty stand-ins for {@code libdnnl.so.2} and {@code libopenblas.so.0}.
   * The runtime calls those two only from TVM's contrib BLAS/oneDNN functions, which attention kernels never use,
   * through lazily bound PLT slots (the JVM opens libraries with {@code RTLD_LAZY}; {@code LD_BIND_NOW} must not be
   * set). Where neither is present (a deployment with its own libraries on {@code LD_LIBRARY_PATH}, as the GPU
   * bundle of ci/gpu-check.sh), nothing is loaded here and the dynamic loader searches the library path.
   */
  private static void loadDependencies() throws IOException {
    Loader.load(org.bytedeco.javacpp.presets.javacpp.class);
    ClassLoader cl = TvmNatives.class.getClassLoader();
    for (Dependency d : DEPENDENCIES) {
      String nativesDir = "/org/bytedeco/" + d.preset + "/" + PLATFORM + "/";
      Class<?> preset = null;
      if (TvmNatives.class.getResource(nativesDir + d.jniLibrary) != null) {
        try {
          preset = Class.forName("org.bytedeco." + d.preset + ".global." + d.presetClass, false, cl);
        } catch (ClassNotFoundException absent) {
          // natives without the preset's classes: use the bare library below
        }
      }
      if (preset != null) {
        Loader.load(preset);
        continue;
      }
      URL real = TvmNatives.class.getResource(nativesDir + d.soname);
      URL standIn = TvmNatives.class.getResource(STAND_INS + d.soname);
      if (real != null) {
        System.load(Loader.cacheResource(real).getAbsolutePath());
      } else if (standIn != null) {
        System.load(Loader.cacheResource(standIn).getAbsolutePath());
        standIns.add(d.soname);
      }
    }
  }

  /** A library TVM's natives link by soname, and the JavaCPP preset that ships it. */
  private record Dependency(String soname, String preset, String presetClass, String jniLibrary) {}

  private static final List<Dependency> DEPENDENCIES = List.of(
      new Dependency("libOpenCL.so.1", "opencl", "OpenCL", "libjniOpenCL.so"),
      new Dependency("libopenblas.so.0", "openblas", "openblas_nolapack", "libjniopenblas_nolapack.so"),
      new Dependency("libdnnl.so.2", "dnnl", "dnnl", "libjnidnnl.so"));

  /** Where attn4j-natives-runtime keeps its empty stand-ins (see its pom). */
  private static final String STAND_INS = "/org/attn4j/natives/" + PLATFORM + "/";

  private static void loadRuntimeOnly(String platform) throws IOException {
    loadDependencies();
    String dir = "/org/bytedeco/tvm/" + platform + "/";
    File runtime = cache(dir + "libtvm_runtime.so");
    File jni = cache(dir + "libjnitvm_runtime.so");
    System.load(runtime.getAbsolutePath());
    System.load(jni.getAbsolutePath());
    // The binding's classes call Loader.load() in their static initialisers, which would map the compiler
    // (libtvm.so and LLVM, by the presets' preload list). Initialise them while JavaCPP's loading is off:
    // their JNI library is already loaded above.
    String key = "org.bytedeco.javacpp.loadlibraries";
    String before = System.getProperty(key);
    System.setProperty(key, "false");
    try {
      for (String c : BINDING_CLASSES) {
        Class.forName("org.bytedeco.tvm." + c, true, TvmNatives.class.getClassLoader());
      }
    } catch (ClassNotFoundException e) {
      throw new NativeLoadException("TVM's JavaCPP binding is incomplete: " + e.getMessage(), e);
    } finally {
      if (before == null) {
        System.clearProperty(key);
      } else {
        System.setProperty(key, before);
      }
    }
  }

  private static final String[] BINDING_CLASSES = {
    "global.tvm_runtime", "TVMValue", "DLTensor", "DLDevice", "DLDataType", "TVMPackedCFunc",
    "TVMPackedCFuncFinalizer", "TVMFunctionHandle", "TVMModuleHandle", "TVMObjectHandle",
    "TVMRetValueHandle", "TVMStreamHandle"
  };

  private static void loadCompiler(boolean cuda) throws IOException, InterruptedException {
    if (cuda) {
      System.setProperty("org.bytedeco.javacpp.platform.extension", "-gpu");
      preloadCudaStandIns();
    }
    Loader.load(org.bytedeco.tvm.global.tvm_runtime.class);
  }

  /**
   * TVM's GPU build needs the CUDA libraries by soname even to compile. Where a real one is installed it is
   * used; otherwise an empty stand-in (no symbols: TVM binds CUDA lazily) is generated with {@code cc} into
   * the attn4j cache and loaded, which is enough for code generation. Running kernels needs the real ones.
   */
  private static void preloadCudaStandIns() throws IOException, InterruptedException {
    String[] sonames = {
      "libcuda.so.1", "libcudart.so.12", "libnvrtc.so.12", "libcublas.so.12", "libcublasLt.so.12",
      "libcudnn.so.9"
    };
    Path dir = Cache.directory().resolve("cuda-stand-ins");
    Files.createDirectories(dir);
    List<String> missing = new ArrayList<>();
    for (String so : sonames) {
      try {
        // A real library on the system search path wins.
        System.loadLibrary(so.substring(3, so.indexOf(".so")));
        continue;
      } catch (UnsatisfiedLinkError ignored) {
        // Only an unversioned name can be found this way; fall through to dlopen by soname below.
      }
      if (!tryLoadBySoname(so)) {
        missing.add(so);
      }
    }
    for (String so : missing) {
      Path lib = dir.resolve(so);
      if (!Files.exists(lib)) {
        Path src = dir.resolve("empty.c");
        Files.writeString(src, "void attn4j_cuda_stand_in(void) {}\n");
        Path tmp = Files.createTempFile(dir, so, ".tmp");
        Process p =
            new ProcessBuilder("cc", "-shared", "-fPIC", "-Wl,-soname," + so, "-o", tmp.toString(),
                    src.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
          throw new NativeLoadException("could not generate a stand-in for " + so + " with cc: " + out);
        }
        Files.move(tmp, lib, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      System.load(lib.toAbsolutePath().toString());
      cudaStandIns = true;
    }
  }

  private static boolean tryLoadBySoname(String soname) {
    for (String d : new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/cuda/lib64",
        "/usr/local/nvidia/lib64", "/usr/lib"}) {
      File f = new File(d, soname);
      if (f.exists()) {
        try {
          System.load(f.getAbsolutePath());
          return true;
        } catch (UnsatisfiedLinkError ignored) {
          return false;
        }
      }
    }
    return false;
  }

  private static File cache(String resource) throws IOException {
    URL url = TvmNatives.class.getResource(resource);
    if (url == null) {
      throw new NativeLoadException(
          "resource " + resource + " not found on the classpath: "
              + hint(resource.contains("-gpu/") ? Flavor.RUNTIME_CUDA : Flavor.RUNTIME));
    }
    return Loader.cacheResource(url);
  }

  /** What to put on the class path for {@code flavor}. */
  private static String hint(Flavor flavor) {
    return switch (flavor) {
      case RUNTIME -> "Add org.attn4j:attn4j-natives-runtime (attn4j-runtime depends on it) to the class path";
      case RUNTIME_CUDA -> "Add org.bytedeco:tvm:0.18.0-1.5.11:" + PLATFORM + "-gpu to the class path, and the"
          + " CUDA driver and libcudart.so.12 to the library path";
      case COMPILER, COMPILER_CUDA -> "Add org.attn4j:attn4j-te (it brings org.bytedeco:tvm:0.18.0-1.5.11:"
          + PLATFORM + (flavor == Flavor.COMPILER_CUDA ? "-gpu" : "")
          + " and the llvm, openblas, dnnl, opencl presets with their natives) to the class path";
    };
  }

  private static String cacheDirOrUnknown() {
    try {
      return Loader.getCacheDir().toString();
    } catch (IOException e) {
      return "(unknown: " + e.getMessage() + ")";
    }
  }
}
