package org.attn4j.build;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.attn4j.attention.AttentionLayer;
import org.attn4j.attention.AttentionLayerGraph;
import org.attn4j.attention.AttentionLayerParts;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Manifest;
import org.attn4j.schedules.AttentionSchedule;
import org.attn4j.schedules.LayerSchedule;
import org.attn4j.te.CallSequence;
import org.attn4j.te.Schedule;
import org.attn4j.te.Te;
import org.attn4j.te.Tensor;
import org.attn4j.tvm.Attn4jException;
import org.attn4j.tvm.ObjectScope;
import org.attn4j.tvm.TvmException;
import org.attn4j.tvm.TvmObject;

/**
 * Builds attention-layer artifacts ({@link AttentionLayer}) the way {@link ArtifactBuilder} builds core ones:
 * {@code <dir>/<name>/kernel.so}, {@code manifest.json} and {@code lowered.tir}, cached by content hash (layer
 * and core names and parameters, schedule, target, bounds, TVM and attn4j versions, the bytecode of the compute,
 * schedule and driver, and the TVMScript of the unscheduled IR) under {@code <attn4j cache>/artifacts}. The
 * manifest's {@code spec} records the layer ({@code variant: attention_layer}, dim, norm, eps, condition, gate,
 * the weight layout) and its core ({@code core}: heads, kv heads, head dim, causal, head mapping, scale,
 * modifiers); its arguments are the layer's, in order, with shapes in {@code b}, {@code n} and integers.
 *
 * <p>A schedule with a core schedule ({@link LayerSchedule#getCoreSchedule()}) gets a library of four functions: the
 * entry (the manifest's function, the layer's arguments) calls {@code <function>_prologue}, {@code _core} and
 * {@code _epilogue} in order over workspaces ({@link CallSequence}); the manifest and the runtime see one function.
 */
public final class LayerArtifactBuilder {
  private LayerArtifactBuilder() {}

  /**
   * Builds {@code request} into {@code outDir/<request name>} (replacing what is there), or copies it from the
   * cache.
   *
   * @throws Attn4jException naming the layer and target, with TVM's message, if compilation fails
   */
  public static ArtifactBuilder.Built build(LayerArtifactRequest request, Path outDir, Progress progress)
      throws IOException {
    return ArtifactBuilder.build(job(request), outDir, progress);
  }

  /**
   * The cached artifact directory for {@code request}, compiling it first if the cache has none. The returned
   * directory is shared: do not modify it.
   */
  public static Path buildCached(LayerArtifactRequest request, Progress progress) throws IOException {
    return ArtifactBuilder.cached(job(request), progress).directory();
  }

  private static final String LIBRARY = ArtifactBuilder.LIBRARY;

  private static ArtifactBuilder.Job job(LayerArtifactRequest r) {
    return new ArtifactBuilder.Job(r.getName(), r.target(), () -> cacheKey(r), (dir, p) -> compile(r, dir, p));
  }

  private static Manifest compile(LayerArtifactRequest r, Path dir, Progress progress) throws IOException {
    Path library = dir.resolve(LIBRARY);
    try (Te te = Te.create()) {
      progress.step("define " + r.layer().getName());
      AttentionLayerGraph g;
      TvmObject mod;
      Optional<AttentionSchedule> core = r.schedule().getCoreSchedule();
      if (core.isPresent()) {
        AttentionLayerParts parts = r.layer().defineParts(te);
        g = parts.layer();
        mod = sequence(te, r.schedule(), core.get(), parts, progress);
      } else {
        g = r.layer().define(te);
        progress.step("schedule " + r.schedule().getName());
        Schedule sch = Schedule.create(te.scope(), KernelCompiler.primModule(te, g.getArguments(),
            ArtifactBuilder.FUNCTION));
        r.schedule().apply(sch, g);
        mod = sch.getMod();
      }
      KernelCompiler.Compiled c = KernelCompiler.compileModule(te, mod, r.schedule().needsDefaultGpuBinding(),
          r.target(), library, ArtifactBuilder.FUNCTION, progress);
      Files.writeString(dir.resolve(ArtifactBuilder.LOWERED), c.loweredScript());
      return manifest(r, g, AttentionKernel.sha256(library));
    } catch (TvmException e) {
      throw new Attn4jException("building " + r.getName() + " (" + r.layer().getName() + " for " + r.target()
          + ", schedule " + r.schedule().getName() + ") failed: " + e.getTvmMessage(), e);
    }
  }

  /**
   * The layer as three functions and an entry that calls them in order ({@link CallSequence}): (1) the prologue,
   * the layer's inputs to {@code parts.prologue()}, scheduled by {@code schedule}; (2) the core by {@code core}, its
   * q/k/v and gate arguments from the prologue's outputs, its other captures from the layer's inputs of the same
   * name; (3) the epilogue, the core's output, {@code x} and {@code wo} to {@code out}, scheduled by
   * {@code schedule}. The entry takes the layer's arguments; the tensors in between are its workspaces.
   */
  private static TvmObject sequence(Te te, LayerSchedule schedule, AttentionSchedule core, AttentionLayerParts parts,
      Progress progress) {
    ObjectScope s = te.scope();
    AttentionLayerGraph g = parts.layer();
    String prologue = ArtifactBuilder.FUNCTION + "_prologue";
    String coreName = ArtifactBuilder.FUNCTION + "_core";
    String epilogue = ArtifactBuilder.FUNCTION + "_epilogue";
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    g.inputs().forEach(t -> inputs.put(t.getName(), t));
    // (1)
    progress.step("schedule " + schedule.getName() + " prologue");
    List<Tensor> prologueArgs = new ArrayList<>(g.inputs());
    prologueArgs.addAll(parts.prologue().values());
    Schedule sp = Schedule.create(s, KernelCompiler.primModule(te, prologueArgs, prologue));
    schedule.apply(sp, g);
    // (2)
    progress.step("core " + core.getName());
    List<Tensor> coreArgs = new ArrayList<>();
    for (Tensor a : parts.core().getArguments()) {
      Tensor given = a == parts.core().out() ? parts.attention()
          : parts.prologue().getOrDefault(a.getName(), inputs.get(a.getName()));
      if (given == null) {
        throw new IllegalStateException("core argument " + a.getName() + ": expected a prologue output or a layer"
            + " input of that name, got neither");
      }
      coreArgs.add(given);
    }
    TvmObject coreFunc;
    if (core.buildsLoopNest()) {
      coreFunc = core.buildFunction(te, parts.core(), coreName);
    } else {
      Schedule sc = Schedule.create(s, KernelCompiler.primModule(te, parts.core().getArguments(), coreName));
      core.apply(sc, parts.core());
      coreFunc = KernelCompiler.mainFunction(s, sc.getMod());
    }
    // (3)
    progress.step("schedule " + schedule.getName() + " epilogue");
    List<Tensor> epilogueArgs = List.of(parts.attention(), inputs.get("x"), inputs.get("wo"), parts.out());
    Schedule se = Schedule.create(s, KernelCompiler.primModule(te, epilogueArgs, epilogue));
    schedule.apply(se, g);
    // the entry
    CallSequence seq = new CallSequence(te);
    g.inputs().forEach(seq::param);
    seq.param(parts.out());
    parts.prologue().values().forEach(seq::workspace);
    seq.workspace(parts.attention());
    seq.call(prologue, prologueArgs);
    seq.call(coreName, coreArgs);
    seq.call(epilogue, epilogueArgs);
    Map<String, TvmObject> functions = new LinkedHashMap<>();
    functions.put(prologue, KernelCompiler.mainFunction(s, sp.getMod()));
    functions.put(coreName, coreFunc);
    functions.put(epilogue, KernelCompiler.mainFunction(s, se.getMod()));
    return KernelCompiler.module(s, seq.function(ArtifactBuilder.FUNCTION), functions);
  }

  /** The manifest of a layer artifact (see the class comment). */
  static Manifest manifest(LayerArtifactRequest r, AttentionLayerGraph g, String sha) {
    List<Manifest.Argument> args = new ArrayList<>();
    List<Tensor> tensors = g.getArguments();
    List<String> names = g.getArgumentNames();
    int inputs = tensors.size() - g.getOutputCount();
    for (int i = 0; i < tensors.size(); i++) {
      args.add(ArtifactBuilder.argument(names.get(i), tensors.get(i), i < inputs));
    }
    AttentionLayer layer = r.layer();
    AttentionSpec s = layer.getCore().getSpec();
    Map<String, Object> core = new LinkedHashMap<>();
    core.put("variant", "scaled_dot_product");
    core.put("name", layer.getCore().getName());
    core.put("modifiers", layer.getCore().describe());
    core.put("heads", s.getHeads());
    core.put("kv_heads", s.getKvHeads());
    core.put("head_dim", s.getHeadDim());
    core.put("causal", s.getCausal().name());
    core.put("head_mapping", s.getHeadMapping().name());
    core.put("scale", s.getScale());
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("variant", "attention_layer");
    spec.put("dtype", s.getDtype().getTvmName());
    spec.putAll(layer.describe());
    spec.put("core", core);
    return new Manifest(Manifest.ABI, ArtifactBuilder.VERSION, Manifest.TVM_VERSION, layer.getName(), spec,
        ArtifactBuilder.FUNCTION, args, r.bounds(), ArtifactBuilder.targetEntry(r.target()), r.schedule().getName(), r.schedule().getParameters(),
        KernelCompiler.ARGUMENT_ALIGNMENT, LIBRARY, sha);
  }

  /**
   * The TVMScript hash of the unscheduled layer (and of its core's loop nest, for a schedule that writes one): a
   * changed modifier lambda or capture changes the key.
   */
  static String irFingerprint(LayerArtifactRequest r) {
    try (Te te = Te.create()) {
      AttentionLayerGraph g = r.layer().define(te);
      TvmObject f = KernelCompiler.primModule(te, g.getArguments(), ArtifactBuilder.FUNCTION);
      String ir = te.repr(f);
      // a core written as a loop nest: its IR too (the code of the schedule's helpers is not fingerprinted)
      Optional<AttentionSchedule> core = r.schedule().getCoreSchedule().filter(AttentionSchedule::buildsLoopNest);
      if (core.isPresent()) {
        ir += te.repr(core.get().buildFunction(te, r.layer().defineParts(te).core(), ArtifactBuilder.FUNCTION));
      }
      return sha(ir).substring(0, 16);
    } catch (TvmException e) {
      throw new Attn4jException("defining " + r.getName() + " failed: " + e.getTvmMessage(), e);
    }
  }

  static String cacheKey(LayerArtifactRequest r) {
    StringBuilder sb = new StringBuilder("layer|");
    sb.append(ArtifactBuilder.VERSION).append('|').append(Manifest.TVM_VERSION).append('|')
        .append(r.layer().getName()).append('|').append(r.layer().describe()).append('|')
        .append(r.layer().getCore().getSpec().getScale()).append('|').append(r.layer().getCore().describe())
        .append('|').append(r.target().getTvmString()).append('|')
        .append(r.schedule().getName()).append(r.schedule().getParameters()).append('|');
    r.bounds().forEach((k, v) -> sb.append(k).append(v[0]).append(':').append(v[1]).append(','));
    sb.append("|align").append(KernelCompiler.ARGUMENT_ALIGNMENT);
    sb.append("|code").append(ArtifactBuilder.codeFingerprint(r.schedule().getClass()))
        .append(ArtifactBuilder.codeFingerprint(AttentionLayer.class))
        .append(ArtifactBuilder.codeFingerprint(LayerArtifactBuilder.class))
        .append(ArtifactBuilder.codeFingerprint(org.attn4j.te.Scan.class))
        .append(ArtifactBuilder.codeFingerprint(CallSequence.class));
    r.schedule().getCoreSchedule().ifPresent(c -> sb.append("|core").append(c.getName()).append(c.getParameters())
        .append(ArtifactBuilder.codeFingerprint(c.getClass())));
    sb.append("|ir").append(irFingerprint(r));
    return sha(sb.toString());
  }

  private static String sha(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
