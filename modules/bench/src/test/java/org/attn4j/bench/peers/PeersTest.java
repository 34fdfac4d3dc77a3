package org.attn4j.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.nio.file.Path;
import org.attn4j.reference.Causal;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.Tolerances;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PeersTest {

  @TempDir static Path torchDir;

  private static final double TOL = 1e-4;

  /** The oracle of modules/reference; causal is right-aligned (j <= i + m - n). */
  static float[] oracle(float[] q, float[] k, float[] v, int b, int h, int n, int m, int d, boolean causal) {
    return CoreAttentionOracle.run(CoreAttentionOracle.Options.builder().shape(b, h, h, n, m, d)
        .causal(causal ? Causal.BOTTOM_RIGHT : Causal.NONE).build(), q, k, v);
  }

  static Stream<Arguments> shapes() {
    List<Arguments> cases = new ArrayList<>();
    for (int nm : new int[] {8, 16}) {
      for (int d : new int[] {4, 8, 12, 16}) {
        for (boolean causal : new boolean[] {false, true}) {
          cases.add(Arguments.of(2, 2, nm, nm, d, causal));
        }
      }
    }
    // m > n: exercises the right alignment (and ONNX Runtime's explicit-mask path)
    cases.add(Arguments.of(2, 2, 8, 16, 8, true));
    cases.add(Arguments.of(2, 2, 8, 16, 8, false));
    cases.add(Arguments.of(1, 3, 5, 9, 7, true));
    return cases.stream();
  }

  private static float[] random(SplittableRandom rnd, int len, double amplitude) {
    float[] a = new float[len];
    for (int i = 0; i < len; i++) {
      a[i] = (float) ((rnd.nextDouble() * 2 - 1) * amplitude);
    }
    return a;
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      double diff = Math.abs((double) a[i] - b[i]);
      if (Double.isNaN(diff)) {
        return Double.POSITIVE_INFINITY;
      }
      max = Math.max(max, diff);
    }
    return max;
  }

  @ParameterizedTest(name = "b={0} h={1} n={2} m={3} d={4} causal={5}")
  @MethodSource("shapes")
  void peersAgreeWithOracleAndEachOther(int b, int h, int n, int m, int d, boolean causal) {
    SplittableRandom rnd = new SplittableRandom(31L * n + 7L * m + d + (causal ? 1000 : 0));
    // amplitude 2 gives peaked softmax rows, so the mask and the max subtraction matter
    float[] q = random(rnd, b * h * n * d, 2);
    float[] k = random(rnd, b * h * m * d, 2);
    float[] v = random(rnd, b * h * m * d, 1);
    float[] expected = oracle(q, k, v, b, h, n, m, d, causal);

    List<float[]> results = new ArrayList<>();
    List<String> names = new ArrayList<>();
    try (AttentionPeer naive = new NaiveJavaAttention(b, h, n, m, d, causal);
        AttentionPeer ort1 = new OnnxRuntimeAttention(b, h, n, m, d, causal, 1);
        AttentionPeer ort2 = new OnnxRuntimeAttention(b, h, n, m, d, causal, 2);
        AttentionPeer mha = new OnnxRuntimeAttention(b, h, n, m, d, causal, 1,
            OnnxAttentionModel.Op.MULTI_HEAD_ATTENTION);
        AttentionPeer blas1 = new OpenBlasAttention(b, h, n, m, d, causal, 1);
        AttentionPeer blas3 = new OpenBlasAttention(b, h, n, m, d, causal, 3);
        AttentionPeer torch = causal && m != n ? null : new TorchSdpaAttention(b, h, n, m, d, causal, 1, torchDir)) {
      List<AttentionPeer> peers = new ArrayList<>(List.of(naive, ort1, ort2, mha, blas1, blas3));
      if (torch != null) {
        peers.add(torch);
      } else {
        assertThatThrownBy(() -> new TorchSdpaAttention(b, h, n, m, d, true, 1, torchDir))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("causal needs m == n");
      }
      for (AttentionPeer peer : peers) {
        float[] out = new float[b * h * n * d];
        java.util.Arrays.fill(out, Float.NaN);
        peer.run(q, k, v, out);
        peer.run(q, k, v, out); // a second call reuses the buffers and tensors
        results.add(out);
        names.add(peer.name());
      }
    }
    assertThat(names.get(1)).isEqualTo("onnxruntime-Attention23-1t");
    assertThat(names.get(3)).isEqualTo("onnxruntime-MultiHeadAttention-1t");
    assertThat(names.get(5)).isEqualTo("openblas-sgemm+softmax-3t");
    for (int p = 0; p < results.size(); p++) {
      Comparison c = Tolerances.compare(results.get(p), expected);
      assertThat(c.isWithin(Tolerances.FP32)).as("%s vs oracle: %s", names.get(p), c).isTrue();
      for (int r = 0; r < p; r++) {
        assertThat(maxAbsDiff(results.get(p), results.get(r)))
            .as("%s vs %s", names.get(p), names.get(r)).isLessThanOrEqualTo(TOL);
      }
    }
  }

  @Test
  void causalActuallyMasks() {
    int b = 1;
    int h = 1;
    int n = 4;
    int d = 4;
    SplittableRandom rnd = new SplittableRandom(5);
    float[] q = random(rnd, n * d, 1);
    float[] k = random(rnd, n * d, 1);
    float[] v = random(rnd, n * d, 1);
    try (AttentionPeer causal = new NaiveJavaAttention(b, h, n, n, d, true);
        AttentionPeer ortCausal = new OnnxRuntimeAttention(b, h, n, n, d, true, 1)) {
      float[] a = new float[n * d];
      float[] c = new float[n * d];
      causal.run(q, k, v, a);
      ortCausal.run(q, k, v, c);
      // row 0 attends to key 0 only: its output is v row 0
      for (int t = 0; t < d; t++) {
        assertThat((double) a[t]).isCloseTo(v[t], org.assertj.core.data.Offset.offset(1e-6));
        assertThat((double) c[t]).isCloseTo(v[t], org.assertj.core.data.Offset.offset(1e-6));
      }
    }
  }

  @Test
  void rejectsBadInput() {
    assertThatThrownBy(() -> new NaiveJavaAttention(1, 1, 8, 4, 4, true))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new OnnxRuntimeAttention(1, 1, 4, 4, 4, false, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new OpenBlasAttention(1, 1, 4, 4, 4, false, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threads must be >= 1");
    OpenBlasAttention blas = new OpenBlasAttention(1, 1, 4, 4, 4, false, 2);
    assertThatThrownBy(() -> blas.setInputs(new float[16], new float[12], new float[16]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k: expected b*h*m*d = 16 floats, got 12");
    blas.close();
    blas.close(); // idempotent
    assertThatThrownBy(blas::compute).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    try (AttentionPeer peer = new NaiveJavaAttention(1, 1, 4, 4, 4, false)) {
      assertThatThrownBy(() -> peer.run(new float[16], new float[16], new float[16], new float[15]))
          .isInstanceOf(IllegalArgumentException.class);
    }
    OnnxRuntimeAttention ort = new OnnxRuntimeAttention(1, 1, 4, 4, 4, false, 1);
    ort.close();
    ort.close(); // idempotent
    assertThatThrownBy(() -> ort.run(new float[16], new float[16], new float[16], new float[16]))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void protoWriterEncodesVarintsAndFields() {
    byte[] bytes = new ProtoWriter().int64(1, 300).string(2, "hi").int64(3, -1).float32(4, 1f).toByteArray();
    byte[] expected = {
      0x08, (byte) 0xAC, 0x02, // field 1 varint 300
      0x12, 0x02, 'h', 'i', // field 2 len 2
      0x18, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
      (byte) 0xFF, (byte) 0xFF, 0x01, // field 3 varint -1 (ten bytes)
      0x25, 0x00, 0x00, (byte) 0x80, 0x3F // field 4 fixed32 1.0f
    };
    assertThat(bytes).containsExactly(expected);
  }
}
