package org.attn4j.build;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.attention.AttentionGraph;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.ScaledDotProduct;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Manifest;
import org.attn4j.te.Expr;
import org.attn4j.te.Te;
import org.attn4j.te.Tensor;
import org.attn4j.te.Var;
import org.attn4j.tvm.Attn4jException;
import org.attn4j.tvm.Cache;
import org.attn4j.tvm.TvmException;

/**
 * Builds artifacts: compiles a request and writes {@code <dir>/<name>/kernel.so} and {@code manifest.json}.
 * Builds are cached by content hash (variant, schedule and parameters, target, bounds, TVM and attn4j versions,
 * and the TVMScript of the IR the schedule starts from, so an edited modifier lambda is a new key) under
 * {@code <attn4j cache>/artifacts}: an unchanged request is a copy, not a compile. The manifest records the
 * variant's name, its modifiers with their parameters, and every captured tensor as an input argument.
 */
public final class ArtifactBuilder {
  /** The attn4j version written into manifests. */
  public static final String VERSION = "0.1.0";
  /** The name of the kernel function inside every artifact. */
  public static final String FUNCTION = "attn4j_kernel";
  /** The library file of an artifact. */
  static final String LIBRARY = "kernel.so";
  /** The lowered TensorIR of the kernel, written beside the library for inspection (not verified). */
  public static final String LOWERED = "lowered.tir";

  private ArtifactBuilder() {}

  /** The outcome of one build. */
  public record Built(Path directory, Manifest manifest, boolean cacheHit, double seconds) {}

  /**
   * Builds {@code request} into {@code outDir/<request name>} (replacing what is there), or copies it from the
   * cache.
   *
   * @throws Attn4jException naming the variant and target, with TVM's message, if compilation fails
   */
  public static Built build(ArtifactRequest request, Path outDir, Progress progress) throws IOException {
    return build(job(request), outDir, progress);
  }

  /**
   * The cached artifact directory for {@code request}, compiling it first if the cache has none. The returned
   * directory is shared: do not modify it.
   */
  public static Path buildCached(ArtifactRequest request, Progress progress) throws IOException {
    return cached(job(request), progress).directory();
  }

  /**
   * Builds an attention-layer artifact. Equivalent to {@link LayerArtifactBuilder#build}.
   *
   * @throws Attn4jException naming the layer and target, with TVM's message, if compilation fails
   */
  public static Built build(LayerArtifactRequest request, Path outDir, Progress progress) throws IOException {
    return LayerArtifactBuilder.build(request, outDir, progress);
  }

  /** The cached attention-layer artifact. Equivalent to {@link LayerArtifactBuilder#buildCached}. */
  public static Path buildCached(LayerArtifactRequest request, Progress progress) throws IOException {
    return LayerArtifactBuilder.buildCached(request, progress);
  }

  /**
   * What the artifact cache needs of a request (a core variant or a layer): its artifact name, target, cache key,
   * and how to compile it into a directory (writing the library and {@link #LOWERED}, returning the manifest).
   */
  record Job(String name, BuildTarget target, java.util.function.Supplier<String> key, Compiler compiler) {
    /** Compiles into a directory, returning the manifest. */
    interface Compiler {
      Manifest compile(Path dir, Progress progress) throws IOException;
    }

    /** The cache key, computed when asked (under the build lock). */
    String cacheKey() {
      return key.get();
    }

    Manifest compile(Path dir, Progress progress) throws IOException {
      return compiler.compile(dir, progress);
    }
  }

  private static Job job(ArtifactRequest r) {
    return new Job(r.getName(), r.target(), () -> cacheKey(r), (dir, p) -> compile(r, dir, p));
  }

  /** {@code job} into {@code outDir/<name>} (replacing what is there), from the cache or compiled into it. */
  static Built build(Job job, Path outDir, Progress progress) throws IOException {
    long t0 = System.nanoTime();
    Cached c = cached(job, progress);
    Path dst = outDir.resolve(job.name());
    Files.createDirectories(dst);
    for (String f : new String[] {LIBRARY, Manifest.FILE_NAME, LOWERED}) {
      if (Files.exists(c.directory().resolve(f))) {
        Files.copy(c.directory().resolve(f), dst.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return new Built(dst, Manifest.read(dst), c.hit(), (System.nanoTime() - t0) / 1e9);
  }

  /** A cached artifact directory and whether it was there already. */
  record Cached(Path directory, boolean hit) {}

  /** One build at a time per process (every artifact kind shares the compiler and the cache). */
  static synchronized Cached cached(Job job, Progress progress) throws IOException {
    // A process that builds loads the compiler first, cache hit or not: the runtime flavour, once loaded, cannot
    // be upgraded, and the next request of this process may miss the cache. One compiler per process: TVM's GPU
    // build whenever nvcc is there (it also does CPU codegen), so CPU and CUDA artifacts share the process.
    org.attn4j.tvm.TvmNatives.ensureCompiler(Toolchain.hasNvcc()
        || job.target().getKind() == org.attn4j.schedules.TargetKind.CUDA);
    String key = job.cacheKey();
    Path dir = Cache.directory().resolve("artifacts").resolve(job.name() + "-" + key.substring(0, 16));
    if (Files.isRegularFile(dir.resolve(Manifest.FILE_NAME)) && Files.isRegularFile(dir.resolve(LIBRARY))) {
      progress.step("cache hit");
      return new Cached(dir, true);
    }
    Path tmp = Files.createDirectories(dir.getParent()).resolve(dir.getFileName() + ".tmp" + ProcessHandle.current().pid());
    Files.createDirectories(tmp);
    try {
      Manifest m = job.compile(tmp, progress);
      Files.writeString(tmp.resolve(Manifest.FILE_NAME), m.toJson());
      try {
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        if (!Files.isRegularFile(dir.resolve(Manifest.FILE_NAME))) {
          throw e;
        }
      }
      return new Cached(dir, false);
    } finally {
      if (Files.exists(tmp)) {
        KernelCompiler.deleteTree(tmp);
      }
    }
  }

  /** A manifest argument: {@code t}'s dtype and shape (symbolic dims by name), under {@code name}. */
  static Manifest.Argument argument(String name, Tensor t, boolean input) {
    List<Object> shape = new ArrayList<>();
    for (Expr d : t.getShape()) {
      shape.add(d instanceof Var v ? v.getName() : (Object) d.getIntConstant().orElseThrow());
    }
    return new Manifest.Argument(name, input ? "input" : "output", t.getDtype().getTvmName(), shape);
  }

  /** The manifest's target entry. */
  static Map<String, String> targetEntry(BuildTarget target) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("kind", target.getKind().name().toLowerCase(java.util.Locale.ROOT));
    m.put("level", target.getLevel());
    m.put("tvm", target.getTvmString());
    return m;
  }

  private static Manifest compile(ArtifactRequest r, Path dir, Progress progress) throws IOException {
    Path library = dir.resolve(LIBRARY);
    AttentionSpec spec = r.spec();
    try (Te te = Te.create()) {
      AttentionGraph g = ScaledDotProduct.define(te, r.variant());
      KernelCompiler.Compiled c = KernelCompiler.compile(te, g, r.schedule(), r.target(), FUNCTION, library,
          progress);
      Files.writeString(dir.resolve(LOWERED), c.loweredScript());
      return manifest(r, g, AttentionKernel.sha256(library));
    } catch (TvmException e) {
      throw new Attn4jException("building " + r.getName() + " (" + r.variant().getName() + " for " + r.target()
          + ", schedule " + r.schedule().getName() + ") failed: " + e.getTvmMessage(), e);
    }
  }

  private static Manifest manifest(ArtifactRequest r, AttentionGraph g, String sha) {
    AttentionSpec s = r.spec();
    List<Manifest.Argument> args = new ArrayList<>();
    List<Tensor> tensors = g.getArguments();
    int inputs = tensors.size() - g.getOutputCount();
    for (int i = 0; i < tensors.size(); i++) {
      Tensor t = tensors.get(i);
      args.add(argument(t.getName().equals("attn.out") ? "out" : t.getName().equals("attn.lse") ? "lse"
          : t.getName(), t, i < inputs));
    }
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("variant", "scaled_dot_product");
    spec.put("modifiers", r.variant().describe());
    spec.put("dtype", s.getDtype().getTvmName());
    spec.put("heads", s.getHeads());
    spec.put("kv_heads", s.getKvHeads());
    spec.put("head_dim", s.getHeadDim());
    spec.put("causal", s.getCausal().name());
    spec.put("head_mapping", s.getHeadMapping().name());
    spec.put("key_lengths", s.hasKeyLengths());
    spec.put("lse", s.hasLse());
    spec.put("scale", s.getScale());
    return new Manifest(Manifest.ABI, VERSION, Manifest.TVM_VERSION, r.variant().getName(), spec, FUNCTION, args,
        r.bounds(), targetEntry(r.target()), r.schedule().getName(), r.schedule().getParameters(),
        KernelCompiler.ARGUMENT_ALIGNMENT, LIBRARY, sha);
  }

  /**
   * A hash of the bytecode that decides what an artifact contains (the compute, the schedule, the compiler
   * driver), so that a changed schedule or compute is never served from the cache under unchanged parameters.
   */
  static String codeFingerprint(Class<?> schedule) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Class<?> c : new Class<?>[] {schedule, ScaledDotProduct.class, AttentionSpec.class,
          org.attn4j.attention.Slots.class, KernelCompiler.class, Te.class, org.attn4j.te.Schedule.class,
          org.attn4j.te.LoopNest.class,
          org.attn4j.te.Expr.class}) {
        digestClass(md, c);
      }
      return HexFormat.of().formatHex(md.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Adds the bytecode of {@code c} and of its nested classes (e.g. a schedule's kernel writer). */
  private static void digestClass(MessageDigest md, Class<?> c) throws IOException {
    String file = c.getName().substring(c.getName().lastIndexOf('.') + 1) + ".class";
    try (java.io.InputStream in = c.getResourceAsStream(file)) {
      if (in != null) {
        md.update(in.readAllBytes());
      }
    }
    for (Class<?> nested : c.getDeclaredClasses()) {
      digestClass(md, nested);
    }
  }

  /**
   * A hash of the IR the schedule starts from (the loop nest of a loop-nest schedule, else the compute's
   * TensorIR, as TVMScript): content-based, so a changed modifier lambda, capture or key range changes the key
   * while an unchanged variant rebuilt in another process does not.
   */
  static String irFingerprint(ArtifactRequest r) {
    try (Te te = Te.create()) {
      AttentionGraph g = ScaledDotProduct.define(te, r.variant());
      org.attn4j.tvm.TvmObject f = r.schedule().buildsLoopNest()
          ? r.schedule().buildFunction(te, g, FUNCTION)
          : KernelCompiler.primModule(te, g.getArguments(), FUNCTION);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(te.repr(f).getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } catch (TvmException e) {
      throw new Attn4jException("defining " + r.getName() + " failed: " + e.getTvmMessage(), e);
    }
  }

  static String cacheKey(ArtifactRequest r) {
    StringBuilder sb = new StringBuilder();
    sb.append(VERSION).append('|').append(Manifest.TVM_VERSION).append('|').append(r.spec().getName())
        .append('|').append(r.spec().getScale()).append('|').append(r.target().getTvmString()).append('|')
        .append(r.schedule().getName()).append(r.schedule().getParameters()).append('|');
    r.bounds().forEach((k, v) -> sb.append(k).append(v[0]).append(':').append(v[1]).append(','));
    sb.append("|align").append(KernelCompiler.ARGUMENT_ALIGNMENT);
    sb.append("|code").append(codeFingerprint(r.schedule().getClass()));
    sb.append("|variant").append(r.variant().getName()).append(r.variant().describe());
    sb.append("|ir").append(irFingerprint(r));
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
