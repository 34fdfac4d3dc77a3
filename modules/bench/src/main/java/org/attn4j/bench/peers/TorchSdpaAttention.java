package org.attn4j.bench.peers;

import ai.djl.Model;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.jspecify.annotations.Nullable;

/**
 * The PyTorch peer: {@code torch.scaled_dot_product_attention} (the CPU flash kernel) through DJL's PyTorch engine.
 *
 * <p>DJL has no SDPA operator, so the constructor writes a TorchScript archive by hand (a stored zip holding
 * {@code data.pkl}, {@code constants.pkl}, {@code version}, {@code byteorder} and the TorchScript source of a
 * module whose {@code forward(q, k, v)} calls SDPA) and loads it as a DJL model. {@code is_causal} in PyTorch is
 * aligned to the upper left, so causal needs {@code m == n} here.
 *
 * <p>Threads: {@code ai.djl.pytorch.num_threads} is set to {@code threads} and
 * {@code ai.djl.pytorch.num_interop_threads} to 1 before the engine starts (once per process; a later peer with
 * another count throws). Run with {@code -Dai.djl.offline=true} and {@code DJL_CACHE_DIR} pointing to a writable
 * directory: the natives are unpacked from the {@code pytorch-native-cpu} jar there. {@link #setInputs} creates the
 * input tensors (a copy); {@link #compute} is one {@code forward}, which allocates PyTorch's output tensor;
 * {@link #getOutput} copies it out.
 */
public final class TorchSdpaAttention extends NativePeer {

  private final PeerShape shape;
  private final int threads;
  private final Model model;
  private final NDManager manager;
  private final Block block;
  private final ParameterStore parameters;
  private final Composition composition;
  private final NDList extras;
  private @Nullable NDList inputs;
  private @Nullable NDList last;
  private @Nullable NDList call;

  /**
   * Writes the archive into {@code workDir}, starts the engine if needed and loads the model. Caller must close.
   *
   * @throws IllegalArgumentException on an invalid shape, causal with {@code m != n}, or a thread count other than
   *     the engine's
   * @throws IllegalStateException if the PyTorch engine or the model cannot be loaded
   */
  public TorchSdpaAttention(int b, int h, int n, int m, int d, boolean causal, int threads, Path workDir) {
    this(b, h, n, m, d, causal, threads, workDir, Composition.CORE);
  }

  /**
   * As the core constructor, for a variant's composition (see {@link #script}): the bias and the rotary tables are
   * tensors made here, once, outside the timing; rotary, the value blend and the explicit soft-capped graph run
   * inside the timed forward.
   *
   * @throws IllegalArgumentException as the core constructor, or if the composition cannot be expressed
   */
  public TorchSdpaAttention(int b, int h, int n, int m, int d, boolean causal, int threads, Path workDir,
      Composition composition) {
    this.shape = new PeerShape(b, h, n, m, d, causal);
    this.composition = composition;
    if (causal && m != n && composition.bias() == null) {
      throw new IllegalArgumentException("pytorch SDPA: is_causal is top-left aligned, so causal needs m == n, got n="
          + n + " m=" + m);
    }
    String want = Integer.toString(threads);
    String had = System.getProperty("ai.djl.pytorch.num_threads");
    if (had != null && !had.equals(want)) {
      throw new IllegalArgumentException("pytorch SDPA: the engine runs " + had + " threads, asked for " + threads);
    }
    System.setProperty("ai.djl.pytorch.num_threads", want);
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    this.threads = threads;
    String name = (causal ? "sdpa_causal" : "sdpa") + (composition.isCore() ? ""
        : "_" + composition.variant().replace('-', '_'));
    String code = script(shape, composition);
    try {
      Files.createDirectories(workDir);
      writeArchive(workDir.resolve(name + ".pt"), code);
      this.model = Model.newInstance(name, "PyTorch");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      throw new IllegalStateException("pytorch SDPA: the DJL PyTorch engine did not start (offline="
          + System.getProperty("ai.djl.offline") + ", DJL_CACHE_DIR=" + System.getenv("DJL_CACHE_DIR") + ")", e);
    }
    try {
      model.load(workDir, name);
    } catch (IOException | MalformedModelException | RuntimeException e) {
      model.close();
      throw new IllegalStateException("pytorch SDPA: loading the TorchScript archive failed", e);
    }
    this.manager = model.getNDManager().newSubManager();
    this.block = model.getBlock();
    this.parameters = new ParameterStore(manager, false);
    this.extras = new NDList();
    Composition c = composition;
    if (c.bias() != null) {
      extras.add(manager.create(FloatBuffer.wrap(c.bias()), new Shape(c.biasBatch(), c.biasHeads(), n, m)));
    }
    if (c.rotary() != null) {
      float[][] tq = c.rotaryTables(c.queryPositions(), d);
      float[][] tk = c.rotaryTables(c.keyPositions(), d);
      extras.add(manager.create(FloatBuffer.wrap(tq[0]), new Shape(n, d)));
      extras.add(manager.create(FloatBuffer.wrap(tq[1]), new Shape(n, d)));
      extras.add(manager.create(FloatBuffer.wrap(tk[0]), new Shape(m, d)));
      extras.add(manager.create(FloatBuffer.wrap(tk[1]), new Shape(m, d)));
    }
    if (c.firstValues() != null) {
      extras.add(manager.create(FloatBuffer.wrap(c.firstValues()), new Shape(b, h, m, d)));
      extras.add(manager.create(FloatBuffer.wrap(c.mix()), new Shape(b, h, m, 1)));
    }
  }

  /**
   * The TorchScript source of the module: {@code forward(q, k, v[, bias][, cq, sq, ck, sk][, v1, lam])}. Rotary:
   * {@code x cos + swap(x) sin}, {@code swap} exchanging each interleaved pair (a reshape to {@code [.., d/2, 2]}
   * and a flip); value residual: {@code v1 + lam (v - v1)}; then {@code scaled_dot_product_attention} with the
   * bias as its float {@code attn_mask} (holding the causal mask; {@code is_causal} only without a bias), or, with
   * a soft-cap, the explicit graph {@code softmax(c tanh(q k^T τ / c) + bias) v}.
   */
  static String script(PeerShape s, Composition c) {
    StringBuilder args = new StringBuilder("    q: Tensor,\n    k: Tensor,\n    v: Tensor");
    StringBuilder body = new StringBuilder();
    if (c.bias() != null) {
      args.append(",\n    bias: Tensor");
    }
    if (c.rotary() != null) {
      args.append(",\n    cq: Tensor,\n    sq: Tensor,\n    ck: Tensor,\n    sk: Tensor");
      body.append(String.format(java.util.Locale.ROOT,
          "    q = q * cq + torch.flip(q.reshape([%d, %d, %d, %d, 2]), [-1]).reshape([%d, %d, %d, %d]) * sq%n",
          s.b(), s.h(), s.n(), s.d() / 2, s.b(), s.h(), s.n(), s.d()));
      body.append(String.format(java.util.Locale.ROOT,
          "    k = k * ck + torch.flip(k.reshape([%d, %d, %d, %d, 2]), [-1]).reshape([%d, %d, %d, %d]) * sk%n",
          s.b(), s.h(), s.m(), s.d() / 2, s.b(), s.h(), s.m(), s.d()));
    }
    if (c.firstValues() != null) {
      args.append(",\n    v1: Tensor,\n    lam: Tensor");
      body.append("    v = v1 + lam * (v - v1)\n");
    }
    String mask = c.bias() != null ? "bias" : "None";
    boolean isCausal = s.causal() && c.bias() == null;
    if (c.hasSoftCap()) {
      if (isCausal) {
        throw new IllegalArgumentException("pytorch soft-cap graph: a causal mask must come as a bias");
      }
      double scale = 1 / Math.sqrt(s.d());
      body.append(String.format(java.util.Locale.ROOT,
          "    s = torch.tanh(torch.matmul(q, torch.transpose(k, -2, -1)) * %s) * %s%n", Double.toString(scale / c.softCap()),
          Double.toString(c.softCap())));
      if (c.bias() != null) {
        body.append("    s = s + bias\n");
      }
      body.append("    return torch.matmul(torch.softmax(s, -1), v)\n");
    } else {
      body.append("    return torch.scaled_dot_product_attention(q, k, v, " + mask + ", 0., "
          + (isCausal ? "True" : "False") + ")\n");
    }
    return "class Sdpa(Module):\n"
        + "  __parameters__ = []\n"
        + "  __buffers__ = []\n"
        + "  training : bool\n"
        + "  def forward(self: __torch__.Sdpa,\n"
        + args + ") -> Tensor:\n"
        + body;
  }

  @Override
  public String name() {
    return "pytorch-sdpa-" + threads + "t";
  }

  @Override
  public String getNote() {
    Composition c = composition;
    StringBuilder in = new StringBuilder();
    if (c.rotary() != null) {
      in.append("rotary of q and k (x cos + swap(x) sin, fp32 tables [n|m, d] precomputed); ");
    }
    if (c.firstValues() != null) {
      in.append("value blend v1 + lam (v - v1); ");
    }
    String out = c.bias() == null ? "" : " Precomputed outside the timing: float attn_mask [" + c.biasBatch() + ", "
        + c.biasHeads() + ", n, m]" + (shape.causal() ? " including the causal -inf" : "") + ".";
    return "torch " + Engine.getEngine("PyTorch").getVersion() + " via DJL " + Engine.getDjlVersion()
        + ", TorchScript module calling " + (c.hasSoftCap() ? "an explicit matmul, c tanh(s/c), "
        + (c.bias() != null ? "+ bias, " : "") + "softmax, matmul graph (SDPA has no soft-cap)"
        : "scaled_dot_product_attention" + (c.bias() != null ? " with a float attn_mask" : ""))
        + "; forward allocates its output." + (in.length() == 0 ? "" : " In the timed forward: " + in) + out;
  }

  @Override
  public void setInputs(float[] q, float[] k, float[] v) {
    checkOpen();
    shape.checkInputs(q, k, v);
    if (inputs != null) {
      inputs.close();
    }
    Shape qShape = new Shape(shape.b(), shape.h(), shape.n(), shape.d());
    Shape kvShape = new Shape(shape.b(), shape.h(), shape.m(), shape.d());
    inputs = new NDList(manager.create(FloatBuffer.wrap(q), qShape), manager.create(FloatBuffer.wrap(k), kvShape),
        manager.create(FloatBuffer.wrap(v), kvShape));
    call = new NDList(inputs);
    call.addAll(extras);
  }

  @Override
  public void compute() {
    checkOpen();
    if (inputs == null) {
      throw new IllegalStateException(name() + ": setInputs first");
    }
    NDList result = block.forward(parameters, call, false);
    if (last != null) {
      last.close();
    }
    last = result;
  }

  @Override
  public void getOutput(float[] out) {
    checkOpen();
    shape.checkOutput(out);
    if (last == null) {
      throw new IllegalStateException(name() + ": compute first");
    }
    NDArray y = last.singletonOrThrow();
    y.toByteBuffer().asFloatBuffer().get(out);
  }

  /** Closes the tensors and the model. The engine stays loaded for the process. */
  @Override
  protected void release() {
    manager.close();
    model.close();
  }

  /**
   * Writes a TorchScript archive whose module {@code __torch__.Sdpa} has no parameters and one method,
   * {@code forward(q, k, v) = scaled_dot_product_attention(q, k, v, None, 0.0, causal)}. Entries are stored
   * (uncompressed) under one top-level folder, as {@code torch.jit.save} writes them.
   */
  static void writeArchive(Path file, boolean causal) throws IOException {
    writeArchive(file, script(new PeerShape(1, 1, 1, 1, 2, causal), Composition.CORE));
  }

  /** Writes a TorchScript archive whose module {@code __torch__.Sdpa} has the given source. */
  static void writeArchive(Path file, String code) throws IOException {
    // data.pkl, pickle protocol 2: the module object __torch__.Sdpa with state {"training": True}
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    data.write(new byte[] {(byte) 0x80, 2}); // PROTO 2
    data.writeBytes("c__torch__\nSdpa\n".getBytes(StandardCharsets.US_ASCII)); // GLOBAL
    data.write(new byte[] {')', (byte) 0x81, '}', 'X', 8, 0, 0, 0}); // EMPTY_TUPLE NEWOBJ EMPTY_DICT BINUNICODE(8)
    data.writeBytes("training".getBytes(StandardCharsets.US_ASCII));
    data.write(new byte[] {(byte) 0x88, 's', 'b', '.'}); // NEWTRUE SETITEM BUILD STOP
    try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
      stored(zip, "sdpa/data.pkl", data.toByteArray());
      stored(zip, "sdpa/code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
      stored(zip, "sdpa/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // PROTO 2, EMPTY_TUPLE, STOP
      stored(zip, "sdpa/version", "3\n".getBytes(StandardCharsets.US_ASCII));
      stored(zip, "sdpa/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
    }
  }

  private static void stored(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(bytes.length);
    CRC32 crc = new CRC32();
    crc.update(bytes);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(bytes);
    zip.closeEntry();
  }
}
