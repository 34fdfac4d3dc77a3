package org.attn4j.samples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Modifiers;
import org.attn4j.attention.Rotary;
import org.attn4j.attention.RotaryPositions;
import org.attn4j.attention.Variant;
import org.attn4j.build.ArtifactRequest;
import org.attn4j.build.BuildTarget;
import org.attn4j.build.Jit;
import org.attn4j.build.Progress;
import org.attn4j.reference.AttentionKind;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;
import org.attn4j.runtime.Manifest;

/**
 * Rotary cross-attention on Arrow data, MAE-style (VARIANTS.md §2): an image is a grid of 64 patches at positions
 * 0..63 of one 1-D position space. The encoder saw a random 25% of them (16 visible patches: the context, keys and
 * values at their own positions); the decoder's queries are the 48 masked patches, each at its own position. With
 * {@code RotaryPositions.cross}, queries rotate with {@code rotary_pos_q [b, n]} and keys with
 * {@code rotary_pos_k [b, m]}, so each logit depends on {@code pos_q - pos_k}: where the masked patch is relative
 * to each visible one, although {@code n != m} and each image has its own mask.
 *
 * <p>The kernel is compiled in-process ({@link Jit}: the content-hash cache and manifest checks of ahead-of-time
 * builds; a second run is a cache hit), run zero-copy on Arrow {@link Float4Vector}s, and checked against
 * modules/reference's oracle (double accumulation). Run it with {@code bash ci/cross-sample.sh}.
 */
public final class MaeCrossAttention {
  private MaeCrossAttention() {}

  static final int PATCHES = 64;
  static final int VISIBLE = PATCHES / 4;
  static final int MASKED = PATCHES - VISIBLE;

  /** Runs the sample; exits non-zero if the kernel disagrees with the reference. */
  public static void main(String[] args) throws Exception {
    int b = 4;
    int h = 8;
    int d = 64;
    int n = MASKED;
    int m = VISIBLE;
    Rotary rotary = Rotary.halfOf(d); // x-transformers' default: the first d/2 = 32 dims rotate, interleaved
    AttentionSpec spec = AttentionSpec.builder().heads(h).headDim(d).cross(true).build();
    Variant variant = Variant.of(spec, Modifiers.rotary(rotary, RotaryPositions.cross(true)));

    // each image of the batch gets its own random mask: positions as floats, [b, m] visible and [b, n] masked
    Random rnd = new Random(2025);
    float[] posK = new float[b * m];
    float[] posQ = new float[b * n];
    for (int bi = 0; bi < b; bi++) {
      List<Integer> grid = new ArrayList<>();
      for (int p = 0; p < PATCHES; p++) {
        grid.add(p);
      }
      java.util.Collections.shuffle(grid, rnd);
      int[] visible = grid.subList(0, m).stream().mapToInt(Integer::intValue).sorted().toArray();
      int[] masked = grid.subList(m, PATCHES).stream().mapToInt(Integer::intValue).sorted().toArray();
      for (int j = 0; j < m; j++) {
        posK[bi * m + j] = visible[j];
      }
      for (int i = 0; i < n; i++) {
        posQ[bi * n + i] = masked[i];
      }
    }
    float[] q = gaussian(rnd, b * h * n * d); // decoder queries (mask tokens + their projection)
    float[] k = gaussian(rnd, b * h * m * d); // encoder output of the visible patches, projected
    float[] v = gaussian(rnd, b * h * m * d);

    System.out.println("MAE-style rotary cross-attention: " + PATCHES + " patches at positions 0.." + (PATCHES - 1)
        + ", per image " + m + " visible (context: keys/values) and " + n + " masked (decoder queries)");
    System.out.println("  image 0 visible positions: " + Arrays.toString(Arrays.copyOf(posK, m)));
    System.out.println("  variant " + variant.getName() + ": q rotates with rotary_pos_q [b, n], k with"
        + " rotary_pos_k [b, m]; r = " + rotary.getDim() + " of d = " + d + " dims rotate, v never");

    BuildTarget target = BuildTarget.hostCpu();
    long c0 = System.nanoTime();
    boolean[] cacheHit = {false};
    Progress progress = step -> cacheHit[0] |= step.equals("cache hit");
    try (AttentionKernel kernel = Jit.kernel(ArtifactRequest.of(variant, target), progress);
        BufferAllocator alloc = new RootAllocator()) {
      double jitMs = (System.nanoTime() - c0) / 1e6;
      Manifest mf = kernel.getManifest();
      System.out.printf("  kernel %s, schedule %s, target %s: %s and loaded in %.0f ms%n", mf.variant(),
          mf.schedule(), mf.target().get("level"),
          cacheHit[0] ? "found in the JIT cache (the compiler's natives load anyway)" : "compiled", jitMs);

      Map<String, FieldVector> byName = new LinkedHashMap<>();
      byName.put("q", vector(alloc, "q", q));
      byName.put("k", vector(alloc, "k", k));
      byName.put("v", vector(alloc, "v", v));
      byName.put("rotary_pos_q", vector(alloc, "rotary_pos_q", posQ));
      byName.put("rotary_pos_k", vector(alloc, "rotary_pos_k", posK));
      Float4Vector out = new Float4Vector("out", alloc);
      out.setInitialCapacity(b * h * n * d);
      out.allocateNew();
      byName.put("out", out);
      try {
        // arguments in the manifest's order: q, k, v, rotary_pos_q, rotary_pos_k, out
        FieldVector[] call = new FieldVector[mf.arguments().size()];
        StringBuilder sig = new StringBuilder();
        for (int a = 0; a < call.length; a++) {
          Manifest.Argument arg = mf.arguments().get(a);
          call[a] = byName.get(arg.name());
          if (call[a] == null) {
            throw new IllegalStateException("the kernel wants an argument this sample does not have: " + arg.name());
          }
          sig.append(a == 0 ? "" : ", ").append(arg.name()).append(' ').append(arg.shapeText());
        }
        System.out.println("  signature: " + sig);
        Dims dims = Dims.of(b, n, m);

        long r0 = System.nanoTime();
        kernel.run(dims, call); // zero copy: the kernel reads and writes the Arrow buffers
        double firstUs = (System.nanoTime() - r0) / 1e3;
        double[] times = new double[50];
        for (int r = 0; r < times.length; r++) {
          long t0 = System.nanoTime();
          kernel.run(dims, call);
          times[r] = (System.nanoTime() - t0) / 1e3;
        }
        Arrays.sort(times);

        float[] got = new float[b * h * n * d];
        for (int i = 0; i < got.length; i++) {
          got[i] = out.get(i);
        }
        CoreAttentionOracle.Options o = CoreAttentionOracle.Options.builder().shape(b, h, h, n, m, d).build();
        AttentionOracle.Spec ref = AttentionOracle.Spec.builder(o)
            .kind(AttentionKind.CROSS)
            .rotary(org.attn4j.reference.Rotary.halfOf(d),
                org.attn4j.reference.RotaryPositions.cross(posQ, posK))
            .build();
        float[] want = AttentionOracle.run(ref, q, k, v);
        Comparison cmp = Tolerances.compare(got, want);
        boolean ok = cmp.isWithin(Tolerances.FP32);

        // rotary depends on pos_q - pos_k only: the same call with both position sets shifted by 32 matches
        float[] shiftedOut = runShifted(kernel, alloc, dims, mf, byName, posQ, posK, 32f, b * h * n * d);
        double shiftDiff = 0;
        for (int i = 0; i < got.length; i++) {
          shiftDiff = Math.max(shiftDiff, Math.abs(shiftedOut[i] - got[i]));
        }

        System.out.printf("  b=%d h=%d n=%d m=%d d=%d: max |err| vs reference %.2e (max |out| %.2f), within fp32"
            + " tolerance: %s%n", b, h, n, m, d, cmp.getMaxAbsError(), cmp.getMaxAbsExpected(), ok);
        System.out.printf("  all positions shifted by +32: max |out' - out| = %.2e (relative positions unchanged)%n",
            shiftDiff);
        System.out.printf("  call time: first %.0f us, then median %.0f us, min %.0f us over %d calls"
            + " (%d threads)%n", firstUs, times[times.length / 2], times[0], times.length,
            Runtime.getRuntime().availableProcessors());
        if (!ok) {
          throw new IllegalStateException("the kernel disagrees with the reference: " + cmp);
        }
        if (!(shiftDiff < 1e-4)) {
          throw new IllegalStateException("shifting every position changed the output by " + shiftDiff);
        }
        System.out.println("OK");
      } finally {
        byName.values().forEach(FieldVector::close);
      }
    }
  }

  private static float[] runShifted(AttentionKernel kernel, BufferAllocator alloc, Dims dims, Manifest mf,
      Map<String, FieldVector> byName, float[] posQ, float[] posK, float shift, int outSize) {
    float[] sq = posQ.clone();
    float[] sk = posK.clone();
    for (int i = 0; i < sq.length; i++) {
      sq[i] += shift;
    }
    for (int i = 0; i < sk.length; i++) {
      sk[i] += shift;
    }
    try (Float4Vector pq = vector(alloc, "rotary_pos_q", sq);
        Float4Vector pk = vector(alloc, "rotary_pos_k", sk);
        Float4Vector out = new Float4Vector("out", alloc)) {
      out.setInitialCapacity(outSize);
      out.allocateNew();
      Map<String, FieldVector> args = new LinkedHashMap<>(byName);
      args.put("rotary_pos_q", pq);
      args.put("rotary_pos_k", pk);
      args.put("out", out);
      kernel.run(dims, mf.arguments().stream().map(a -> args.get(a.name())).toArray(FieldVector[]::new));
      float[] r = new float[outSize];
      for (int i = 0; i < outSize; i++) {
        r[i] = out.get(i);
      }
      return r;
    }
  }

  private static float[] gaussian(Random rnd, int size) {
    float[] x = new float[size];
    for (int i = 0; i < size; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    return x;
  }

  private static Float4Vector vector(BufferAllocator alloc, String name, float[] values) {
    Float4Vector vec = new Float4Vector(name, alloc);
    vec.allocateNew(values.length);
    for (int i = 0; i < values.length; i++) {
      vec.set(i, values[i]);
    }
    vec.setValueCount(values.length);
    return vec;
  }
}
