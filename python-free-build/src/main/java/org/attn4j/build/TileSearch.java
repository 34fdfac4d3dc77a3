package org.attn4j.build;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;
import org.attn4j.runtime.io.ArrowTensorFile;
import org.attn4j.schedules.CpuFlashSchedule;

/**
 * A small search over cpu-flash's tile sizes, measured on the build machine: every candidate is built (through
 * the artifact cache), checked against the reference on the tuning shape, then timed on Arrow vectors (median of
 * {@code rounds} calls after a warm-up). The chosen tiles go into artifacts as ordinary schedule parameters
 * ({@code attn4j build --schedule cpu-flash:qBlock,kBlock,vectorWidth,microKeys}), so the manifest records them.
 *
 * <p>Only the core attention ({@code AttentionSpec} without modifiers) is tuned; float32, CPU targets.
 */
public final class TileSearch {
  private TileSearch() {}

  /** One candidate: its schedule, its error against the reference, and its times. */
  public record Trial(CpuFlashSchedule schedule, double maxAbsError, double medianMs, double bestMs) {}

  /** The default candidates for a SIMD width of {@code vectorWidth} floats (16 or 8). */
  public static List<CpuFlashSchedule> candidates(int vectorWidth) {
    List<CpuFlashSchedule> c = new ArrayList<>();
    int[] qBlocks = {2 * vectorWidth, 4 * vectorWidth, 6 * vectorWidth};
    int[] microKeys = vectorWidth >= 16 ? new int[] {8, 12} : new int[] {4, 6};
    for (int qb : qBlocks) {
      for (int mk : microKeys) {
        for (int tiles : new int[] {4, 8, 16}) {
          c.add(new CpuFlashSchedule(qb, mk * tiles, vectorWidth, mk));
        }
      }
    }
    return c;
  }

  /**
   * Tries {@code candidates} for {@code spec} on {@code target} at {@code (b, n, m)}; returns the trials fastest
   * first (by median).
   *
   * @throws IllegalArgumentException if the target is not a CPU or the spec is not float32
   * @throws IllegalStateException if a candidate disagrees with the reference (a schedule bug, never skipped)
   */
  public static List<Trial> search(AttentionSpec spec, BuildTarget target, List<CpuFlashSchedule> candidates,
      int b, int n, int m, int rounds, Progress progress) throws IOException {
    if (target.getKind() != org.attn4j.schedules.TargetKind.CPU || spec.getDtype() != org.attn4j.te.DType.FLOAT32) {
      throw new IllegalArgumentException("tile search: expected a float32 spec on a CPU target, got "
          + spec.getName() + " on " + target);
    }
    int h = spec.getHeads();
    int d = spec.getHeadDim();
    float[] q = TestData.uniform(1, b * h * n * d, -1, 1);
    float[] k = TestData.uniform(2, b * spec.getKvHeads() * m * d, -1, 1);
    float[] v = TestData.uniform(3, b * spec.getKvHeads() * m * d, -1, 1);
    float[] ref = CoreAttentionOracle.run(CoreAttentionOracle.Options.builder()
        .shape(b, h, spec.getKvHeads(), n, m, d)
        .causal(spec.getCausal() == org.attn4j.attention.Causal.BOTTOM_RIGHT
            ? org.attn4j.reference.Causal.BOTTOM_RIGHT : org.attn4j.reference.Causal.NONE)
        .headMapping(spec.getHeadMapping() == org.attn4j.attention.HeadMapping.BLOCKED
            ? org.attn4j.reference.HeadMapping.BLOCKED : org.attn4j.reference.HeadMapping.TILED)
        .scale(spec.getScale()).build(), q, k, v);
    List<Trial> trials = new ArrayList<>();
    try (BufferAllocator alloc = new RootAllocator();
        FieldVector qv = vector(alloc, q);
        FieldVector kv = vector(alloc, k);
        FieldVector vv = vector(alloc, v);
        FieldVector ov = vector(alloc, new float[b * h * n * d])) {
      for (CpuFlashSchedule s : candidates) {
        progress.step(s.toString());
        ArtifactRequest r = new ArtifactRequest(spec, target, s, ArtifactRequest.defaultBounds());
        try (AttentionKernel kernel = AttentionKernel.load(ArtifactBuilder.buildCached(r, Progress.silent()))) {
          Dims dims = Dims.of(b, n, m);
          kernel.run(dims, qv, kv, vv, ov);
          float[] got = new float[ref.length];
          for (int i = 0; i < got.length; i++) {
            got[i] = ((Float4Vector) ov).get(i);
          }
          Comparison c = Tolerances.compare(got, ref);
          if (!c.isWithin(Tolerances.FP32)) {
            throw new IllegalStateException("tile search: " + s + " disagrees with the reference: " + c);
          }
          double[] ms = new double[rounds];
          for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            kernel.run(dims, qv, kv, vv, ov);
            ms[i] = (System.nanoTime() - t0) / 1e6;
          }
          Arrays.sort(ms);
          trials.add(new Trial(s, c.getMaxAbsError(), ms[rounds / 2], ms[0]));
        }
      }
    }
    trials.sort(Comparator.comparingDouble(Trial::medianMs));
    return trials;
  }

  private static FieldVector vector(BufferAllocator a, float[] data) {
    return ArrowTensorFile.TensorData.ofFloats(a, new long[] {data.length}, data).vector();
  }
}
