package org.attn4j.build;

import java.util.LinkedHashMap;
import java.util.Map;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Variant;
import org.attn4j.schedules.AttentionSchedule;
import org.attn4j.schedules.CpuFlashSchedule;
import org.attn4j.schedules.GenericSchedule;
import org.attn4j.schedules.TargetKind;

/**
 * One artifact to build: a variant, a target, a schedule and the bounds of the symbolic dims.
 *
 * @param variant what to compute: the core spec and its modifiers
 * @param target where it runs
 * @param schedule how (must be for the target's kind)
 * @param bounds inclusive bounds of {@code b}, {@code n}, {@code m}
 */
public record ArtifactRequest(Variant variant, BuildTarget target, AttentionSchedule schedule,
    Map<String, long[]> bounds) {

  /** The core attention of {@code spec}, no modifiers. */
  public ArtifactRequest(AttentionSpec spec, BuildTarget target, AttentionSchedule schedule,
      Map<String, long[]> bounds) {
    this(Variant.of(spec), target, schedule, bounds);
  }

  /** The core spec of the variant. */
  public AttentionSpec spec() {
    return variant.getSpec();
  }

  /** Default bounds: {@code 1 <= b <= 1024}, {@code 1 <= n, m <= 1 << 20}. */
  public static Map<String, long[]> defaultBounds() {
    Map<String, long[]> b = new LinkedHashMap<>();
    b.put("b", new long[] {1, 1024});
    b.put("n", new long[] {1, 1 << 20});
    b.put("m", new long[] {1, 1 << 20});
    return b;
  }

  /**
   * The default schedule of a target: {@code cpu-flash} on CPU (tiles for AVX-512 at level x86-64-v4, AVX2
   * below), {@code generic} on CUDA.
   */
  public static AttentionSchedule defaultSchedule(BuildTarget target) {
    return target.getKind() == TargetKind.CPU
        ? schedule("cpu-flash", target)
        : new GenericSchedule(TargetKind.CUDA);
  }

  /** A request with the default schedule and bounds. */
  public static ArtifactRequest of(AttentionSpec spec, BuildTarget target) {
    return of(Variant.of(spec), target);
  }

  /** A request with the default schedule and bounds. */
  public static ArtifactRequest of(Variant variant, BuildTarget target) {
    return new ArtifactRequest(variant, target, defaultSchedule(target), defaultBounds());
  }

  /** Checks the schedule fits the target and the bounds are sane. */
  public ArtifactRequest {
    if (schedule.getTargetKind() != target.getKind()) {
      throw new IllegalArgumentException("schedule " + schedule.getName() + " is for " + schedule.getTargetKind()
          + ", target " + target + " is " + target.getKind());
    }
    for (String d : new String[] {"b", "n", "m"}) {
      long[] v = bounds.get(d);
      if (v == null || v.length != 2 || v[0] < 1 || v[1] < v[0]) {
        throw new IllegalArgumentException("bounds of " + d + ": expected [lo, hi] with 1 <= lo <= hi, got "
            + (v == null ? "none" : java.util.Arrays.toString(v)));
      }
    }
  }

  /** The artifact's directory name: {@code <variant>-<target>}. */
  public String getName() {
    String base = variant.getName() + "-" + target.getName();
    return schedule.getName().equals(defaultSchedule(target).getName()) ? base : base + "-" + schedule.getName();
  }

  /** The schedule names {@link #schedule(String, BuildTarget)} knows. */
  public static final java.util.List<String> SCHEDULES = java.util.List.of("default", "generic", "cpu-flash",
      "cuda-flash", "cuda-mma");

  /**
   * A schedule by name for {@code target}: {@code default} (see {@link #defaultSchedule}), {@code generic},
   * {@code cpu-flash} (tiles for the target's level), {@code cuda-flash}, {@code cuda-mma} (tensor cores,
   * fp16/bf16; parameters for the target's architecture).
   *
   * @throws IllegalArgumentException for an unknown name or one that does not fit the target's kind
   */
  public static AttentionSchedule schedule(String name, BuildTarget target) {
    int colon = name.indexOf(':');
    if (colon > 0) {
      int[] p = parseTiles(name, name.substring(colon + 1));
      String base = name.substring(0, colon);
      AttentionSchedule s = base.equals("cpu-flash") && p.length == 4 ? new CpuFlashSchedule(p[0], p[1], p[2], p[3])
          : base.equals("cuda-flash") && p.length == 2 ? org.attn4j.schedules.CudaFlashSchedule.cuda(p[0], p[1])
          : base.equals("cuda-mma") && p.length == 2 ? org.attn4j.schedules.CudaMmaSchedule.cuda(p[0], p[1])
          : null;
      if (s == null) {
        throw new IllegalArgumentException("schedule " + name + ": expected cpu-flash:qBlock,kBlock,vectorWidth,"
            + "microKeys, cuda-flash:threads,kBlock or cuda-mma:warps,kBlock");
      }
      return checkKind(name, s, target);
    }
    AttentionSchedule s = switch (name) {
      case "default" -> defaultSchedule(target);
      case "generic" -> new GenericSchedule(target.getKind());
      case "cpu-flash" -> CpuFlashSchedule.forVectorWidth(target.getLevel().equals("x86-64-v4") ? 16 : 8);
      case "cuda-flash" -> org.attn4j.schedules.CudaFlashSchedule.cuda();
      case "cuda-mma" -> target.getKind() == TargetKind.CUDA
          ? org.attn4j.schedules.CudaMmaSchedule.forArch(target.getLevel())
          : org.attn4j.schedules.CudaMmaSchedule.cuda(4, 32);
      default -> throw new IllegalArgumentException("schedule: expected one of " + SCHEDULES
          + " (tiles: cpu-flash:q,k,w,mk, cuda-flash:threads,k, cuda-mma:warps,k), got " + name);
    };
    return checkKind(name, s, target);
  }

  private static AttentionSchedule checkKind(String name, AttentionSchedule s, BuildTarget target) {
    if (s.getTargetKind() != target.getKind()) {
      throw new IllegalArgumentException("schedule " + name + " is for " + s.getTargetKind() + ", target " + target
          + " is " + target.getKind());
    }
    return s;
  }

  private static int[] parseTiles(String name, String list) {
    try {
      return java.util.Arrays.stream(list.split(",")).mapToInt(x -> Integer.parseInt(x.trim())).toArray();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("schedule " + name + ": expected integers after ':', got " + list, e);
    }
  }
}
