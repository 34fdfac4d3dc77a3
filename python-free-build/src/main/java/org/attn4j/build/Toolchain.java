package org.attn4j.build;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.attn4j.tvm.Attn4jException;

/** The system tools a build runs: the C++ compiler (linking) and {@code nvcc} (PTX). */
public final class Toolchain {
  private Toolchain() {}

  /** The C++ compiler: {@code $CXX}, else {@code c++}, else {@code g++}. */
  public static String cxx() {
    String env = System.getenv("CXX");
    if (env != null && !env.isBlank()) {
      return env;
    }
    return onPath("c++") ? "c++" : "g++";
  }

  /** {@code nvcc}: {@code $NVCC}, else {@code $CUDA_HOME/bin/nvcc}, else {@code nvcc} on the PATH. */
  public static String nvcc() {
    String env = System.getenv("NVCC");
    if (env != null && !env.isBlank()) {
      return env;
    }
    String home = System.getenv("CUDA_HOME");
    if (home != null && Files.isExecutable(Path.of(home, "bin", "nvcc"))) {
      return Path.of(home, "bin", "nvcc").toString();
    }
    return "nvcc";
  }

  /** Whether {@code tool} is an executable on the PATH. */
  public static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  /** Whether nvcc can be run. */
  public static boolean hasNvcc() {
    String n = nvcc();
    return n.contains("/") ? Files.isExecutable(Path.of(n)) : onPath(n);
  }

  /**
   * Runs a command, returning its combined output.
   *
   * @throws Attn4jException naming the command and its output if it fails or times out
   */
  public static String run(List<String> command, long timeoutSeconds) {
    try {
      Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new Attn4jException("timed out after " + timeoutSeconds + " s: " + String.join(" ", command));
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new Attn4jException(
            "failed (exit " + p.exitValue() + "): " + String.join(" ", command) + "\n" + text);
      }
      return text;
    } catch (IOException e) {
      throw new Attn4jException("could not run " + command.get(0) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Attn4jException("interrupted: " + String.join(" ", command), e);
    }
  }
}
