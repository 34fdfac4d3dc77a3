package org.attn4j.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.attn4j.bench.peers.AttentionPeer;
import org.attn4j.bench.peers.Attn4jPeer;
import org.attn4j.bench.peers.NaiveJavaAttention;
import org.attn4j.bench.peers.OnnxRuntimeAttention;
import org.attn4j.bench.peers.OpenBlasAttention;
import org.attn4j.bench.peers.TorchSdpaAttention;
import org.attn4j.build.BuildTarget;

/** The implementations {@link BenchMain} can time, by the id used on the command line and in reports. */
public enum Impl {
  /** attn4j's kernel for this CPU ({@link Attn4jPeer}); threads from {@code TVM_NUM_THREADS}. */
  ATTN4J("attn4j"),
  /**
   * attn4j's kernel compiled for {@code x86-64-v3} (AVX2 + FMA, 8-float vectors) whatever the host: on an AVX-512
   * host, the code an AVX2 machine runs, timed beside the host's own ({@link #ATTN4J}); the core only.
   */
  ATTN4J_AVX2("attn4j-avx2"),
  /** ONNX Runtime's {@code Attention} operator ({@link OnnxRuntimeAttention}). */
  ONNXRUNTIME("onnxruntime"),
  /** PyTorch's {@code scaled_dot_product_attention} through DJL ({@link TorchSdpaAttention}). */
  PYTORCH("pytorch"),
  /** Two OpenBLAS sgemms per head with a Java softmax between ({@link OpenBlasAttention}). */
  OPENBLAS("openblas"),
  /** The plain Java loop ({@link NaiveJavaAttention}), single-threaded whatever the thread count. */
  NAIVE("naive");

  private final String id;

  Impl(String id) {
    this.id = id;
  }

  /** {@return the id, e.g. {@code "onnxruntime"}} */
  public String getId() {
    return id;
  }

  /**
   * The implementation with this id.
   *
   * @throws IllegalArgumentException listing the ids
   */
  public static Impl parse(String id) {
    for (Impl i : values()) {
      if (i.id.equals(id.trim().toLowerCase(Locale.ROOT))) {
        return i;
      }
    }
    throw new IllegalArgumentException("implementation: expected one of "
        + Arrays.stream(values()).map(Impl::getId).toList() + ", got '" + id + "'");
  }

  /**
   * Creates the peer for one shape. Caller must close.
   *
   * @param work a directory for files the peer writes (artifacts, models)
   */
  public AttentionPeer create(Shape s, int threads, Path work) {
    return create(s, null, threads, work);
  }

  /**
   * Creates the peer for one variant on one shape (null: the core). Caller must close.
   *
   * @param c the variant's case ({@link BenchVariant#setup}), or null for the core
   * @param work a directory for files the peer writes (artifacts, models)
   * @throws IllegalArgumentException if the peer has no composition for the variant (reported as UNSUPPORTED)
   */
  public AttentionPeer create(Shape s, BenchVariant.@org.jspecify.annotations.Nullable Case c, int threads,
      Path work) {
    if (c != null && c.variant() != BenchVariant.CORE) {
      return switch (this) {
        case ATTN4J -> new Attn4jPeer(s.b(), s.h(), s.n(), s.m(), s.d(), c.attn4j(), c.captures(),
            work.resolve("artifacts"));
        case ONNXRUNTIME -> new OnnxRuntimeAttention(s.b(), s.h(), s.n(), s.m(), s.d(), s.causal(), threads,
            c.composition());
        case PYTORCH -> new TorchSdpaAttention(s.b(), s.h(), s.n(), s.m(), s.d(), s.causal(), threads,
            work.resolve("torchscript"), c.composition());
        case ATTN4J_AVX2, OPENBLAS, NAIVE -> throw new IllegalArgumentException(id + ": no composition for variant "
            + c.variant().getId() + " (the core only)");
      };
    }
    return switch (this) {
      case ATTN4J -> new Attn4jPeer(s.b(), s.h(), s.n(), s.m(), s.d(), s.causal(), work.resolve("artifacts"));
      case ATTN4J_AVX2 -> new Attn4jPeer(s.b(), s.h(), s.n(), s.m(), s.d(),
          Attn4jPeer.coreVariant(s.h(), s.d(), s.causal()), List.of(), BuildTarget.cpu("x86-64-v3"),
          work.resolve("artifacts"));
      case ONNXRUNTIME -> new OnnxRuntimeAttention(s.b(), s.h(), s.n(), s.m(), s.d(), s.causal(), threads);
      case PYTORCH -> new TorchSdpaAttention(s.b(), s.h(), s.n(), s.m(), s.d(), s.causal(), threads,
          work.resolve("torchscript"));
      case OPENBLAS -> new OpenBlasAttention(s.b(), s.h(), s.n(), s.m(), s.d(), s.causal(), threads);
      case NAIVE -> new NaiveJavaAttention(s.b(), s.h(), s.n(), s.m(), s.d(), s.causal());
    };
  }
}
