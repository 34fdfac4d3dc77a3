package org.attn4j.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.attn4j.tvm.TvmException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Discovery and target selection over fake artifacts (manifests written here, libraries built with {@code cc}),
 * and the refusal of tampered ones: nothing here needs the compiler, and nothing may crash the JVM.
 */
class ArtifactSelectionTest {
  static final Set<String> V2 = Set.of("cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3");
  static final Set<String> V3 = union(V2, Set.of("avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe",
      "xsave"));
  static final Set<String> V4 = union(V3, Set.of("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"));
  static final String VARIANT = "sdpa_float32_h2kv2_d8";

  @TempDir Path tmp;

  static Set<String> union(Set<String> a, Set<String> b) {
    java.util.HashSet<String> s = new java.util.HashSet<>(a);
    s.addAll(b);
    return s;
  }

  /** Writes a fake artifact {@code <root>/<variant>-<kind>-<level>} whose library is {@code lib}. */
  static Path fake(Path root, String variant, String kind, String level, String tvm, byte[] lib) throws IOException {
    Path dir = Files.createDirectories(root.resolve(variant + "-" + kind + "-" + level));
    Files.write(dir.resolve("kernel.so"), lib);
    Map<String, String> target = new LinkedHashMap<>();
    target.put("kind", kind);
    target.put("level", level);
    target.put("tvm", kind.equals("cpu") ? "llvm -mcpu=" + level : "cuda -arch=" + level);
    Map<String, long[]> dims = new LinkedHashMap<>();
    dims.put("b", new long[] {1, 8});
    Manifest m = new Manifest(Manifest.ABI, "0.1.0", tvm, variant, Map.of("dtype", "float32"), "attn4j_kernel",
        List.of(new Manifest.Argument("q", "input", "float32", List.of("b", 8))), dims, target, "generic",
        Map.of(), 64, "kernel.so", AttentionKernel.sha256(dir.resolve("kernel.so")));
    Files.writeString(dir.resolve(Manifest.FILE_NAME), m.toJson());
    return dir;
  }

  static Path fake(Path root, String kind, String level) throws IOException {
    return fake(root, VARIANT, kind, level, Manifest.TVM_VERSION, (kind + level).getBytes(StandardCharsets.UTF_8));
  }

  /** A real shared library without the kernel's function. */
  static byte[] sharedLibraryWithoutKernel(Path dir) throws Exception {
    Path src = dir.resolve("empty.c");
    Files.writeString(src, "int not_the_kernel(void) { return 0; }\n");
    Process p = new ProcessBuilder("cc", "-shared", "-fPIC", "-o", dir.resolve("lib.so").toString(), src.toString())
        .inheritIO().start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as("cc builds a shared library").isTrue();
    return Files.readAllBytes(dir.resolve("lib.so"));
  }

  ArtifactCatalog cpuAndCuda() throws IOException {
    fake(tmp, "cpu", "x86-64-v3");
    fake(tmp, "cpu", "x86-64-v4");
    fake(tmp, "cuda", "sm_80");
    fake(tmp, "cuda", "sm_90");
    return ArtifactCatalog.directory(tmp);
  }

  @Test
  void hostLevelsFollowTheFlags() {
    assertThat(Host.of(Set.of(), null).getCpuLevel()).isEqualTo("x86-64");
    assertThat(Host.of(V3, null).getCpuLevel()).isEqualTo("x86-64-v3");
    assertThat(Host.of(V4, null).getCpuLevel()).isEqualTo("x86-64-v4");
    Set<String> noBw = union(V3, Set.of("avx512f", "avx512cd", "avx512dq", "avx512vl"));
    assertThat(Host.of(noBw, null).missingFor("x86-64-v4")).isEqualTo("host lacks avx512bw");
    assertThat(Host.of(V4, null).missingFor("x86-64-v4")).isNull();
    assertThat(Host.of(V4, null).missingFor("znver3")).contains("unknown CPU level 'znver3'");
    assertThat(Host.detect().getCpuLevel()).startsWith("x86-64");
  }

  @Test
  void picksTheBestCpuLevelTheHostSupports() throws IOException {
    fake(tmp, "cpu", "x86-64-v3");
    fake(tmp, "cpu", "x86-64-v4");
    ArtifactCatalog c = ArtifactCatalog.directory(tmp);
    KernelQuery q = KernelQuery.of(VARIANT);
    assertThat(AttentionKernels.select(q, c, Host.of(V4, null)).entry().getTarget()).isEqualTo("cpu:x86-64-v4");
    AttentionKernels.Selection s = AttentionKernels.select(q, c, Host.of(V3, null));
    assertThat(s.entry().getTarget()).isEqualTo("cpu:x86-64-v3");
    assertThat(s.device()).isEqualTo(Device.cpu());
    assertThat(s.considered()).anyMatch(l -> l.contains("x86-64-v4") && l.contains("host lacks avx512f"));
    assertThat(AttentionKernels.select(q.withTarget("cpu:x86-64-v3"), c, Host.of(V4, null)).entry().getTarget())
        .isEqualTo("cpu:x86-64-v3");
    assertThat(AttentionKernels.select(KernelQuery.of("sdpa_h2kv2_d8").withDtype("float32"), c, Host.of(V4, null))
        .entry().manifest().variant()).isEqualTo(VARIANT);
  }

  @Test
  void picksCudaWhenAGpuAndACudaArtifactArePresent() throws IOException {
    ArtifactCatalog c = cpuAndCuda();
    KernelQuery q = KernelQuery.of(VARIANT);
    AttentionKernels.Selection h100 = AttentionKernels.select(q, c, Host.of(V3, "sm_90"));
    assertThat(h100.entry().getTarget()).isEqualTo("cuda:sm_90");
    assertThat(h100.device()).isEqualTo(Device.cuda(0));
    AttentionKernels.Selection a100 = AttentionKernels.select(q, c, Host.of(V3, "sm_80"));
    assertThat(a100.entry().getTarget()).isEqualTo("cuda:sm_80");
    assertThat(a100.considered()).anyMatch(l -> l.contains("needs sm_90, cuda:0 is sm_80"));
    assertThat(AttentionKernels.select(q, c, Host.of(V3, null)).entry().getTarget()).isEqualTo("cpu:x86-64-v3");
    assertThat(AttentionKernels.select(q.withTarget("cpu"), c, Host.of(V4, "sm_90")).entry().getTarget())
        .isEqualTo("cpu:x86-64-v4");
  }

  @Test
  void withoutACudaArtifactTheGpuIsNeverProbed() throws IOException {
    fake(tmp, "cpu", "x86-64-v2");
    // Host.detect() would probe CUDA lazily; a CPU-only catalog must not need it.
    AttentionKernels.Selection s = AttentionKernels.select(KernelQuery.of(VARIANT), ArtifactCatalog.directory(tmp),
        Host.detect());
    assertThat(s.device()).isEqualTo(Device.cpu());
    assertThat(Host.detect().toString()).doesNotContain("cuda");
  }

  @Test
  void nothingFitsListsWhatWasLookedForAndFound() throws IOException {
    fake(tmp, "cpu", "x86-64-v4");
    fake(tmp, "cuda", "sm_90");
    fake(tmp, VARIANT, "cpu", "x86-64-v2", "0.17.0", new byte[] {1});
    ArtifactCatalog c = ArtifactCatalog.directory(tmp);
    assertThatThrownBy(() -> AttentionKernels.select(KernelQuery.of(VARIANT), c, Host.of(V3, null)))
        .isInstanceOf(KernelNotFoundException.class)
        .hasMessageContaining("variant " + VARIANT + ", dtype any, target auto")
        .hasMessageContaining("directory " + tmp)
        .hasMessageContaining("(cpu:x86-64-v4): host lacks avx512f, avx512bw")
        .hasMessageContaining("(cuda:sm_90): no GPU")
        .hasMessageContaining("(cpu:x86-64-v2): built with TVM 0.17.0, this runtime links TVM 0.18.0");
    assertThatThrownBy(() -> AttentionKernels.select(KernelQuery.of("sdpa_other"), c, Host.of(V4, null)))
        .isInstanceOf(KernelNotFoundException.class)
        .hasMessageContaining("found no artifact of that variant").hasMessageContaining(VARIANT + "-cpu-x86-64-v4");
    assertThatThrownBy(() -> AttentionKernels.select(KernelQuery.of(VARIANT).withTarget("cuda"), c,
        Host.of(V4, null))).hasMessageContaining("(cpu:x86-64-v4): not the requested target cuda");
    assertThatThrownBy(() -> KernelQuery.of(VARIANT).withTarget("tpu"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected cpu, cuda");
  }

  @Test
  void tamperedArtifactsAreRefusedBeforeOrAtLoad() throws Exception {
    Host host = Host.of(V2, null);
    // Changed bytes: the library no longer matches the manifest's sha256.
    Path changed = fake(tmp.resolve("changed"), "cpu", "x86-64-v2");
    Files.write(changed.resolve("kernel.so"), new byte[] {42});
    assertThatThrownBy(() -> AttentionKernels.load(KernelQuery.of(VARIANT), ArtifactCatalog.directory(changed), host))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not match the manifest's");
    // Wrong TVM version, or a CUDA artifact asked to run on the CPU: refused by the manifest checks.
    Path oldTvm = fake(tmp.resolve("old"), VARIANT, "cpu", "x86-64-v2", "0.17.0", new byte[] {1});
    assertThatThrownBy(() -> AttentionKernel.load(oldTvm)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("built with TVM 0.17.0, this runtime links TVM 0.18.0");
    Path cuda = fake(tmp.resolve("cuda"), "cuda", "sm_90");
    assertThatThrownBy(() -> AttentionKernel.load(cuda, Device.cpu())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("built for target cuda (sm_90), asked to run on cpu");
    // A consistent manifest over a library without the kernel's function, and over bytes that are no library.
    Path noSymbol = fake(tmp.resolve("nosym"), VARIANT, "cpu", "x86-64-v2", Manifest.TVM_VERSION,
        sharedLibraryWithoutKernel(tmp));
    assertThatThrownBy(() -> AttentionKernels.load(KernelQuery.of(VARIANT), ArtifactCatalog.directory(noSymbol),
        host)).isInstanceOf(TvmException.class).hasMessageContaining("has no function named 'attn4j_kernel'");
    Path garbage = fake(tmp.resolve("garbage"), "cpu", "x86-64-v2");
    assertThatThrownBy(() -> AttentionKernel.load(garbage)).isInstanceOf(TvmException.class);
  }

  @Test
  void findsArtifactsInJarsAndExtractsThemByContent() throws Exception {
    Path good = fake(tmp.resolve("a"), VARIANT, "cpu", "x86-64-v2", Manifest.TVM_VERSION,
        sharedLibraryWithoutKernel(tmp));
    Path jar = jar(tmp.resolve("good.jar"), good, null);
    Path bad = jar(tmp.resolve("bad.jar"), fake(tmp.resolve("b"), "cpu", "x86-64-v3"), new byte[] {7});
    try (URLClassLoader cl = new URLClassLoader(new URL[] {jar.toUri().toURL(), bad.toUri().toURL()}, null)) {
      ArtifactCatalog c = ArtifactCatalog.classpath(cl);
      assertThat(c.getEntries()).extracting(ArtifactCatalog.Entry::name)
          .containsExactly(VARIANT + "-cpu-x86-64-v2", VARIANT + "-cpu-x86-64-v3");
      ArtifactCatalog.Entry e = c.getEntries().get(0);
      assertThat(e.location().getProtocol()).isEqualTo("jar");
      Path dir = ArtifactCatalog.materialize(e);
      assertThat(dir).startsWith(org.attn4j.tvm.Cache.directory().resolve("extracted"));
      assertThat(AttentionKernel.sha256(dir.resolve("kernel.so"))).isEqualTo(e.manifest().sha256());
      assertThat(ArtifactCatalog.materialize(e)).isEqualTo(dir);
      assertThatThrownBy(() -> ArtifactCatalog.materialize(c.getEntries().get(1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not match the manifest's");
      assertThatThrownBy(() -> AttentionKernels.load(KernelQuery.of(VARIANT), c, Host.of(V2, null)))
          .isInstanceOf(TvmException.class).hasMessageContaining("attn4j_kernel");
    }
  }

  /** Packs {@code artifact} as the plugin does; {@code libOverride} replaces the library's bytes. */
  static Path jar(Path jar, Path artifact, byte[] libOverride) throws IOException {
    String name = artifact.getFileName().toString();
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      put(out, ArtifactCatalog.INDEX, (name + "\n").getBytes(StandardCharsets.UTF_8));
      put(out, ArtifactCatalog.PREFIX + name + "/" + Manifest.FILE_NAME,
          Files.readAllBytes(artifact.resolve(Manifest.FILE_NAME)));
      put(out, ArtifactCatalog.PREFIX + name + "/kernel.so",
          libOverride != null ? libOverride : Files.readAllBytes(artifact.resolve("kernel.so")));
    }
    return jar;
  }

  private static void put(JarOutputStream out, String name, byte[] bytes) throws IOException {
    out.putNextEntry(new JarEntry(name));
    ((OutputStream) out).write(bytes);
    out.closeEntry();
  }
}
