package org.attn4j.bench.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The ONNX Runtime peer (CPU execution provider): a one-node ONNX model, encoded by hand in protobuf wire format,
 * run through {@code com.microsoft.onnxruntime:onnxruntime}.
 *
 * <p>The node is the standard {@code Attention} operator of opset 23 with 4-D inputs {@code [b, h, n, d]}; if ONNX
 * Runtime cannot load or run that, the peer falls back to {@code com.microsoft.MultiHeadAttention} with 3-D inputs
 * {@code [b, n, h*d]}. {@link #name()} says which one is in use. Causal with {@code m == n} uses the operator's own
 * flag ({@code is_causal} / {@code unidirectional}); causal with {@code m > n} passes a constant additive mask
 * {@code [1, 1, n, m]} built into the model, because those flags align the triangle to the upper left. Note that
 * ONNX Runtime's CPU kernel does not skip the masked half, so its causal time is close to its non-causal time.
 *
 * <p>The session uses {@code intraOpThreads} intra-op threads (given to the constructor), one inter-op thread and
 * optimization level {@code ALL_OPT}.
 *
 * <p><b>What is copied</b>: {@link #setInputs} copies {@code q}, {@code k} and {@code v} from the Java heap into
 * direct, native-order buffers (transposed to {@code [b, n, h, d]} on the way for the {@code MultiHeadAttention}
 * fallback) and {@link #getOutput} copies the result back; {@link #compute}, the timed part, is one
 * {@code session.run}: ONNX Runtime reads those buffers in place (the input tensors wrap them without a copy) and
 * writes into a pinned output tensor that wraps another direct buffer. The four direct buffers and the four
 * tensors wrapping them are created once, in the constructor, and reused; a call allocates only ONNX Runtime's
 * internal scratch and small result bookkeeping.
 */
public final class OnnxRuntimeAttention extends NativePeer {

  private final PeerShape shape;
  private final int intraOpThreads;
  private final OnnxAttentionModel.Op op;
  private final OrtSession.SessionOptions options;
  private final OrtSession session;
  private final FloatBuffer qBuf;
  private final FloatBuffer kBuf;
  private final FloatBuffer vBuf;
  private final FloatBuffer yBuf;
  private final OnnxTensor qTensor;
  private final OnnxTensor kTensor;
  private final OnnxTensor vTensor;
  private final OnnxTensor yTensor;
  private final Composition composition;
  private final @Nullable FloatBuffer biasBuf;
  private final @Nullable OnnxTensor biasTensor;
  private final Map<String, OnnxTensor> inputs;
  private final Map<String, OnnxTensor> pinnedOutputs;

  /**
   * Creates the peer for one shape: builds the model, creates the session (standard {@code Attention} first,
   * {@code MultiHeadAttention} if that fails) and runs it once on zeros to check that it works.
   *
   * @param b batch size
   * @param h number of heads (query and key/value)
   * @param n query length
   * @param m key/value length
   * @param d head dimension
   * @param causal whether to apply the right-aligned causal mask (requires {@code m >= n})
   * @param intraOpThreads ONNX Runtime intra-op threads, at least 1 (1 runs on the calling thread)
   * @throws IllegalArgumentException on an invalid shape or thread count
   * @throws IllegalStateException if neither operator can be loaded and run
   */
  public OnnxRuntimeAttention(int b, int h, int n, int m, int d, boolean causal, int intraOpThreads) {
    this(b, h, n, m, d, causal, intraOpThreads, null, Composition.CORE);
  }

  /**
   * For a variant's composition, on the opset-23 {@code Attention} only: the bias becomes its float
   * {@code attn_mask} input (a tensor made here, once, outside the timing), the soft-cap its {@code softcap}
   * attribute (non-causal only: ONNX adds the mask before the soft-cap, so a masked logit would become
   * {@code -c}); rotary and the value blend are applied by {@link #setInputs} in Java (outside the timing), since
   * the single-node model has no rotary or elementwise nodes.
   *
   * @throws IllegalArgumentException as the core constructor, or if the composition cannot be expressed
   */
  public OnnxRuntimeAttention(int b, int h, int n, int m, int d, boolean causal, int intraOpThreads,
      Composition composition) {
    this(b, h, n, m, d, causal, intraOpThreads, composition.isCore() ? null : OnnxAttentionModel.Op.ATTENTION_23,
        composition);
  }

  /**
   * As the public constructor, but with {@code forced} non-null only that operator is tried (used by tests to
   * exercise the fallback).
   */
  OnnxRuntimeAttention(int b, int h, int n, int m, int d, boolean causal, int intraOpThreads,
      OnnxAttentionModel.@Nullable Op forced) {
    this(b, h, n, m, d, causal, intraOpThreads, forced, Composition.CORE);
  }

  private OnnxRuntimeAttention(int b, int h, int n, int m, int d, boolean causal, int intraOpThreads,
      OnnxAttentionModel.@Nullable Op forced, Composition composition) {
    this.shape = new PeerShape(b, h, n, m, d, causal);
    this.composition = composition;
    if (composition.hasSoftCap() && causal) {
      throw new IllegalArgumentException("onnxruntime: no composition for a causal soft-cap (ONNX Attention adds "
          + "the mask before the soft-cap: a masked logit becomes -c, not -inf)");
    }
    if (composition.bias() != null) {
      float[] bias = composition.bias();
      this.biasBuf = directFloats(bias.length);
      biasBuf.put(bias);
      biasBuf.clear();
    } else {
      this.biasBuf = null;
    }
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
    }
    this.intraOpThreads = intraOpThreads;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    this.qBuf = directFloats(b * h * n * d);
    this.kBuf = directFloats(b * h * m * d);
    this.vBuf = directFloats(b * h * m * d);
    this.yBuf = directFloats(b * h * n * d);

    List<OnnxAttentionModel.Op> candidates = forced != null
        ? List.of(forced)
        : List.of(OnnxAttentionModel.Op.ATTENTION_23, OnnxAttentionModel.Op.MULTI_HEAD_ATTENTION);
    List<Exception> failures = new ArrayList<>();
    @Nullable Loaded loaded = null;
    for (OnnxAttentionModel.Op candidate : candidates) {
      try {
        loaded = load(env, candidate);
        break;
      } catch (OrtException | RuntimeException e) {
        failures.add(e);
      }
    }
    if (loaded == null) {
      IllegalStateException failure =
          new IllegalStateException("ONNX Runtime could not load or run " + candidates);
      failures.forEach(failure::addSuppressed);
      throw failure;
    }
    this.op = loaded.op;
    this.options = loaded.options;
    this.session = loaded.session;
    this.qTensor = loaded.q;
    this.kTensor = loaded.k;
    this.vTensor = loaded.v;
    this.yTensor = loaded.y;
    this.biasTensor = loaded.bias;
    this.inputs = biasTensor == null
        ? Map.of(OnnxAttentionModel.Q, qTensor, OnnxAttentionModel.K, kTensor, OnnxAttentionModel.V, vTensor)
        : Map.of(OnnxAttentionModel.Q, qTensor, OnnxAttentionModel.K, kTensor, OnnxAttentionModel.V, vTensor,
            OnnxAttentionModel.BIAS, biasTensor);
    this.pinnedOutputs = Map.of(OnnxAttentionModel.Y, yTensor);
  }

  /** What {@link #load} creates for one operator. */
  private static final class Loaded {
    final OnnxAttentionModel.Op op;
    final OrtSession.SessionOptions options;
    final OrtSession session;
    final OnnxTensor q;
    final OnnxTensor k;
    final OnnxTensor v;
    final OnnxTensor y;
    final @Nullable OnnxTensor bias;

    Loaded(OnnxAttentionModel.Op op, OrtSession.SessionOptions options, OrtSession session, OnnxTensor q,
        OnnxTensor k, OnnxTensor v, OnnxTensor y, @Nullable OnnxTensor bias) {
      this.bias = bias;
      this.op = op;
      this.options = options;
      this.session = session;
      this.q = q;
      this.k = k;
      this.v = v;
      this.y = y;
    }
  }

  /**
   * Creates the session and the four tensors over the direct buffers for {@code candidate}, and runs it once (on
   * whatever the buffers hold, zeros at first) so that a missing kernel fails here; on failure closes whatever it
   * created.
   */
  private Loaded load(OrtEnvironment env, OnnxAttentionModel.Op candidate) throws OrtException {
    int b = shape.b();
    int h = shape.h();
    int n = shape.n();
    int m = shape.m();
    int d = shape.d();
    long[] qShape = candidate == OnnxAttentionModel.Op.ATTENTION_23
        ? new long[] {b, h, n, d} : new long[] {b, n, (long) h * d};
    long[] kvShape = candidate == OnnxAttentionModel.Op.ATTENTION_23
        ? new long[] {b, h, m, d} : new long[] {b, m, (long) h * d};
    OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
    @Nullable OrtSession sess = null;
    List<OnnxTensor> tensors = new ArrayList<>();
    try {
      opts.setIntraOpNumThreads(intraOpThreads);
      opts.setInterOpNumThreads(1);
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      long[] biasShape = biasBuf == null ? null
          : new long[] {composition.biasBatch(), composition.biasHeads(), n, m};
      sess = env.createSession(OnnxAttentionModel.build(candidate, b, h, n, m, d, shape.causal(), biasShape,
          composition.softCap()), opts);
      OnnxTensor qt = OnnxTensor.createTensor(env, qBuf, qShape);
      tensors.add(qt);
      OnnxTensor kt = OnnxTensor.createTensor(env, kBuf, kvShape);
      tensors.add(kt);
      OnnxTensor vt = OnnxTensor.createTensor(env, vBuf, kvShape);
      tensors.add(vt);
      OnnxTensor yt = OnnxTensor.createTensor(env, yBuf, qShape);
      tensors.add(yt);
      OnnxTensor bt = null;
      Map<String, OnnxTensor> in = new java.util.HashMap<>(Map.of(OnnxAttentionModel.Q, qt, OnnxAttentionModel.K, kt,
          OnnxAttentionModel.V, vt));
      if (biasShape != null) {
        bt = OnnxTensor.createTensor(env, biasBuf, biasShape);
        tensors.add(bt);
        in.put(OnnxAttentionModel.BIAS, bt);
      }
      // probe run: fails here, not in the first timed call, if the kernel is missing
      sess.run(in, Map.of(OnnxAttentionModel.Y, yt)).close();
      return new Loaded(candidate, opts, sess, qt, kt, vt, yt, bt);
    } catch (OrtException | RuntimeException e) {
      for (OnnxTensor t : tensors) {
        t.close();
      }
      closeQuietly(sess, e);
      opts.close();
      throw e;
    }
  }

  @Override
  public String name() {
    String opName = op == OnnxAttentionModel.Op.ATTENTION_23 ? "Attention23" : "MultiHeadAttention";
    return "onnxruntime-" + opName + "-" + intraOpThreads + "t";
  }

  @Override
  public String getNote() {
    Composition c = composition;
    String pre = (c.rotary() != null ? "rotary of q and k (in Java, in setInputs); " : "")
        + (c.firstValues() != null ? "value blend v1 + lam (v - v1) (in Java, in setInputs); " : "")
        + (c.bias() != null ? "float attn_mask [" + c.biasBatch() + ", " + c.biasHeads() + ", n, m]"
        + (shape.causal() ? " including the causal -inf" : "") + "; " : "");
    return "ONNX Runtime " + OrtEnvironment.getEnvironment().getVersion() + ", CPU EP, "
        + (usesStandardAttention() ? "opset-23 Attention" : "com.microsoft.MultiHeadAttention")
        + (c.hasSoftCap() ? " with its softcap attribute" : "") + (c.bias() != null ? " with a float attn_mask" : "")
        + "; the causal mask is not skipped" + (pre.isEmpty() ? "" : ". Precomputed outside the timing: " + pre);
  }

  /** Whether this peer runs the standard opset-23 {@code Attention} (else the {@code MultiHeadAttention} fallback). */
  public boolean usesStandardAttention() {
    return op == OnnxAttentionModel.Op.ATTENTION_23;
  }

  @Override
  public void setInputs(float[] q0, float[] k0, float[] v0) {
    checkOpen();
    shape.checkInputs(q0, k0, v0);
    float[] q = composition.rotateQueries(q0, shape.b(), shape.h(), shape.n(), shape.d());
    float[] k = composition.rotateKeys(k0, shape.b(), shape.h(), shape.m(), shape.d());
    float[] v = composition.blendValues(v0, shape.d());
    if (op == OnnxAttentionModel.Op.ATTENTION_23) {
      qBuf.clear();
      qBuf.put(q);
      kBuf.clear();
      kBuf.put(k);
      vBuf.clear();
      vBuf.put(v);
    } else {
      toSequenceMajor(q, qBuf, shape.n());
      toSequenceMajor(k, kBuf, shape.m());
      toSequenceMajor(v, vBuf, shape.m());
    }
  }

  @Override
  public void compute() {
    checkOpen();
    try {
      // the result lands in yBuf; closing the Result leaves the pinned output tensor open
      session.run(inputs, pinnedOutputs).close();
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime run failed", e);
    }
  }

  @Override
  public void getOutput(float[] out) {
    checkOpen();
    shape.checkOutput(out);
    if (op == OnnxAttentionModel.Op.ATTENTION_23) {
      yBuf.clear();
      yBuf.get(out);
    } else {
      fromSequenceMajor(yBuf, out, shape.n());
    }
  }

  /** Copies {@code [b, h, len, d]} into {@code dst} as {@code [b, len, h, d]}. */
  private void toSequenceMajor(float[] src, FloatBuffer dst, int len) {
    for (int bi = 0; bi < shape.b(); bi++) {
      for (int hi = 0; hi < shape.h(); hi++) {
        int srcBase = (bi * shape.h() + hi) * len * shape.d();
        for (int s = 0; s < len; s++) {
          dst.put(((bi * len + s) * shape.h() + hi) * shape.d(), src, srcBase + s * shape.d(), shape.d());
        }
      }
    }
  }

  /** Copies {@code [b, len, h, d]} from {@code src} into {@code dst} as {@code [b, h, len, d]}. */
  private void fromSequenceMajor(FloatBuffer src, float[] dst, int len) {
    for (int bi = 0; bi < shape.b(); bi++) {
      for (int hi = 0; hi < shape.h(); hi++) {
        int dstBase = (bi * shape.h() + hi) * len * shape.d();
        for (int s = 0; s < len; s++) {
          src.get(((bi * len + s) * shape.h() + hi) * shape.d(), dst, dstBase + s * shape.d(), shape.d());
        }
      }
    }
  }

  /** Closes the tensors, the session and its options; the shared {@link OrtEnvironment} stays open. */
  @Override
  protected void release() {
    qTensor.close();
    kTensor.close();
    vTensor.close();
    yTensor.close();
    if (biasTensor != null) {
      biasTensor.close();
    }
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("closing the ONNX Runtime session failed", e);
    } finally {
      options.close();
    }
  }

  private static FloatBuffer directFloats(int count) {
    return ByteBuffer.allocateDirect(count * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  private static void closeQuietly(@Nullable OrtSession session, Exception primary) {
    if (session != null) {
      try {
        session.close();
      } catch (OrtException e) {
        primary.addSuppressed(e);
      }
    }
  }
}
