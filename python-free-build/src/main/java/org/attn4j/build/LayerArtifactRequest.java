package org.attn4j.build;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.attention.AttentionLayer;
import org.attn4j.schedules.CpuFlashLayerSchedule;
import org.attn4j.schedules.CpuLayerSchedule;
import org.attn4j.schedules.GenericLayerSchedule;
import org.attn4j.schedules.LayerSchedule;
import org.attn4j.schedules.TargetKind;

/**
 * One attention-layer artifact to build: a layer, a target, a schedule and the bounds of the symbolic dims
 * {@code b} and {@code n} (self-attention: there is no separate {@code m}). Built by
 * {@link LayerArtifactBuilder} (or {@link ArtifactBuilder#build(LayerArtifactRequest, java.nio.file.Path, Progress)}).
 *
 * @param layer what to compute
 * @param target where it runs
 * @param schedule how (must be for the target's kind)
 * @param bounds inclusive bounds of {@code b} and {@code n}
 */
public record LayerArtifactRequest(AttentionLayer layer, BuildTarget target, LayerSchedule schedule,
    Map<String, long[]> bounds) {

  /** The schedule names {@link #schedule(String, BuildTarget)} knows. */
  public static final List<String> SCHEDULES = List.of("default", "generic", "cpu-layer", "cpu-flash-layer");

  /** Checks the schedule fits the target and the bounds of {@code b} and {@code n} are given and sane. */
  public LayerArtifactRequest {
    if (schedule.getTargetKind() != target.getKind()) {
      throw new IllegalArgumentException("schedule " + schedule.getName() + " is for " + schedule.getTargetKind()
          + ", target " + target + " is " + target.getKind());
    }
    for (String d : new String[] {"b", "n"}) {
      long[] v = bounds.get(d);
      if (v == null || v.length != 2 || v[0] < 1 || v[1] < v[0]) {
        throw new IllegalArgumentException("bounds of " + d + ": expected [lo, hi] with 1 <= lo <= hi, got "
            + (v == null ? "none" : java.util.Arrays.toString(v)));
      }
    }
    for (String d : bounds.keySet()) {
      if (!d.equals("b") && !d.equals("n")) {
        throw new IllegalArgumentException("bounds: expected only b and n for a layer (m = n), got " + d);
      }
    }
    Map<String, long[]> copy = new LinkedHashMap<>();
    copy.put("b", bounds.get("b").clone());
    copy.put("n", bounds.get("n").clone());
    bounds = java.util.Collections.unmodifiableMap(copy);
  }

  /** A request with the default schedule and bounds. */
  public static LayerArtifactRequest of(AttentionLayer layer, BuildTarget target) {
    return new LayerArtifactRequest(layer, target, defaultSchedule(target), defaultBounds());
  }

  /** Default bounds: {@code 1 <= b <= 1024}, {@code 1 <= n <= 1 << 16}. */
  public static Map<String, long[]> defaultBounds() {
    Map<String, long[]> b = new LinkedHashMap<>();
    b.put("b", new long[] {1, 1024});
    b.put("n", new long[] {1, 1 << 16});
    return b;
  }

  /**
   * The default schedule of a target: {@code cpu-flash-layer} on CPU (16 floats per vector at level x86-64-v4, 8
   * below; the flash core between a prologue and an epilogue, about 11x {@code cpu-layer}'s speed at dim 512, h 8,
   * d 64, n 1024), {@code generic} on CUDA.
   */
  public static LayerSchedule defaultSchedule(BuildTarget target) {
    return target.getKind() == TargetKind.CPU
        ? new CpuFlashLayerSchedule(target.getLevel().equals("x86-64-v4") ? 16 : 8)
        : new GenericLayerSchedule(TargetKind.CUDA);
  }

  /**
   * A schedule by name for {@code target}: {@code default}, {@code generic}, {@code cpu-layer},
   * {@code cpu-flash-layer} (the core as the cpu-flash loop nest, between a prologue and an epilogue).
   *
   * @throws IllegalArgumentException for an unknown name or one that does not fit the target's kind
   */
  public static LayerSchedule schedule(String name, BuildTarget target) {
    LayerSchedule s = switch (name) {
      case "default" -> defaultSchedule(target);
      case "generic" -> new GenericLayerSchedule(target.getKind());
      case "cpu-layer" -> new CpuLayerSchedule(target.getLevel().equals("x86-64-v4") ? 16 : 8);
      case "cpu-flash-layer" -> new CpuFlashLayerSchedule(target.getLevel().equals("x86-64-v4") ? 16 : 8);
      default -> throw new IllegalArgumentException("layer schedule: expected one of " + SCHEDULES + ", got "
          + name);
    };
    if (s.getTargetKind() != target.getKind()) {
      throw new IllegalArgumentException("layer schedule " + name + " is for " + s.getTargetKind() + ", target "
          + target + " is " + target.getKind());
    }
    return s;
  }

  /** The artifact's directory name: {@code <layer>-<target>}, plus the schedule's name when not the default. */
  public String getName() {
    String base = layer.getName() + "-" + target.getName();
    return schedule.getName().equals(defaultSchedule(target).getName()) ? base : base + "-" + schedule.getName();
  }
}
