package org.attn4j.bench.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.attention.Causal;
import org.attn4j.attention.Variant;
import org.attn4j.build.ArtifactBuilder;
import org.attn4j.build.ArtifactRequest;
import org.attn4j.build.BuildTarget;
import org.attn4j.build.Progress;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;

/**
 * attn4j's own kernel as a peer: the core attention ({@code h}, {@code d}, float32, causal or not) built for
 * this host's CPU with the default schedule ({@link ArtifactRequest#of}, {@link BuildTarget#hostCpu()}), loaded
 * with {@link AttentionKernel} and run on Arrow {@link Float4Vector}s allocated once, zero copy.
 *
 * <p>{@link #compute} is one {@link AttentionKernel#run(Dims, org.apache.arrow.vector.FieldVector...)} call,
 * including its Java-side argument checks. The thread count is TVM's: {@code TVM_NUM_THREADS}, read once per
 * process. The build (a compile, or a copy from the attn4j cache) happens in the constructor and is reported
 * separately by {@link #getNote()}.
 */
public final class Attn4jPeer extends NativePeer {

  private final PeerShape shape;
  private final ArtifactBuilder.Built built;
  private final BufferAllocator allocator;
  private final AttentionKernel kernel;
  private final Float4Vector q;
  private final Float4Vector k;
  private final Float4Vector v;
  private final Float4Vector out;
  private final java.util.List<Float4Vector> captures = new java.util.ArrayList<>();
  private final org.apache.arrow.vector.FieldVector[] args;
  private final Dims dims;

  /**
   * Builds (or copies from the cache) the artifact into {@code artifacts}, loads it and allocates the four
   * vectors. Caller must close; on failure everything created is released.
   *
   * @param artifacts where the artifact directory is written
   * @throws IllegalArgumentException on an invalid shape
   * @throws UncheckedIOException if the artifact cannot be written or read
   */
  public Attn4jPeer(int b, int h, int n, int m, int d, boolean causal, Path artifacts) {
    this(b, h, n, m, d, coreVariant(h, d, causal), java.util.List.of(), artifacts);
  }

  /** The core attention with {@code h} heads of dim {@code d}, right-aligned causal or not. */
  public static Variant coreVariant(int h, int d, boolean causal) {
    return Variant.of(AttentionSpec.builder().heads(h).headDim(d)
        .causal(causal ? Causal.BOTTOM_RIGHT : Causal.NONE).build());
  }

  /**
   * As the core constructor, for any variant of the core whose spec has {@code h} heads, head dim {@code d}, no
   * LSE output and no key lengths, with its captured inputs (float32, in capture order; copied once into Arrow
   * vectors here, outside any timing).
   *
   * @param variant the variant (its spec's causal mode decides the causal flag)
   * @param captureValues the captured inputs, in capture order
   */
  public Attn4jPeer(int b, int h, int n, int m, int d, Variant variant, java.util.List<float[]> captureValues,
      Path artifacts) {
    this(b, h, n, m, d, variant, captureValues, BuildTarget.hostCpu(), artifacts);
  }

  /**
   * As the variant constructor, for a CPU target other than the host's best level (e.g. {@code x86-64-v3} code
   * on an AVX-512 host); the host must be able to run it.
   *
   * @param target a CPU target
   * @throws IllegalArgumentException if {@code target} is not a CPU target (CUDA artifacts run through
   *     {@code GpuCheck}), or on an invalid shape
   */
  public Attn4jPeer(int b, int h, int n, int m, int d, Variant variant, java.util.List<float[]> captureValues,
      BuildTarget target, Path artifacts) {
    if (target.getKind() != org.attn4j.schedules.TargetKind.CPU) {
      throw new IllegalArgumentException("attn4j peer: expected a CPU target (its vectors are in host memory), got "
          + target + "; CUDA artifacts are checked and timed by GpuCheck (ci/gpu-check.sh)");
    }
    this.shape = new PeerShape(b, h, n, m, d, variant.getSpec().getCausal() != Causal.NONE);
    this.built = build(variant, target, artifacts);
    this.allocator = new RootAllocator();
    try {
      this.kernel = AttentionKernel.load(built.directory());
      this.q = vector("q", b * h * n * d);
      this.k = vector("k", b * h * m * d);
      this.v = vector("v", b * h * m * d);
      for (float[] c : captureValues) {
        Float4Vector vec = vector("capture", c.length);
        copy(c, vec.getDataBuffer());
        captures.add(vec);
      }
      this.out = vector("out", b * h * n * d);
    } catch (IOException | RuntimeException e) {
      close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    this.dims = Dims.of(b, n, m);
    java.util.List<org.apache.arrow.vector.FieldVector> a = new java.util.ArrayList<>(java.util.List.of(q, k, v));
    a.addAll(captures);
    a.add(out);
    this.args = a.toArray(org.apache.arrow.vector.FieldVector[]::new);
  }

  /**
   * Builds the artifact this peer runs for {@code variant} on {@code target} with the target's default schedule
   * ({@link ArtifactRequest#of}), compiled, or copied from the attn4j cache when the same request was compiled
   * before, into {@code artifacts/<name>} (replacing what is there).
   *
   * @throws UncheckedIOException if the artifact cannot be written
   */
  public static ArtifactBuilder.Built build(Variant variant, BuildTarget target, Path artifacts) {
    try {
      return ArtifactBuilder.build(ArtifactRequest.of(variant, target), artifacts, Progress.silent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Float4Vector vector(String name, int count) {
    Float4Vector vec = new Float4Vector(name, allocator);
    vec.allocateNew(count);
    vec.getValidityBuffer().setOne(0, (count + 7) / 8); // no nulls: the kernel rejects inputs with nulls
    vec.setValueCount(count);
    return vec;
  }

  /** The artifact directory, e.g. {@code <artifacts>/sdpa_f32_h8kv8_d64-cpu-x86-64-v3}. */
  public Path getArtifact() {
    return built.directory();
  }

  @Override
  public String name() {
    String t = System.getenv("TVM_NUM_THREADS");
    return "attn4j-" + built.manifest().target().get("level") + "-" + (t == null ? "default" : t) + "t";
  }

  @Override
  public String getNote() {
    return String.format(java.util.Locale.ROOT, "artifact %s %s in %.1f s; schedule %s",
        built.directory().getFileName(), built.cacheHit() ? "from the attn4j cache" : "compiled", built.seconds(),
        built.manifest().schedule());
  }

  @Override
  public void setInputs(float[] qs, float[] ks, float[] vs) {
    checkOpen();
    shape.checkInputs(qs, ks, vs);
    copy(qs, q.getDataBuffer());
    copy(ks, k.getDataBuffer());
    copy(vs, v.getDataBuffer());
  }

  private static void copy(float[] src, ArrowBuf dst) {
    for (int i = 0; i < src.length; i++) {
      dst.setFloat((long) i * Float.BYTES, src[i]);
    }
  }

  @Override
  public void compute() {
    checkOpen();
    kernel.run(dims, args);
  }

  @Override
  public void getOutput(float[] result) {
    checkOpen();
    shape.checkOutput(result);
    ArrowBuf buf = out.getDataBuffer();
    for (int i = 0; i < result.length; i++) {
      result[i] = buf.getFloat((long) i * Float.BYTES);
    }
  }

  /** Closes the kernel, the vectors and their allocator. */
  @Override
  protected void release() {
    java.util.List<AutoCloseable> all = new java.util.ArrayList<>(java.util.Arrays.asList(q, k, v, out, kernel));
    all.addAll(captures);
    for (AutoCloseable c : all) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IllegalStateException("closing " + c, e);
        }
      }
    }
    allocator.close();
  }
}
