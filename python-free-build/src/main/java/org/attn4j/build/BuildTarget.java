package org.attn4j.build;

import java.util.Locale;
import org.attn4j.schedules.TargetKind;
import org.attn4j.tvm.ObjectScope;
import org.attn4j.tvm.TvmObject;

/**
 * A concrete code-generation target: a CPU level for LLVM ({@code x86-64-v2}, {@code x86-64-v3},
 * {@code x86-64-v4}, or an LLVM CPU name such as {@code znver3}; never {@code native}) or a CUDA architecture
 * ({@code sm_80}, {@code sm_90}).
 */
public final class BuildTarget {
  private static final String TRIPLE = "x86_64-pc-linux-gnu";
  private final TargetKind kind;
  private final String level;

  private BuildTarget(TargetKind kind, String level) {
    this.kind = kind;
    this.level = level;
  }

  /**
   * A CPU target for the LLVM CPU {@code level}.
   *
   * @throws IllegalArgumentException for {@code native} or a blank level
   */
  public static BuildTarget cpu(String level) {
    if (level.isBlank() || level.equals("native")) {
      throw new IllegalArgumentException(
          "cpu level: expected a named CPU (x86-64-v3, x86-64-v4, znver3, ...), got '" + level
              + "' (LLVM 19 rejects -mcpu=native)");
    }
    return new BuildTarget(TargetKind.CPU, level);
  }

  /** The best x86-64 micro-architecture level this host supports (from /proc/cpuinfo). */
  public static BuildTarget hostCpu() {
    return cpu(detectHostLevel());
  }

  /**
   * A CUDA target for {@code arch} ({@code sm_80} or {@code sm_90}, or another {@code sm_XX}).
   *
   * @throws IllegalArgumentException for a malformed architecture
   */
  public static BuildTarget cuda(String arch) {
    if (!arch.matches("sm_\\d{2,3}a?")) {
      throw new IllegalArgumentException("cuda arch: expected sm_80, sm_90, ...; got '" + arch + "'");
    }
    return new BuildTarget(TargetKind.CUDA, arch);
  }

  /**
   * Parses {@code cpu:<level>}, {@code cpu:host} or {@code cuda:<sm_XX>}.
   *
   * @throws IllegalArgumentException for anything else
   */
  public static BuildTarget parse(String s) {
    int c = s.indexOf(':');
    String kind = c < 0 ? s : s.substring(0, c);
    String rest = c < 0 ? "" : s.substring(c + 1);
    return switch (kind.toLowerCase(Locale.ROOT)) {
      case "cpu" -> rest.isEmpty() || rest.equals("host") ? hostCpu() : cpu(rest);
      case "cuda" -> cuda(rest.isEmpty() ? "sm_90" : rest);
      default -> throw new IllegalArgumentException(
          "target: expected cpu:<level>, cpu:host or cuda:<sm_XX>, got '" + s + "'");
    };
  }

  /** CPU or CUDA. */
  public TargetKind getKind() {
    return kind;
  }

  /** The CPU level or CUDA architecture. */
  public String getLevel() {
    return level;
  }

  /** A file-name friendly name: {@code cpu-x86-64-v3}, {@code cuda-sm_90}. */
  public String getName() {
    return (kind == TargetKind.CPU ? "cpu-" : "cuda-") + level;
  }

  /** TVM's target string. */
  public String getTvmString() {
    return kind == TargetKind.CPU ? "llvm -mtriple=" + TRIPLE + " -mcpu=" + level : "cuda -arch=" + level;
  }

  String hostTriple() {
    return "llvm -mtriple=" + TRIPLE;
  }

  TvmObject toTvm(ObjectScope s) {
    TvmObject t = s.obj("target.Target", getTvmString());
    return kind == TargetKind.CPU ? t : s.obj("target.Target", t, hostToTvm(s));
  }

  TvmObject hostToTvm(ObjectScope s) {
    return s.obj("target.Target", kind == TargetKind.CPU ? getTvmString() : "llvm -mtriple=" + TRIPLE);
  }

  static String detectHostLevel() {
    return org.attn4j.runtime.Host.detect().getCpuLevel();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BuildTarget t && t.kind == kind && t.level.equals(level);
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + level.hashCode();
  }

  @Override
  public String toString() {
    return getName();
  }
}
