package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.attn4j.attention.AttentionLayer;
import org.attn4j.attention.AttentionLayerStages;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.build.LayerKernels.Inputs;
import org.attn4j.build.LayerKernels.Shape;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.Forgetting;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;
import org.attn4j.runtime.Manifest;
import org.attn4j.schedules.LayerSchedule;
import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.IterVar;
import org.attn4j.te.LoopNest;
import org.attn4j.te.Scan;
import org.attn4j.te.Schedule;
import org.attn4j.te.Te;
import org.attn4j.te.Tensor;
import org.attn4j.te.Var;
import org.attn4j.tvm.TvmNatives;
import org.attn4j.tvm.TvmObject;
import org.junit.jupiter.api.Test;

/**
 * Steady-state time of the attention layer on the host's default CPU layer schedule, FoX (data-dependent forget
 * gates, {@code λ = 1}) against the same layer without them, calls interleaved round by round in one process (so
 * drift hits both alike); prints the median and best of each and the FoX layer's extra time. Layer: dim 512,
 * RMSNorm, causal MHA h 8 d 64, b 1 (VARIANTS.md §5-6); forget-gate biases of 5 (FoX's initialisation,
 * {@code a ~ -0.007}). Before timing, each output is checked once against {@code AttentionLayerOracle} within
 * {@link Tolerances#FP32}, so no timing of a wrong kernel is printed. Second, the FoX cumulative sum stage alone, as the
 * masked reduction and as the scan ({@link #cumulativeSumStage}).
 *
 * <p>A development tool, not a conformance test (the class name keeps it out of the default test run):
 * {@code mvn -o -Djavacpp.platform=linux-x86_64 -pl python-free-build -am test -Dtest=LayerTiming
 * -Dsurefire.failIfNoSpecifiedTests=false [-Dattn4j.timing.n=1024] [-Dattn4j.timing.rounds=15]} (one of the two:
 * {@code -Dtest=LayerTiming#cumulativeSumStage}).
 */
class LayerTiming extends ArrowTestBase {
  @Test
  void foxAgainstPlain() throws IOException {
    int n = Integer.getInteger("attn4j.timing.n", 1024);
    int rounds = Integer.getInteger("attn4j.timing.rounds", 15);
    AttentionSpec core = AttentionSpec.builder().heads(8).headDim(64).causal(Causal.BOTTOM_RIGHT).build();
    AttentionLayer plain = AttentionLayer.builder().dim(512).norm(AttentionLayer.Norm.RMS_NORM).core(core).build();
    AttentionLayer fox = AttentionLayer.builder().dim(512).norm(AttentionLayer.Norm.RMS_NORM).core(core)
        .forgetGate(1).build();
    List<AttentionLayer> layers = List.of(plain, fox);
    Shape sh = new Shape(1, n);
    LayerSchedule schedule = LayerArtifactRequest.defaultSchedule(BuildTarget.hostCpu());
    List<AttentionKernel> kernels = new ArrayList<>();
    List<FieldVector[]> args = new ArrayList<>();
    try {
      for (AttentionLayer l : layers) {
        Inputs in = Inputs.of(l, sh, List.of());
        if (in.bForget() != null) {
          float[] bias = new float[in.bForget().length];
          Arrays.fill(bias, 5f);
          in = new Inputs(in.x(), in.z(), in.x0(), in.gamma(), in.wq(), in.wk(), in.wv(), in.wo(), in.wGate(),
              in.captures(), in.wForget(), bias, in.wMix(), in.bMix(), in.valueFirst());
        }
        Path dir = LayerKernels.artifact(l, schedule);
        AttentionKernel k = AttentionKernel.load(dir);
        kernels.add(k);
        List<FieldVector> a = new ArrayList<>();
        for (float[] f : in.arguments()) {
          a.add(Vectors.floats(allocator, "in", f));
        }
        Float4Vector out = Vectors.output(allocator, "out", sh.b() * n * l.getDim());
        a.add(out);
        args.add(a.toArray(FieldVector[]::new));
        k.run(Dims.of(sh.b(), n), args.get(args.size() - 1));
        Comparison c = Tolerances.compare(Vectors.toArray(out), LayerKernels.oracle(l, sh, in, o -> { }));
        System.out.printf("%s: vs oracle %s%n", l.getName(), c);
        assertThat(c.isWithin(Tolerances.FP32)).as("%s vs oracle: %s", l.getName(), c).isTrue();
      }
      double[][] ms = new double[layers.size()][rounds];
      for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < layers.size(); i++) {
          long t0 = System.nanoTime();
          kernels.get(i).run(Dims.of(sh.b(), n), args.get(i));
          ms[i][r] = (System.nanoTime() - t0) / 1e6;
        }
      }
      System.out.printf("%s, b=1 n=%d dim=512 h=8 d=64 causal, %s, %d interleaved rounds after one checked call, "
          + "%d cores%n", schedule, n, BuildTarget.hostCpu().getName(), rounds,
          Runtime.getRuntime().availableProcessors());
      for (int i = 0; i < layers.size(); i++) {
        System.out.printf("  %-58s median %8.2f ms  best %8.2f ms%n", layers.get(i).getName(), median(ms[i]),
            Arrays.stream(ms[i]).min().orElseThrow());
      }
      System.out.printf("  FoX extra: median %.2f ms, best %.2f ms%n", median(ms[1]) - median(ms[0]),
          Arrays.stream(ms[1]).min().orElseThrow() - Arrays.stream(ms[0]).min().orElseThrow());
    } finally {
      args.forEach(a -> Arrays.stream(a).forEach(FieldVector::close));
      kernels.forEach(AttentionKernel::close);
    }
  }

  /**
   * The FoX cumulative sum alone, {@code a [1, 8, n] -> F [1, 8, n]} from the layer's masked-reduction compute: as
   * cpu-layer scheduled it before {@code Scan.rewrite} (its {@code (b, head, token)} elements over the thread pool,
   * {@code O(n)} each) against the scan (its {@code (b, head)} rows over the thread pool, {@code O(n)} each row).
   * Both checked once against {@code Forgetting}'s double cumulative sum within {@link Tolerances#FP32}.
   */
  @Test
  void cumulativeSumStage() throws IOException {
    int n = Integer.getInteger("attn4j.timing.n", 1024);
    int rounds = Integer.getInteger("attn4j.timing.rounds", 15);
    int h = 8;
    TvmNatives.ensureCompiler(Toolchain.hasNvcc());
    BuildTarget target = BuildTarget.hostCpu();
    Path root = Files.createTempDirectory("attn4j-cumsum");
    List<String> names = List.of("masked sum, (b, h, i) parallel", "scan, (b, h) rows parallel");
    List<AttentionKernel> kernels = new ArrayList<>();
    float[] a = TestData.uniform(31, h * n, -1, 0);
    Forgetting oracle = Forgetting.fromLogGates(a, 1, h);
    float[] expected = new float[h * n];
    for (int hh = 0; hh < h; hh++) {
      for (int i = 0; i < n; i++) {
        expected[hh * n + i] = (float) (oracle.apply(0, 0, hh, i, 0) + a[hh * n]);
      }
    }
    try (Float4Vector in = Vectors.floats(allocator, "a", a); Float4Vector out = Vectors.output(allocator, "F", h * n)) {
      for (int k = 0; k < names.size(); k++) {
        Path dir = Files.createDirectories(root.resolve("k" + k));
        try (Te te = Te.create()) {
          Var b = te.sizeVar("b");
          Var nv = te.sizeVar("n");
          Tensor gates = te.placeholder("a", DType.FLOAT32, b, h, nv);
          IterVar rt = te.reduceAxis("t", nv);
          // the layer's own statement of F (AttentionLayer.define)
          Tensor f = te.compute(AttentionLayerStages.FORGET_CUMSUM, "layer", new Expr[] {b, te.i32(h), nv},
              (bb, hh, i) -> te.sum(te.select(rt.getVar().le(i), gates.get(bb, hh, rt.getVar()), te.f32(0)),
                  rt.getVar().le(i), rt));
          Schedule sch = Schedule.create(te.scope(), KernelCompiler.primModule(te, List.of(gates, f),
              ArtifactBuilder.FUNCTION));
          if (k == 0) {
            List<TvmObject> loops = sch.getLoops(sch.getBlock(AttentionLayerStages.FORGET_CUMSUM));
            sch.parallel(sch.fuse(loops.get(0), loops.get(1), loops.get(2)));
          } else {
            Scan.rewrite(te, sch, AttentionLayerStages.FORGET_CUMSUM, te.f32(0), Expr::plus,
                LoopNest.Kind.PARALLEL);
          }
          Path lib = dir.resolve("kernel.so");
          KernelCompiler.compileModule(te, sch.getMod(), false, target, lib, ArtifactBuilder.FUNCTION,
              Progress.silent());
          Map<String, long[]> dims = new java.util.LinkedHashMap<>();
          dims.put("b", new long[] {1, 1});
          dims.put("n", new long[] {1, 1 << 16});
          Manifest m = new Manifest(Manifest.ABI, ArtifactBuilder.VERSION, Manifest.TVM_VERSION, "forget_cumsum",
              Map.of("dtype", "float32"), ArtifactBuilder.FUNCTION, List.of(ArtifactBuilder.argument("a", gates,
              true), ArtifactBuilder.argument("F", f, false)), dims, ArtifactBuilder.targetEntry(target),
              names.get(k), Map.of(), KernelCompiler.ARGUMENT_ALIGNMENT, "kernel.so", AttentionKernel.sha256(lib));
          Files.writeString(dir.resolve(Manifest.FILE_NAME), m.toJson());
        }
        AttentionKernel kernel = AttentionKernel.load(dir);
        kernels.add(kernel);
        kernel.run(Dims.of(1, n), in, out);
        Comparison c = Tolerances.compare(Vectors.toArray(out), expected);
        assertThat(c.isWithin(Tolerances.FP32)).as("%s vs Forgetting: %s", names.get(k), c).isTrue();
      }
      double[][] ms = new double[kernels.size()][rounds];
      for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < kernels.size(); k++) {
          long t0 = System.nanoTime();
          kernels.get(k).run(Dims.of(1, n), in, out);
          ms[k][r] = (System.nanoTime() - t0) / 1e6;
        }
      }
      System.out.printf("F = cumsum_t(a), a [1, %d, %d], %s, %d interleaved rounds, %d cores%n", h, n,
          target.getName(), rounds, Runtime.getRuntime().availableProcessors());
      for (int k = 0; k < kernels.size(); k++) {
        System.out.printf("  %-32s median %9.3f ms  best %9.3f ms%n", names.get(k), median(ms[k]),
            Arrays.stream(ms[k]).min().orElseThrow());
      }
    } finally {
      kernels.forEach(AttentionKernel::close);
      KernelCompiler.deleteTree(root);
    }
  }

  private static double median(double[] x) {
    double[] s = x.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
