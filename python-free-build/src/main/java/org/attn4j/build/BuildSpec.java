package org.attn4j.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 */
public final class BuildSpec {
  private BuildSpec() {}

  /**
   * The requests of the spec file, in matrix order.
   *
   * @throws IllegalArgumentException naming the field that is wrong
   */
  @SuppressWarnings("unchecked")
  public static List<ArtifactRequest> read(Path file) throws IOException {
    Object root = Json.parse(Files.readString(file));
    if (!(root instanceof Map<?, ?>)) {
      throw new IllegalArgumentException(file + ": expected a JSON object");
    }
    return of((Map<String, Object>) root, file.toString());
  }

  /**
   * The requests of a spec given as the parsed JSON object (lists, maps, numbers, strings), in matrix order;
   * {@code where} names the source in error messages.
   *
   * @throws IllegalArgumentException naming the field that is wrong
   */
  @SuppressWarnings("unchecked")
  public static List<ArtifactRequest> of(Map<String, Object> o, String where) {
    List<Object> variants = (List<Object>) require(o, "variants", where);
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

  private static Object require(Map<String, Object> o, String k, String file) {
    Object v = o.get(k);
    if (v == null) {
      throw new IllegalArgumentException(file + ": field '" + k + "' is missing");
    }
    return v;
  }
}
