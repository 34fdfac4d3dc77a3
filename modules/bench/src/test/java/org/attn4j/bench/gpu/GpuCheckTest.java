package org.attn4j.bench.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GpuCheck's exit codes without artifacts (the artifact runs are exercised by ci/gpu-check.sh). */
class GpuCheckTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  @Test
  void noArtifactsIsAUsageError() {
    assertThat(GpuCheck.run(new String[0], out)).isEqualTo(2);
    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("usage: GpuCheck");
  }

  @Test
  void anUnreadableArtifactFails(@TempDir Path empty) {
    assertThat(GpuCheck.run(new String[] {"--seed", "1", empty.toString()}, out)).isEqualTo(1);
    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("FAIL " + empty).contains("1 failure(s)");
  }
}
