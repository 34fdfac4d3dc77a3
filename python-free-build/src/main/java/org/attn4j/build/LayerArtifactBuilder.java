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
import org.attn4j.attention.AttentionLayer;
import org.attn4j.attention.AttentionLayerGraph;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Manifest;
import org.attn4j.te.Schedule;
import org.attn4j.te.Te;
import org.attn4j.te.Tensor;
import org.attn4j.tvm.Attn4jException;
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
    return new ArtifactBuilder.Job() {
      @Override
      public String name() {
        return r.getName();
      }

      @Override
      public BuildTarget target() {
        return r.target();
      }

      @Override
      public String cacheKey() {
        return LayerArtifactBuilder.cacheKey(r);
      }

      @Override
      public Manifest compile(Path dir, Progress progress) throws IOException {
        return LayerArtifactBuilder.compile(r, dir, progress);
      }
    };
  }

  private static Manifest compile(LayerArtifactRequest r, Path dir, Progress progress) throws IOException {
    Path library = dir.resolve(LIBRARY);
    try (Te te = Te.create()) {
      progress.step("define " + r.layer().getName());
      AttentionLayerGraph g = r.layer().define(te);
      TvmObject mod = KernelCompiler.primModule(te, g.getArguments(), ArtifactBuilder.FUNCTION);
      progress.step("schedule " + r.schedule().getName());
      Schedule sch = Schedule.create(te.scope(), mod);
      r.schedule().apply(sch, g);
      KernelCompiler.Compiled c = KernelCompiler.compileModule(te, sch.getMod(), r.schedule().needsDefaultGpuBinding(),
          r.target(), library, ArtifactBuilder.FUNCTION, progress);
      Files.writeString(dir.resolve(ArtifactBuilder.LOWERED), c.loweredScript());
      return manifest(r, g, AttentionKernel.sha256(library));
    } catch (TvmException e) {
      throw new Attn4jException("building " + r.getName() + " (" + r.layer().getName() + " for " + r.target()
          + ", schedule " + r.schedule().getName() + ") failed: " + e.getTvmMessage(), e);
    }
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

  /** The TVMScript hash of the unscheduled layer: a changed modifier lambda or capture changes the key. */
  static String irFingerprint(LayerArtifactRequest r) {
    try (Te te = Te.create()) {
      AttentionLayerGraph g = r.layer().define(te);
      TvmObject f = KernelCompiler.primModule(te, g.getArguments(), ArtifactBuilder.FUNCTION);
      return sha(te.repr(f)).substring(0, 16);
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
        .append(ArtifactBuilder.codeFingerprint(org.attn4j.te.Scan.class));
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
