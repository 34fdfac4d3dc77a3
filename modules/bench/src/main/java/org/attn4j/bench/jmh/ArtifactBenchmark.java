package org.attn4j.bench.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.attn4j.bench.peers.Attn4jPeer;
import org.attn4j.build.ArtifactBuilder;
import org.attn4j.runtime.AttentionKernel;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What attn4j costs before its first call, kept apart from {@link AttentionBenchmark}'s steady state: the AOT
 * compile of a variant's artifact and the load of a built one, one shot per iteration
 * ({@link Mode#SingleShotTime}), over the same {@code variant} × {@code shape} × {@code threads} × {@code target}
 * axes. The
 * compiled code depends on {@code h}, {@code d} and the causal mode, not on {@code b}, {@code n}, {@code m}
 * (symbolic).
 *
 * <p>Both take the checked {@link AttentionBenchmark.Attn4j} state: its kernel is built, loaded and checked against
 * the oracle before the first shot, so only artifacts of a correct kernel are timed. The process has loaded the
 * compiler and TVM's runtime by then; a fresh JVM's start-up is {@code StartupProbe}'s business.
 *
 * <ul>
 *   <li>{@link #compile}: {@code ArtifactBuilder.build} into an empty attn4j cache (a new directory per shot,
 *       {@code -Dattn4j.cache.dir} pointed at it), so it lowers, generates LLVM code, links and writes the
 *       manifest: what a build of one artifact costs with the compiler warm in the process.</li>
 *   <li>{@link #load}: {@link AttentionKernel#load} (manifest checks, library sha256, {@code dlopen}, function
 *       lookup) of a copy of the artifact in a new directory per shot, so the library is mapped afresh; the kernel
 *       is closed after the shot, outside the timing.</li>
 * </ul>
 * Shot directories go under {@code <-Dattn4j.jmh.out>/work} and are left there ({@code ci/jmh.sh} empties it).
 */
@Fork(value = 1, jvmArgsAppend = {AttentionBenchmark.ADD_OPENS, AttentionBenchmark.STACK,
    AttentionBenchmark.DJL_OFFLINE})
public class ArtifactBenchmark {

  /** The AOT build of the variant's artifact into an empty cache. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 1)
  @Measurement(iterations = 3)
  public ArtifactBuilder.Built compile(AttentionBenchmark.Attn4j kernel, EmptyCache cache) {
    return Attn4jPeer.build(kernel.checkedCase().attn4j(), kernel.buildTarget(), cache.artifacts());
  }

  /** The load of a built artifact, from a directory this process has not loaded yet. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 3)
  @Measurement(iterations = 10)
  public AttentionKernel load(AttentionBenchmark.Attn4j kernel, FreshCopy copy) throws IOException {
    return copy.hold(AttentionKernel.load(copy.directory()));
  }

  /** A new directory per shot under {@code work/}; caller keeps what it writes there. */
  static Path shotDirectory(String kind) throws IOException {
    Path parent = Path.of(System.getProperty(PeerState.OUT, "target/jmh"), "work", kind);
    return Files.createTempDirectory(Files.createDirectories(parent), "shot-");
  }

  /** Per shot: an empty attn4j cache, the system property restored after the shot. */
  @State(Scope.Benchmark)
  public static class EmptyCache {
    private static final String PROPERTY = "attn4j.cache.dir";
    private @Nullable Path artifacts;
    private @Nullable String saved;

    /** Points {@code attn4j.cache.dir} at a new, empty directory. */
    @Setup(Level.Iteration)
    public void empty() throws IOException {
      Path shot = shotDirectory("compile");
      saved = System.getProperty(PROPERTY);
      System.setProperty(PROPERTY, shot.resolve("cache").toString());
      artifacts = shot.resolve("artifacts");
    }

    /** {@return where the shot writes its artifact} */
    Path artifacts() {
      if (artifacts == null) {
        throw new IllegalStateException("EmptyCache: not set up");
      }
      return artifacts;
    }

    /** Restores {@code attn4j.cache.dir}. */
    @TearDown(Level.Iteration)
    public void restore() {
      if (saved == null) {
        System.clearProperty(PROPERTY);
      } else {
        System.setProperty(PROPERTY, saved);
      }
    }
  }

  /** Per shot: a copy of the checked kernel's artifact in a new directory, and the kernel the shot loads. */
  @State(Scope.Benchmark)
  public static class FreshCopy {
    private @Nullable Path directory;
    private @Nullable AttentionKernel loaded;

    /** Copies the artifact (the cache holds it since the trial's setup built it). */
    @Setup(Level.Iteration)
    public void copy(AttentionBenchmark.Attn4j kernel) throws IOException {
      directory = Attn4jPeer.build(kernel.checkedCase().attn4j(), kernel.buildTarget(), shotDirectory("load"))
          .directory();
    }

    Path directory() {
      if (directory == null) {
        throw new IllegalStateException("FreshCopy: not set up");
      }
      return directory;
    }

    AttentionKernel hold(AttentionKernel kernel) {
      loaded = kernel;
      return kernel;
    }

    /** Closes the kernel the shot loaded. */
    @TearDown(Level.Iteration)
    public void close() {
      if (loaded != null) {
        loaded.close();
        loaded = null;
      }
    }
  }
}
