package org.attn4j.bench;

import java.util.Arrays;
import org.attn4j.bench.Results.Status;
import org.attn4j.bench.peers.AttentionPeer;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.Causal;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.jspecify.annotations.Nullable;

/**
 * The gate every timing passes first: seeded inputs for one shape, {@code q [b, h, n, d]} and
 * {@code k, v [b, h, m, d]} (uniform in {@code [-1, 1]}, seeds 1, 2, 3), the oracle's output for them
 * ({@code out [b, h, n, d]}, from {@code modules/reference}, double accumulation), and {@link #verify}, which runs
 * an implementation once on those inputs and compares within {@link Tolerances#FP32}. {@link BenchMain} and the
 * JMH states ({@code org.attn4j.bench.jmh}) both check through it, so a kernel that is wrong is never timed.
 *
 * <p>Example:
 * <pre>{@code
 * OracleCheck check = OracleCheck.of(shape, BenchVariant.ROTARY.setup(shape));
 * OracleCheck.Verdict v = check.verify(peer); // peer's inputs stay staged: peer.compute() is ready to time
 * }</pre>
 *
 * @param q queries {@code [b, h, n, d]}, borrowed by every verification
 * @param k keys {@code [b, h, m, d]}
 * @param v values {@code [b, h, m, d]}
 * @param expected the oracle's output {@code [b, h, n, d]}
 */
public record OracleCheck(float[] q, float[] k, float[] v, float[] expected) {

  /**
   * The outcome of one verification.
   *
   * @param status {@link Status#OK} if every element is within the bound, else {@link Status#FAILED}
   * @param maxAbsError the largest {@code |out - expected|} (NaN if the run threw)
   * @param bound the FP32 bound for this output, {@code abs + rel max|expected|} (NaN if the run threw)
   * @param error what the run threw, as {@link #message}, or null
   */
  public record Verdict(Status status, double maxAbsError, double bound, @Nullable String error) {}

  /** Checks that the four arrays are there. */
  public OracleCheck {
    if (q.length == 0 || k.length == 0 || v.length != k.length || expected.length != q.length) {
      throw new IllegalArgumentException("oracle check: expected q and out [b, h, n, d], k and v [b, h, m, d], got "
          + q.length + ", " + k.length + ", " + v.length + " and " + expected.length + " values");
    }
  }

  /**
   * The seeded inputs for {@code s} and the oracle's output for the variant's case on them (seconds for a
   * reference shape: the oracle is plain Java in double).
   *
   * @param c the variant's case on {@code s} ({@link BenchVariant#setup})
   */
  public static OracleCheck of(Shape s, BenchVariant.Case c) {
    float[] q = TestData.uniform(1, s.qSize(), -1, 1);
    float[] k = TestData.uniform(2, s.kvSize(), -1, 1);
    float[] v = TestData.uniform(3, s.kvSize(), -1, 1);
    float[] expected = c.variant() == BenchVariant.CORE
        ? CoreAttentionOracle.run(CoreAttentionOracle.Options.builder().shape(s.b(), s.h(), s.h(), s.n(), s.m(),
            s.d()).causal(s.causal() ? Causal.BOTTOM_RIGHT : Causal.NONE).build(), q, k, v)
        : AttentionOracle.run(c.oracle(), q, k, v);
    return new OracleCheck(q, k, v, expected);
  }

  /**
   * Runs {@code p} once on the inputs ({@link AttentionPeer#run}, so they stay staged for later
   * {@link AttentionPeer#compute} calls) and compares its output with the oracle's. Borrows {@code p}; a run that
   * throws gives a FAILED verdict carrying the message, not an exception.
   */
  public Verdict verify(AttentionPeer p) {
    try {
      float[] out = new float[q.length];
      Arrays.fill(out, Float.NaN);
      p.run(q, k, v, out);
      Comparison c = Tolerances.compare(out, expected);
      return new Verdict(c.isWithin(Tolerances.FP32) ? Status.OK : Status.FAILED, c.getMaxAbsError(),
          Tolerances.FP32.bound(c.getMaxAbsExpected()), null);
    } catch (RuntimeException e) {
      return new Verdict(Status.FAILED, Double.NaN, Double.NaN, message(e));
    }
  }

  /** {@return {@code e} and its causes on one line, {@code "Type: message <- Cause: message"}} */
  public static String message(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = e; c != null; c = c.getCause()) {
      sb.append(sb.length() == 0 ? "" : " <- ").append(c.getClass().getSimpleName()).append(": ")
          .append(c.getMessage());
    }
    return sb.toString().replace('\n', ' ');
  }
}
