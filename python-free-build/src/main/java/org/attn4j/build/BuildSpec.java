package org.attn4j.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.attn4j.attention.AttentionLayer;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.HeadMapping;
import org.attn4j.attention.Variant;
import org.attn4j.runtime.internal.Json;
import org.attn4j.te.DType;

/**
 * A build spec file: variants × dtypes × targets, with shape bounds. Example:
 *
 * <pre>{@code
 * {
 *   "variants": [ {"heads": 8, "head_dim": 64, "causal": "BOTTOM_RIGHT"},
 *                 {"heads": 8, "kv_heads": 2, "head_dim": 64, "head_mapping": "BLOCKED", "lse": true},
 *                 {"heads": 8, "head_dim": 64, "causal": "BOTTOM_RIGHT",
 *                  "modifiers": [{"name": "rotary"}, {"name": "forgetting", "gate": "data_dependent"}]},
 *                 {"heads": 8, "head_dim": 64, "cross": true,
 *                  "modifiers": [{"name": "rotary", "positions": "cross"}]} ],
 *   "dtypes": ["float32"],
 *   "targets": ["cpu:host", "cuda:sm_90"],
 *   "schedules": ["default", "cuda-flash"],
 *   "bounds": {"b": [1, 64], "n": [1, 8192], "m": [1, 8192]}
 * }
 * }</pre>
 *
 * Variant fields: {@code heads}, {@code kv_heads}, {@code head_dim}, {@code causal} (NONE, BOTTOM_RIGHT),
 * {@code head_mapping} (TILED, BLOCKED), {@code key_lengths}, {@code lse}, {@code scale}, {@code cross}, and
 * {@code modifiers}: a list applied in order, by name with parameters ({@link ModifierSpecs}). Schedules (default
 * {@code ["default"]}): each applies to the targets of its kind ({@code default} and {@code generic} to all); a
 * non-default schedule's artifacts carry its name as a suffix.
 *
 * <p>Attention layers ({@link #layers}): an optional {@code "layers"} list, each built for every target and every
 * name in {@code "layer_schedules"} (default {@code ["default"]}; {@code default}, {@code generic},
 * {@code cpu-layer}) that fits its kind, with the {@code b} and {@code n} entries of {@code "bounds"}:
 * <pre>{@code
 *   "layers": [ {"dim": 512, "norm": "rms_norm", "condition": "per_batch", "gate": true,
 *                "forget_gate": 0.125, "value_residual": "learned",
 *                "core": {"heads": 8, "kv_heads": 2, "head_dim": 64, "causal": "BOTTOM_RIGHT",
 *                         "modifiers": ["alibi"]}} ]
 * }</pre>
 * Layer fields: {@code dim}, {@code norm} (layer_norm, rms_norm), {@code condition} (none, per_batch, per_token),
 * {@code gate}, {@code forget_gate} (its {@code λ}), {@code value_residual} (constant, learned) and {@code core}
 * (a variant's fields; float32 only: a core with {@code lse}, {@code key_lengths}, {@code cross} or another
 * {@code dtype} is refused). {@link #of} ignores {@code "layers"}; {@code "variants"} may be left out when
 * {@code "layers"} is given. The Maven plugin reads the same file ({@code <specFile>}) and takes layers in its
 * own configuration too ({@code <layers>}, converted to this form and parsed by {@link #layers}).
 */
public final class BuildSpec {
  private BuildSpec() {}

  /**
   * The requests of the spec file, in matrix order.
   *
   * @throws IllegalArgumentException naming the field that is wrong
   */
  public static List<ArtifactRequest> read(Path file) throws IOException {
    return of(parse(file), file.toString());
  }

  /** The spec file's JSON object. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> parse(Path file) throws IOException {
    Object root = Json.parse(Files.readString(file));
    if (!(root instanceof Map<?, ?>)) {
      throw new IllegalArgumentException(file + ": expected a JSON object");
    }
    return (Map<String, Object>) root;
  }

  /**
   * The requests of a spec given as the parsed JSON object (lists, maps, numbers, strings), in matrix order;
   * {@code where} names the source in error messages.
   *
   * @throws IllegalArgumentException naming the field that is wrong
   */
  @SuppressWarnings("unchecked")
  public static List<ArtifactRequest> of(Map<String, Object> o, String where) {
    List<Object> variants = (List<Object>) (o.containsKey("layers") ? o.getOrDefault("variants", List.of())
        : require(o, "variants", where));
    List<Object> dtypes = (List<Object>) o.getOrDefault("dtypes", List.of("float32"));
    List<Object> targets = (List<Object>) o.getOrDefault("targets", List.of("cpu:host"));
    List<Object> schedules = (List<Object>) o.getOrDefault("schedules", List.of("default"));
    for (Object s : schedules) {
      if (!ArtifactRequest.SCHEDULES.contains(s)) {
        throw new IllegalArgumentException(where + ": schedules: expected names from " + ArtifactRequest.SCHEDULES
            + ", got " + s);
      }
    }
    Map<String, long[]> bounds = ArtifactRequest.defaultBounds();
    if (o.get("bounds") instanceof Map<?, ?> bm) {
      for (Map.Entry<?, ?> e : bm.entrySet()) {
        List<Object> lh = (List<Object>) e.getValue();
        bounds.put((String) e.getKey(), new long[] {((Number) lh.get(0)).longValue(), ((Number) lh.get(1)).longValue()});
      }
    }
    List<ArtifactRequest> out = new ArrayList<>();
    for (Object v : variants) {
      Map<String, Object> vm = (Map<String, Object>) v;
      for (Object dt : dtypes) {
        AttentionSpec.Builder b = AttentionSpec.builder()
            .dtype(DType.fromTvmName((String) dt))
            .heads(((Number) require(vm, "heads", where)).intValue())
            .headDim(((Number) require(vm, "head_dim", where)).intValue())
            .kvHeads(((Number) vm.getOrDefault("kv_heads", 0L)).intValue())
            .causal(Causal.valueOf(((String) vm.getOrDefault("causal", "NONE")).toUpperCase(Locale.ROOT)))
            .headMapping(HeadMapping.valueOf(((String) vm.getOrDefault("head_mapping", "TILED")).toUpperCase(Locale.ROOT)))
            .keyLengths(Boolean.TRUE.equals(vm.get("key_lengths")))
            .lse(Boolean.TRUE.equals(vm.get("lse")))
            .cross(Boolean.TRUE.equals(vm.get("cross")));
        if (vm.get("scale") instanceof Number s) {
          b.scale(s.doubleValue());
        }
        AttentionSpec spec = b.build();
        Variant variant = Variant.of(spec, vm.containsKey("modifiers")
            ? ModifierSpecs.list(vm.get("modifiers"), where, spec.getHeadDim()) : List.of());
        for (Object t : targets) {
          BuildTarget target = BuildTarget.parse((String) t);
          for (Object s : schedules) {
            String name = (String) s;
            boolean fits = name.equals("default") || name.equals("generic")
                || name.startsWith(target.getKind() == org.attn4j.schedules.TargetKind.CUDA ? "cuda" : "cpu");
            if (fits) {
              out.add(new ArtifactRequest(variant, target, ArtifactRequest.schedule(name, target),
                  new LinkedHashMap<>(bounds)));
            }
          }
        }
      }
    }
    return out;
  }

  /**
   * The layer requests of a spec file's {@code "layers"} list (empty without one), in order: layer × target ×
   * layer schedule.
   *
   * @throws IllegalArgumentException naming the field that is wrong
   */
  public static List<LayerArtifactRequest> readLayers(Path file) throws IOException {
    return layers(parse(file), file.toString());
  }

  /**
   * The layer requests of a parsed spec's {@code "layers"} list (empty without one); {@code where} names the
   * source in error messages.
   *
   * @throws IllegalArgumentException naming the field that is wrong
   */
  @SuppressWarnings("unchecked")
  public static List<LayerArtifactRequest> layers(Map<String, Object> o, String where) {
    List<Object> layers = (List<Object>) o.getOrDefault("layers", List.of());
    List<Object> targets = (List<Object>) o.getOrDefault("targets", List.of("cpu:host"));
    List<Object> schedules = (List<Object>) o.getOrDefault("layer_schedules", List.of("default"));
    for (Object s : schedules) {
      if (!LayerArtifactRequest.SCHEDULES.contains(s)) {
        throw new IllegalArgumentException(where + ": layer_schedules: expected names from "
            + LayerArtifactRequest.SCHEDULES + ", got " + s);
      }
    }
    Map<String, long[]> bounds = LayerArtifactRequest.defaultBounds();
    if (o.get("bounds") instanceof Map<?, ?> bm) {
      for (String d : new String[] {"b", "n"}) {
        if (bm.get(d) instanceof List<?> lh) {
          bounds.put(d, new long[] {((Number) lh.get(0)).longValue(), ((Number) lh.get(1)).longValue()});
        }
      }
    }
    List<LayerArtifactRequest> out = new ArrayList<>();
    for (Object l : layers) {
      if (!(l instanceof Map<?, ?>)) {
        throw new IllegalArgumentException(where + ": layers: expected objects, got " + l);
      }
      AttentionLayer layer = layer((Map<String, Object>) l, where);
      for (Object t : targets) {
        BuildTarget target = BuildTarget.parse((String) t);
        for (Object s : schedules) {
          String name = (String) s;
          boolean fits = !name.equals("cpu-layer") || target.getKind() == org.attn4j.schedules.TargetKind.CPU;
          if (fits) {
            out.add(new LayerArtifactRequest(layer, target, LayerArtifactRequest.schedule(name, target),
                new LinkedHashMap<>(bounds)));
          }
        }
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static AttentionLayer layer(Map<String, Object> lm, String where) {
    Object coreObj = require(lm, "core", where + ": layers");
    if (!(coreObj instanceof Map<?, ?>)) {
      throw new IllegalArgumentException(where + ": layers: core: expected an object, got " + coreObj);
    }
    Map<String, Object> cm = (Map<String, Object>) coreObj;
    AttentionSpec.Builder b = AttentionSpec.builder()
        .heads(((Number) require(cm, "heads", where + ": layers core")).intValue())
        .headDim(((Number) require(cm, "head_dim", where + ": layers core")).intValue())
        .kvHeads(((Number) cm.getOrDefault("kv_heads", 0L)).intValue())
        .causal(Causal.valueOf(((String) cm.getOrDefault("causal", "NONE")).toUpperCase(Locale.ROOT)))
        .headMapping(HeadMapping.valueOf(((String) cm.getOrDefault("head_mapping", "TILED"))
            .toUpperCase(Locale.ROOT)))
        // a variant's fields that a layer's core cannot take: passed on for the layer's builder to refuse by name
        .dtype(DType.fromTvmName((String) cm.getOrDefault("dtype", "float32")))
        .keyLengths(Boolean.TRUE.equals(cm.get("key_lengths")))
        .lse(Boolean.TRUE.equals(cm.get("lse")))
        .cross(Boolean.TRUE.equals(cm.get("cross")));
    if (cm.get("scale") instanceof Number s) {
      b.scale(s.doubleValue());
    }
    AttentionSpec spec = b.build();
    Variant core = Variant.of(spec, cm.containsKey("modifiers")
        ? ModifierSpecs.list(cm.get("modifiers"), where, spec.getHeadDim()) : List.of());
    AttentionLayer.Builder lb = AttentionLayer.builder()
        .dim(((Number) require(lm, "dim", where + ": layers")).intValue())
        .norm(AttentionLayer.Norm.valueOf(((String) lm.getOrDefault("norm", "layer_norm")).toUpperCase(Locale.ROOT)))
        .condition(AttentionLayer.Condition.valueOf(((String) lm.getOrDefault("condition", "none"))
            .toUpperCase(Locale.ROOT)))
        .gate(Boolean.TRUE.equals(lm.get("gate")))
        .core(core);
    if (lm.get("forget_gate") instanceof Number lambda) {
      lb.forgetGate(lambda.doubleValue());
    } else if (lm.containsKey("forget_gate")) {
      throw new IllegalArgumentException(where + ": layers: forget_gate: expected λ (a number), got "
          + lm.get("forget_gate"));
    }
    if (lm.containsKey("value_residual")) {
      Object vr = lm.get("value_residual");
      if (!"constant".equals(vr) && !"learned".equals(vr)) {
        throw new IllegalArgumentException(where + ": layers: value_residual: expected constant or learned, got "
            + vr);
      }
      lb.valueResidual("learned".equals(vr));
    }
    return lb.build();
  }

  private static Object require(Map<String, Object> o, String k, String file) {
    Object v = o.get(k);
    if (v == null) {
      throw new IllegalArgumentException(file + ": field '" + k + "' is missing");
    }
    return v;
  }
}
