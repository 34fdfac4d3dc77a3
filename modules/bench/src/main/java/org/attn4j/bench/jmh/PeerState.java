package org.attn4j.bench.jmh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import org.attn4j.bench.BenchVariant;
import org.attn4j.bench.Impl;
import org.attn4j.bench.OracleCheck;
import org.attn4j.bench.Results;
import org.attn4j.bench.Results.Status;
import org.attn4j.bench.Shape;
import org.attn4j.bench.peers.AttentionPeer;
import org.attn4j.bench.peers.Attn4jPeer;
import org.attn4j.runtime.Threads;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One implementation ({@link Impl}: attn4j or a peer) of one variant on one shape, created and checked against the
 * oracle once per trial, before any timing: the JMH state behind every {@link AttentionBenchmark} method.
 *
 * <p>{@link #setUp} builds the variant's case ({@link BenchVariant#setup}), the seeded inputs
 * {@code q [b, h, n, d]}, {@code k, v [b, h, m, d]} and the oracle's output ({@link OracleCheck}), creates the
 * implementation with {@link Impl#create} (for attn4j: the artifact compiled or copied from the attn4j cache, then
 * loaded; the time is printed and recorded, never part of a JMH score), runs it once and compares within
 * {@code Tolerances.FP32}. A wrong output fails the trial, so it is never timed. The inputs stay staged: the
 * benchmark times {@link AttentionPeer#compute} alone.
 *
 * <p>Each check is printed and appended, with this fork's environment (JVM, flags, Arrow bounds checking, thread
 * variables), to {@code checks.csv} and {@code env.csv} in {@code -Dattn4j.jmh.out} (default {@code target/jmh};
 * artifacts and models go to its {@code work/}), which {@link JmhReport} reads.
 *
 * <p>A combination that cannot run fails its trial with an {@link UnsupportedOperationException} whose message
 * starts {@value #NOT_APPLICABLE} (FoX on a non-causal shape, PyTorch's causal mode with {@code n < m}); it is
 * recorded as UNSUPPORTED. One that cannot be created here (a native library that does not load) is recorded as
 * UNAVAILABLE and its error rethrown. A check that fails throws an {@link IllegalStateException} whose message
 * contains {@value #CHECK_FAILED}.
 *
 * <p>Threads: {@code threads} is given to the peers that take a thread count; attn4j's kernels run on TVM's pool,
 * which TVM sizes once per process from {@code TVM_NUM_THREADS}, so the trial fails unless the pool has
 * {@code threads} threads. Run one JMH per thread count with {@code TVM_NUM_THREADS} set (forks inherit the
 * environment), as {@code ci/jmh.sh} does.
 */
@State(Scope.Benchmark)
public abstract class PeerState {

  /** The start of the message of a trial that cannot run (recorded as UNSUPPORTED, not a failure of the run). */
  public static final String NOT_APPLICABLE = "not applicable, not timed: ";
  /** In the message of a trial whose implementation gave a wrong result. */
  public static final String CHECK_FAILED = "FAILED the oracle check";
  /** The system property naming the output directory ({@code target/jmh} without it). */
  public static final String OUT = "attn4j.jmh.out";

  /**
   * The shape, {@code BxHxNxMxD} with a {@code c} suffix for causal ({@link Shape#parse}): the reference shape
   * {@code b=1 h=8 n=m=1024 d=64} and its causal twin, and a small causal shape for smoke runs.
   */
  @Param({"1x8x1024x1024x64", "1x8x1024x1024x64c", "2x4x128x128x32c"})
  public String shape = "";

  /** The thread count of this JMH run; {@code TVM_NUM_THREADS} must give TVM's pool as many. */
  @Param("1")
  public int threads;

  private final Impl impl;
  private @Nullable AttentionPeer peer;
  private BenchVariant.@Nullable Case checked;

  /** A state for {@code impl}. */
  protected PeerState(Impl impl) {
    this.impl = impl;
  }

  /** {@return the variant this state runs; the core unless a subclass has a variant axis} */
  protected BenchVariant variant() {
    return BenchVariant.CORE;
  }

  /**
   * Creates the implementation and checks it against the oracle; see the class comment. On failure nothing stays
   * open.
   *
   * @throws UnsupportedOperationException if the combination cannot run ({@value #NOT_APPLICABLE}...)
   * @throws IllegalStateException if the output is wrong ({@value #CHECK_FAILED}) or the thread pool does not
   *     have {@code threads} threads
   */
  @Setup(Level.Trial)
  public void setUp() {
    Shape s = Shape.parse(shape);
    BenchVariant bv = variant();
    Path out = Path.of(System.getProperty(OUT, "target/jmh"));
    BenchVariant.Case c;
    AttentionPeer p;
    long t0;
    try {
      c = bv.setup(s);
      t0 = System.nanoTime();
      p = create(s, c, out.resolve("work"));
    } catch (RuntimeException | LinkageError e) {
      boolean unsupported = e instanceof IllegalArgumentException;
      record(out, new Results.Check(threads, shape, id(), id(), unsupported ? Status.UNSUPPORTED
          : Status.UNAVAILABLE, Double.NaN, Double.NaN, Double.NaN, OracleCheck.message(e), bv.getId()));
      if (unsupported) {
        throw new UnsupportedOperationException(NOT_APPLICABLE + id() + " " + bv.getId() + " " + shape
            + ": " + e.getMessage(), e);
      }
      throw e;
    }
    double loadMs = (System.nanoTime() - t0) / 1e6;
    try {
      if (p instanceof Attn4jPeer && Threads.count() != threads) {
        throw new IllegalStateException(String.format(Locale.ROOT, "threads=%d but TVM's pool has %d threads "
            + "(TVM_NUM_THREADS=%s): run one JMH per thread count with TVM_NUM_THREADS set to it, as ci/jmh.sh "
            + "does", threads, Threads.count(), System.getenv("TVM_NUM_THREADS")));
      }
      OracleCheck.Verdict v = OracleCheck.of(s, c).verify(p);
      record(out, new Results.Check(threads, shape, id(), p.name(), v.status(), v.maxAbsError(),
          v.bound(), loadMs, v.error() == null ? p.getNote() : v.error(), bv.getId()));
      if (v.status() != Status.OK) {
        throw new IllegalStateException(String.format(Locale.ROOT, "%s %s %s: %s, max|err| %.2e > bound %.2e "
            + "(Tolerances.FP32)%s; not timed", id(), bv.getId(), shape, CHECK_FAILED, v.maxAbsError(),
            v.bound(), v.error() == null ? "" : ": " + v.error()));
      }
    } catch (RuntimeException e) {
      p.close();
      throw e;
    }
    peer = p;
    checked = c;
  }

  /** {@return the implementation's id in checks and reports: the {@link Impl} id, which is the method's name} */
  String id() {
    return impl.getId();
  }

  /**
   * Creates the implementation (caller must close); tests replace it with a wrong one.
   *
   * @throws IllegalArgumentException if it has no composition for the case
   */
  AttentionPeer create(Shape s, BenchVariant.Case c, Path work) {
    return impl.create(s, c, threads, work);
  }

  private void record(Path out, Results.Check check) {
    System.out.println(check.line());
    Results r = new Results();
    r.checks.add(check);
    r.addEnvironment(threads);
    try {
      r.append(out);
    } catch (IOException e) {
      throw new UncheckedIOException("writing the check into " + out, e);
    }
  }

  /**
   * One steady-state call: {@link AttentionPeer#compute} on the staged inputs, into the implementation's own
   * output. Returns the peer, so the call's result is consumed.
   *
   * @throws IllegalStateException if {@link #setUp} did not succeed
   */
  public final AttentionPeer call() {
    AttentionPeer p = peer();
    p.compute();
    return p;
  }

  /**
   * {@return the checked implementation, owned by this state}
   *
   * @throws IllegalStateException if {@link #setUp} did not succeed, or after {@link #tearDown}
   */
  public final AttentionPeer peer() {
    if (peer == null) {
      throw new IllegalStateException(id() + " " + shape + ": not set up (or torn down)");
    }
    return peer;
  }

  /**
   * {@return the variant's case the implementation was checked on}
   *
   * @throws IllegalStateException if {@link #setUp} did not succeed
   */
  public final BenchVariant.Case checkedCase() {
    if (checked == null) {
      throw new IllegalStateException(id() + " " + shape + ": not set up");
    }
    return checked;
  }

  /** Closes the implementation; idempotent. */
  @TearDown(Level.Trial)
  public void tearDown() {
    if (peer != null) {
      peer.close();
      peer = null;
    }
  }

  /**
   * A state with a variant axis: every {@link BenchVariant}, run by attn4j as one fused kernel and by a peer as its
   * composition ({@code Composition}: a float bias, rotary around the call, ...).
   */
  public abstract static class WithVariant extends PeerState {

    /** The variant's id ({@link BenchVariant#getId()}). */
    @Param({"core", "alibi", "rotary", "rotary-cross", "fox", "fox-decay", "value-residual", "softcap", "window"})
    public String variant = "";

    /** A state for {@code impl}. */
    protected WithVariant(Impl impl) {
      super(impl);
    }

    @Override
    protected BenchVariant variant() {
      return BenchVariant.parse(variant);
    }
  }
}
