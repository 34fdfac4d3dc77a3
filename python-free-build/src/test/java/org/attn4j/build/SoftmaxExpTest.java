package org.attn4j.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.attn4j.runtime.Device;
import org.attn4j.runtime.DeviceArray;
import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.LoopNest;
import org.attn4j.te.LoopNest.Buf;
import org.attn4j.te.Te;
import org.attn4j.tvm.TvmFunction;
import org.attn4j.tvm.TvmModule;
import org.attn4j.tvm.TvmNatives;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Te#expNonPositive}, the CPU flash kernel's softmax exponential, compiled for the host as 16-lane vectors
 * (the way cpu-flash uses it) and checked against {@link Math#exp} in double precision over its whole contract
 * {@code [-87, 0]}, plus the clamp below it. Tolerance: 2.5e-7 relative (the design figure, from a float
 * simulation with FMAs, is 1.8e-7); {@code e^0} must be exactly 1.
 */
class SoftmaxExpTest {
  static final int N = 1 << 16;

  @BeforeAll
  static void loadTheCompiler() {
    TvmNatives.ensureCompiler(false);
  }

  @Test
  void matchesMathExpOnItsRange(@TempDir Path dir) {
    float[] x = new float[N];
    // a dense sweep of [-87, 0] and a logarithmic one towards 0 (f near ±1/2 and tiny arguments)
    for (int i = 0; i < N / 2; i++) {
      x[i] = (float) (-87.0 * i / (N / 2 - 1));
      x[N / 2 + i] = (float) -Math.pow(10, -9 + 10.0 * i / (N / 2)); // -1e-9 .. -1e1
    }
    float[] y = run(dir, x);
    double worst = 0;
    float worstAt = 0;
    for (int i = 0; i < N; i++) {
      double exact = Math.exp(x[i]);
      double rel = Math.abs(y[i] / exact - 1);
      if (rel > worst) {
        worst = rel;
        worstAt = x[i];
      }
    }
    assertThat(worst).as("max relative error (at x = %s)", worstAt).isLessThan(2.5e-7);
    assertThat(y[0]).as("e^0").isEqualTo(1.0f);
  }

  @Test
  void clampsBelowItsRangeToATinyNormalFloat(@TempDir Path dir) {
    float[] x = new float[N];
    java.util.Arrays.fill(x, -1e30f);
    x[1] = -Float.MAX_VALUE;
    x[2] = -88f;
    x[3] = -1000f;
    float[] y = run(dir, x);
    float atClamp = (float) Math.exp(-87.0);
    for (int i = 0; i < 4; i++) {
      assertThat((double) y[i]).as("x = %s", x[i]).isCloseTo(atClamp, org.assertj.core.data.Percentage.withPercentage(1e-4));
      assertThat(Math.getExponent(y[i])).as("normal").isGreaterThanOrEqualTo(Float.MIN_EXPONENT);
    }
  }

  /** Compiles {@code y[i] = expNonPositive(x[i])} for the host and runs it on {@code x}. */
  private static float[] run(Path dir, float[] x) {
    Path lib = dir.resolve("exp.so");
    try (Te te = Te.create()) {
      LoopNest ln = new LoopNest(te);
      Buf in = ln.param("x", DType.FLOAT32, 64, te.constant(N, DType.INT64));
      Buf out = ln.param("y", DType.FLOAT32, 64, te.constant(N, DType.INT64));
      ln.loop("o", N / 16, LoopNest.Kind.SERIAL, o -> ln.loop("i", 16, LoopNest.Kind.VECTORIZED, i -> {
        Expr at = o.times(te.constant(16, DType.INT64)).plus(i);
        ln.store(out, te.expNonPositive(in.get(at)), at);
      }));
      KernelCompiler.compileModule(te, KernelCompiler.module(te.scope(), ln.function("exp_np")), false,
          BuildTarget.hostCpu(), lib, "exp_np", Progress.silent());
    }
    Device cpu = Device.cpu();
    try (TvmModule mod = TvmModule.load(lib);
        TvmFunction f = mod.getFunction("exp_np");
        DeviceArray xs = DeviceArray.copyOf(cpu, new long[] {N}, x);
        DeviceArray ys = DeviceArray.allocate(cpu, "float32", N);
        TvmFunction.Frame frame = f.newFrame(2)) {
      frame.setTensor(0, xs.getTensor());
      frame.setTensor(1, ys.getTensor());
      frame.invoke();
      return ys.toFloatArray();
    }
  }
}
