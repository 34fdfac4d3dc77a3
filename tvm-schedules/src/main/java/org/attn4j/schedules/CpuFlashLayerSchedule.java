package org.attn4j.schedules;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.attn4j.attention.AttentionLayerGraph;
import org.attn4j.te.Schedule;

/**
 * The layer on the CPU with the flash core: one artifact of three functions called in order by its entry
 * ({@link org.attn4j.attention.AttentionLayer#defineParts}, {@link org.attn4j.te.CallSequence}): (1) the prologue,
 * {@code x [b, n, dim]} to {@code q [b, h, n, d]}, {@code k, v [b, h_kv, n, d]} and the gates ({@code F [b, h, n]},
 * the value-residual mix {@code [b, h_kv, n]}), scheduled as {@link CpuLayerSchedule} schedules those stages (the
 * cumulative sum a scan); (2) the core, {@link CpuFlashSchedule}'s loop nest over those tensors, nothing of size
 * {@code n × n} materialised; (3) the epilogue, {@code o W_o^T + x}, as {@link CpuLayerSchedule} schedules it. The
 * tensors in between live in workspaces of the entry (TVM's per-thread workspace pool, reused across calls).
 * Measured once (2 vCPUs, x86-64-v4, {@code LayerTiming}, interleaved rounds): dim 512, RMSNorm, causal h 8 d 64,
 * b 1: 90 ms at n 1024 against 966 ms for {@link CpuLayerSchedule} (its core materialises {@code n × n} scores),
 * 465 ms at n 4096; data-dependent FoX gates add under 5 ms.
 *
 * <p>Parameters (recorded in the manifest): {@code vectorWidth} (floats per SIMD register: 8 for AVX2, 16 for
 * AVX-512), and the core's tiles {@code qBlock}, {@code kBlock}, {@code microKeys} (its defaults for that width).
 */
public final class CpuFlashLayerSchedule implements LayerSchedule {
  private final CpuLayerSchedule parts;
  private final CpuFlashSchedule core;

  /**
   * The schedule for {@code vectorWidth} floats per vector, with the flash core's default tiles for that width.
   *
   * @throws IllegalArgumentException unless {@code vectorWidth} is a power of two
   */
  public CpuFlashLayerSchedule(int vectorWidth) {
    this.parts = new CpuLayerSchedule(vectorWidth);
    this.core = CpuFlashSchedule.forVectorWidth(vectorWidth);
  }

  @Override
  public String getName() {
    return "cpu-flash-layer";
  }

  @Override
  public TargetKind getTargetKind() {
    return TargetKind.CPU;
  }

  @Override
  public Map<String, Object> getParameters() {
    Map<String, Object> p = new LinkedHashMap<>(parts.getParameters());
    core.getParameters().forEach(p::putIfAbsent);
    return p;
  }

  /** Schedules the prologue's or the epilogue's function as {@link CpuLayerSchedule} does. */
  @Override
  public void apply(Schedule sch, AttentionLayerGraph graph) {
    parts.apply(sch, graph);
  }

  /** The flash loop nest ({@link CpuFlashSchedule}). */
  @Override
  public Optional<AttentionSchedule> getCoreSchedule() {
    return Optional.of(core);
  }

  /** The name and parameters, e.g. {@code cpu-flash-layer{vectorWidth=8, qBlock=32, ...}}. */
  @Override
  public String toString() {
    return getName() + getParameters();
  }
}
