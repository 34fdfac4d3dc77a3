package org.attn4j.bench.peers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times the peers side by side on the reference shape {@code b=1, h=8, n=m=1024, d=64}, non-causal and causal.
 *
 * <p>Peers: {@link NaiveJavaAttention} (single-threaded) and {@link OnnxRuntimeAttention} with 1 and 2 intra-op
 * threads. Each peer is first warmed up (at least 3 calls and 0.5 s), then the peers are interleaved over
 * {@value #ROUNDS} rounds (A, B, C, A, B, C, ...); in each round a peer makes as many calls as fit in about
 * 0.2 s (at least one) and every call is one sample. Reported: best and median milliseconds per call, and
 * GFLOP/s from {@code 4*b*h*n*m*d} FLOPs (halved for causal; softmax not counted) at the best and median time.
 * The ONNX Runtime times include its input and output copies (see {@link OnnxRuntimeAttention}). Each peer's
 * output is also checked against the naive peer's (max abs difference printed).
 *
 * <p>Run with {@code mvn -pl modules/bench compile exec:java -Dexec.mainClass=org.attn4j.bench.peers.PeerTiming}.
 */
public final class PeerTiming {

  private static final int B = 1;
  private static final int H = 8;
  private static final int N = 1024;
  private static final int M = 1024;
  private static final int D = 64;
  private static final int ROUNDS = 5;
  private static final long WARMUP_NANOS = 500_000_000L;
  private static final int WARMUP_MIN_CALLS = 3;
  private static final long ROUND_NANOS = 200_000_000L;

  private PeerTiming() {}

  /**
   * Runs the timing and prints a table per mode to standard output.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    System.out.printf(Locale.ROOT, "shape b=%d h=%d n=%d m=%d d=%d, float32, forward; %d available processors, %s%n",
        B, H, N, M, D, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
    for (boolean causal : new boolean[] {false, true}) {
      timeMode(causal);
    }
  }

  private static void timeMode(boolean causal) {
    SplittableRandom rnd = new SplittableRandom(42);
    float[] q = random(rnd, B * H * N * D);
    float[] k = random(rnd, B * H * M * D);
    float[] v = random(rnd, B * H * M * D);
    double flops = 4.0 * B * H * N * M * D * (causal ? 0.5 : 1.0);

    List<AttentionPeer> peers = new ArrayList<>();
    try {
      peers.add(new NaiveJavaAttention(B, H, N, M, D, causal));
      peers.add(new OnnxRuntimeAttention(B, H, N, M, D, causal, 1));
      peers.add(new OnnxRuntimeAttention(B, H, N, M, D, causal, 2));
      int count = peers.size();
      float[][] outs = new float[count][B * H * N * D];
      int[] callsPerRound = new int[count];
      for (int p = 0; p < count; p++) {
        AttentionPeer peer = peers.get(p);
        long start = System.nanoTime();
        int calls = 0;
        while (calls < WARMUP_MIN_CALLS || System.nanoTime() - start < WARMUP_NANOS) {
          peer.run(q, k, v, outs[p]);
          calls++;
        }
        double perCall = (double) (System.nanoTime() - start) / calls;
        callsPerRound[p] = (int) Math.max(1, Math.round(ROUND_NANOS / perCall));
      }
      List<List<Double>> samples = new ArrayList<>();
      for (int p = 0; p < count; p++) {
        samples.add(new ArrayList<>());
      }
      for (int round = 0; round < ROUNDS; round++) {
        for (int p = 0; p < count; p++) {
          AttentionPeer peer = peers.get(p);
          for (int c = 0; c < callsPerRound[p]; c++) {
            long t0 = System.nanoTime();
            peer.run(q, k, v, outs[p]);
            samples.get(p).add((System.nanoTime() - t0) / 1e6);
          }
        }
      }
      System.out.printf(Locale.ROOT, "%n%s (%.3f GFLOP per call)%n", causal ? "causal" : "non-causal", flops / 1e9);
      System.out.printf(Locale.ROOT, "%-30s %8s %9s %9s %10s %10s %12s%n",
          "peer", "samples", "best ms", "median ms", "best GF/s", "med GF/s", "max|diff|");
      for (int p = 0; p < count; p++) {
        double[] ms = samples.get(p).stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double best = ms[0];
        double median = ms.length % 2 == 1 ? ms[ms.length / 2] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
        System.out.printf(Locale.ROOT, "%-30s %8d %9.2f %9.2f %10.1f %10.1f %12.2e%n",
            peers.get(p).name(), ms.length, best, median, flops / best / 1e6, flops / median / 1e6,
            maxAbsDiff(outs[p], outs[0]));
      }
    } finally {
      for (AttentionPeer peer : peers) {
        peer.close();
      }
    }
  }

  private static float[] random(SplittableRandom rnd, int len) {
    float[] a = new float[len];
    for (int i = 0; i < len; i++) {
      a[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return a;
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs((double) a[i] - b[i]));
    }
    return Arrays.equals(a, b) ? 0 : max;
  }
}
