package org.attn4j.bench.jmh;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.attn4j.bench.BenchVariant;
import org.attn4j.bench.Impl;
import org.attn4j.bench.Shape;
import org.attn4j.bench.peers.AttentionPeer;
import org.attn4j.bench.peers.Attn4jPeer;
import org.attn4j.build.BuildTarget;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Steady-state forward attention calls, float32, {@code q [b, h, n, d]}, {@code k, v [b, h, m, d]} →
 * {@code out [b, h, n, d]}: attn4j's fused kernel (the host CPU's default schedule, Arrow vectors, zero copy) and
 * each peer, one method each, over {@code shape} × {@code variant} (attn4j, ONNX Runtime, PyTorch) or
 * {@code shape} alone (OpenBLAS and the naive loop run the core only) × {@code threads}, and for attn4j its build
 * {@code target} (the host's CPU level unless given).
 *
 * <p>Before any timing each trial's state ({@link PeerState}) creates the implementation, recording its load and
 * build time apart, and checks it against the oracle within {@code Tolerances.FP32}; a wrong one fails the trial.
 * The timed region is {@link AttentionPeer#compute} alone (inputs staged before, output left in the peer's
 * buffer); every call is synchronous on the CPU. {@link Mode#SampleTime} keeps the distribution, so reports give
 * the median and the best call as {@code BenchMain} does.
 *
 * <p>JMH runs the trials one after another, each in its own JVM, so a ratio between two rows is taken across
 * processes of one run, not interleaved within one as {@code BenchMain} does (see {@code peers.md}: two-thread
 * timings here swing up to 2x between runs).
 *
 * <p>Example (one JMH per thread count: TVM reads {@code TVM_NUM_THREADS} once per process):
 * <pre>{@code
 * ci/jmh.sh 'AttentionBenchmark\.(attn4j|onnxruntime)' -p variant=core,rotary -p shape=1x8x1024x1024x64c
 * }</pre>
 */
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {AttentionBenchmark.ADD_OPENS, AttentionBenchmark.STACK,
    AttentionBenchmark.DJL_OFFLINE})
public class AttentionBenchmark {

  /** Arrow's memory access needs {@code java.nio} open. */
  static final String ADD_OPENS = "--add-opens=java.base/java.nio=ALL-UNNAMED";
  /** TVM's compiler recurses deeply. */
  static final String STACK = "-Xss4m";
  /** DJL uses the PyTorch natives on the class path and never downloads. */
  static final String DJL_OFFLINE = "-Dai.djl.offline=true";

  /** attn4j's fused kernel for the variant. */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public AttentionPeer attn4j(Attn4j state) {
    return state.call();
  }

  /** ONNX Runtime's {@code Attention} (opset 23), the variant as its composition. */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public AttentionPeer onnxruntime(OnnxRuntime state) {
    return state.call();
  }

  /** PyTorch's {@code scaled_dot_product_attention} through DJL, the variant as its composition. */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public AttentionPeer pytorch(PyTorch state) {
    return state.call();
  }

  /** Two OpenBLAS sgemms per head with a Java softmax between; the core only. */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public AttentionPeer openblas(OpenBlas state) {
    return state.call();
  }

  /** The plain Java loop, one thread whatever {@code threads}; the core only. */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public AttentionPeer naive(Naive state) {
    return state.call();
  }

  /** attn4j ({@link Impl#ATTN4J}), every variant, on a CPU build target. */
  public static class Attn4j extends PeerState.WithVariant {
    /** The host's best x86-64 level, the default target. */
    static final String HOST = "cpu:host";

    /**
     * The build target, as {@link BuildTarget#parse} reads it: {@code cpu:host} (the default), or a CPU level this
     * host runs ({@code cpu:x86-64-v3} for AVX2 code on an AVX-512 host). A CUDA target is not applicable here
     * (its artifacts are checked and timed by {@code GpuCheck}).
     */
    @Param(HOST)
    public String target = HOST;

    /** The state. */
    public Attn4j() {
      super(Impl.ATTN4J);
    }

    /** {@return the build target} */
    BuildTarget buildTarget() {
      return BuildTarget.parse(target);
    }

    @Override
    AttentionPeer create(Shape s, BenchVariant.Case c, Path work) {
      return new Attn4jPeer(s.b(), s.h(), s.n(), s.m(), s.d(), c.attn4j(), c.captures(), buildTarget(),
          work.resolve("artifacts"));
    }

    @Override
    String id() {
      return id(target);
    }

    /** {@return attn4j's id on {@code target}: {@code attn4j} on the host's, else e.g. {@code attn4j cpu:x86-64-v3}} */
    static String id(String target) {
      return target.equals(HOST) ? Impl.ATTN4J.getId() : Impl.ATTN4J.getId() + " " + target;
    }
  }

  /** ONNX Runtime ({@link Impl#ONNXRUNTIME}), every variant. */
  public static class OnnxRuntime extends PeerState.WithVariant {
    /** The state. */
    public OnnxRuntime() {
      super(Impl.ONNXRUNTIME);
    }
  }

  /** PyTorch SDPA through DJL ({@link Impl#PYTORCH}), every variant. */
  public static class PyTorch extends PeerState.WithVariant {
    /** The state. */
    public PyTorch() {
      super(Impl.PYTORCH);
    }
  }

  /** OpenBLAS ({@link Impl#OPENBLAS}), the core only. */
  public static class OpenBlas extends PeerState {
    /** The state. */
    public OpenBlas() {
      super(Impl.OPENBLAS);
    }
  }

  /** The naive Java loop ({@link Impl#NAIVE}), the core only. */
  public static class Naive extends PeerState {
    /** The state. */
    public Naive() {
      super(Impl.NAIVE);
    }
  }
}
