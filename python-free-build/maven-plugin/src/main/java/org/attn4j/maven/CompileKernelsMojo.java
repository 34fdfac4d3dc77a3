package org.attn4j.maven;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.maven.model.Resource;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apache.maven.project.MavenProjectHelper;
import org.attn4j.build.ArtifactBuilder;
import org.attn4j.build.ArtifactRequest;
import org.attn4j.build.BuildSpec;
import org.attn4j.build.BuildTarget;
import org.attn4j.build.LayerArtifactRequest;
import org.attn4j.build.Packaging;
import org.attn4j.build.Progress;
import org.attn4j.build.Toolchain;
import org.attn4j.schedules.TargetKind;
import org.attn4j.tvm.Attn4jException;
import org.jspecify.annotations.Nullable;

/**
 * Compiles attention variants and attention layers ahead of time, in the Maven JVM (TVM's compiler via JavaCPP; no
 * Python, no GPU), and packages them as class-path resources that {@code org.attn4j.runtime.AttentionKernels}
 * finds: CPU artifacts in the {@code linux-x86_64} classifier jar (or the main jar), CUDA ones in
 * {@code linux-x86_64-cuda}. Builds go through the attn4j content-hash cache, so an unchanged artifact costs a
 * copy. A failed compile fails the build naming the variant or layer, the target and TVM's message.
 *
 * <pre>{@code
 * <plugin>
 *   <groupId>org.attn4j</groupId><artifactId>attn4j-maven-plugin</artifactId>
 *   <executions><execution><goals><goal>compile-kernels</goal></goals></execution></executions>
 *   <configuration>
 *     <variants><variant><heads>8</heads><headDim>64</headDim><causal>BOTTOM_RIGHT</causal></variant></variants>
 *     <layers><layer><dim>512</dim><norm>rms_norm</norm><forgetGate>1</forgetGate>
 *       <core><heads>8</heads><headDim>64</headDim><causal>BOTTOM_RIGHT</causal></core></layer></layers>
 *     <targets><target>cpu:x86-64-v3</target><target>cuda:sm_90</target></targets>
 *     <bounds><b>1:64</b><n>1:4096</n><m>1:4096</m></bounds>
 *   </configuration>
 * </plugin>
 * }</pre>
 *
 * <p>Variants ({@link Variant}) are built for every target and dtype; layers ({@link Layer}: pre-norm, q/k/v
 * projections, the core, output projection, residual; float32) for every target and every name in
 * {@code layerSchedules} that fits the target's kind, with the {@code b} and {@code n} bounds ({@code m} is
 * {@code n}). A {@code specFile} adds the requests of a build spec file, its {@code "variants"} and its
 * {@code "layers"}, exactly as {@code attn4j build --spec} reads them ({@code org.attn4j.build.BuildSpec}); the
 * file's own {@code targets}, {@code bounds}, {@code schedules} and {@code layer_schedules} apply to its requests.
 * An artifact named twice (e.g. the {@code default} and {@code cpu-layer} schedules on a CPU target) is built once.
 */
@Mojo(name = "compile-kernels", defaultPhase = LifecyclePhase.GENERATE_RESOURCES, threadSafe = true)
public class CompileKernelsMojo extends AbstractMojo {
  /** The variants to build (or use {@code specFile}). */
  @Parameter private List<Variant> variants = new ArrayList<>();

  /** The attention layers to build (or use {@code specFile}); float32 only. */
  @Parameter private List<Layer> layers = new ArrayList<>();

  /**
   * The layer schedules: {@code default}, {@code generic}, {@code cpu-layer} (each on the targets of its kind;
   * {@code default} is {@code cpu-layer} on CPU and {@code generic} on CUDA).
   */
  @Parameter private List<String> layerSchedules = new ArrayList<>(List.of("default"));

  /** Dtypes for variants that name none. */
  @Parameter private List<String> dtypes = new ArrayList<>(List.of("float32"));

  /** Targets: {@code cpu:x86-64-v3}, {@code cpu:x86-64-v4}, {@code cpu:host}, {@code cuda:sm_80}, {@code cuda:sm_90}. */
  @Parameter private List<String> targets = new ArrayList<>(List.of("cpu:x86-64-v3"));

  /**
   * Inclusive bounds of the symbolic dims as {@code lo:hi}, by name ({@code b}, {@code n}, {@code m}; layers use
   * {@code b} and {@code n}).
   */
  @Parameter private Map<String, String> bounds = new LinkedHashMap<>();

  /**
   * A JSON build spec (see {@code org.attn4j.build.BuildSpec}); its variants' and layers' requests are added to the
   * configured ones.
   */
  @Parameter(property = "attn4j.specFile") private @Nullable File specFile;

  /** Skip CUDA targets with a warning when nvcc is absent (otherwise the build fails). */
  @Parameter(property = "attn4j.skipCudaWithoutNvcc", defaultValue = "false") private boolean skipCudaWithoutNvcc;

  /** Put CPU artifacts into the main jar instead of the {@code cpuClassifier} jar. */
  @Parameter(defaultValue = "false") private boolean cpuInMainJar;

  /** The classifier of the CPU artifacts' jar. */
  @Parameter(defaultValue = "linux-x86_64") private String cpuClassifier = "linux-x86_64";

  /** The classifier of the CUDA artifacts' jar. */
  @Parameter(defaultValue = "linux-x86_64-cuda") private String cudaClassifier = "linux-x86_64-cuda";

  /** Also add the artifacts to the test class path, so the project's own tests (and exec runs) find them. */
  @Parameter(defaultValue = "true") private boolean addTestResources;

  /** Where artifacts are built and staged. */
  @Parameter(defaultValue = "${project.build.directory}/attn4j") private File outputDirectory;

  /** Skip the goal. */
  @Parameter(property = "attn4j.skip", defaultValue = "false") private boolean skip;

  @Parameter(defaultValue = "${project}", readonly = true, required = true) private MavenProject project;

  @Component private MavenProjectHelper projectHelper;

  /** Where this configuration's own requests come from, in error messages. */
  private static final String CONFIGURATION = "the attn4j-maven-plugin configuration";

  /** One artifact to build, a variant's or a layer's. */
  private interface Job {
    String name();

    /** The variant's or layer's name, for messages. */
    String what();

    BuildTarget target();

    ArtifactBuilder.Built build(Path outDir, Progress progress) throws IOException;

    static Job of(ArtifactRequest r) {
      return new Job() {
        public String name() {
          return r.getName();
        }

        public String what() {
          return r.variant().getName();
        }

        public BuildTarget target() {
          return r.target();
        }

        public ArtifactBuilder.Built build(Path outDir, Progress progress) throws IOException {
          return ArtifactBuilder.build(r, outDir, progress);
        }
      };
    }

    static Job of(LayerArtifactRequest r) {
      return new Job() {
        public String name() {
          return r.getName();
        }

        public String what() {
          return r.layer().getName();
        }

        public BuildTarget target() {
          return r.target();
        }

        public ArtifactBuilder.Built build(Path outDir, Progress progress) throws IOException {
          return ArtifactBuilder.build(r, outDir, progress);
        }
      };
    }
  }

  @Override
  public void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("attn4j: skipped");
      return;
    }
    List<Job> jobs = jobs();
    // TVM's lowering recurses deeply: compile on a thread with a large stack rather than Maven's own.
    Throwable[] failure = new Throwable[1];
    Thread t = new Thread(null, () -> {
      try {
        buildAndPackage(jobs);
      } catch (Throwable e) {
        failure[0] = e;
      }
    }, "attn4j-compile-kernels", 256L << 20);
    t.start();
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MojoExecutionException("interrupted", e);
    }
    if (failure[0] instanceof MojoExecutionException e) {
      throw e;
    } else if (failure[0] instanceof MojoFailureException e) {
      throw e;
    } else if (failure[0] != null) {
      throw new MojoExecutionException("attn4j: " + failure[0], failure[0]);
    }
  }

  /** The configured variants and layers, then the spec file's, without repeated artifact names. */
  private List<Job> jobs() throws MojoFailureException {
    try {
      List<Job> out = new ArrayList<>();
      Map<String, Object> b = new LinkedHashMap<>();
      bounds.forEach((k, lh) -> b.put(k, parseBounds(k, lh)));
      for (Variant v : variants) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("variants", List.of(v.toSpec()));
        spec.put("dtypes", v.dtype != null ? List.of(v.dtype) : List.copyOf(dtypes));
        spec.put("targets", List.copyOf(targets));
        spec.put("bounds", b);
        BuildSpec.of(spec, CONFIGURATION).forEach(r -> out.add(Job.of(r)));
      }
      if (!layers.isEmpty()) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("layers", layers.stream().map(Layer::toSpec).toList());
        spec.put("targets", List.copyOf(targets));
        spec.put("layer_schedules", List.copyOf(layerSchedules));
        spec.put("bounds", b);
        BuildSpec.layers(spec, CONFIGURATION).forEach(r -> out.add(Job.of(r)));
      }
      if (specFile != null) {
        BuildSpec.read(specFile.toPath()).forEach(r -> out.add(Job.of(r)));
        BuildSpec.readLayers(specFile.toPath()).forEach(r -> out.add(Job.of(r)));
      }
      if (out.isEmpty()) {
        throw new MojoFailureException("attn4j: nothing to build: configure <variants>, <layers> or <specFile>");
      }
      Set<String> seen = new HashSet<>();
      return out.stream().filter(j -> seen.add(j.name())).toList();
    } catch (IOException | IllegalArgumentException e) {
      throw new MojoFailureException("attn4j: bad configuration: " + e.getMessage(), e);
    }
  }

  private static List<Object> parseBounds(String dim, String loHi) {
    String[] p = loHi.trim().split(":");
    try {
      return List.of(Long.parseLong(p[0].trim()), Long.parseLong(p[p.length - 1].trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bounds of " + dim + ": expected lo:hi, got '" + loHi + "'");
    }
  }

  private void buildAndPackage(List<Job> jobs) throws MojoExecutionException, MojoFailureException, IOException {
    Path out = outputDirectory.toPath();
    Path built = out.resolve("built");
    Path cpuStage = out.resolve(cpuClassifier);
    Path cudaStage = out.resolve(cudaClassifier);
    for (Path p : List.of(built, cpuStage, cudaStage, out.resolve("test-classpath"))) {
      deleteTree(p);
    }
    List<Path> cpu = new ArrayList<>();
    List<Path> cuda = new ArrayList<>();
    boolean nvcc = Toolchain.hasNvcc();
    long t0 = System.nanoTime();
    int hits = 0;
    for (int i = 0; i < jobs.size(); i++) {
      Job job = jobs.get(i);
      String label = "[" + (i + 1) + "/" + jobs.size() + "] " + job.name();
      boolean isCuda = job.target().getKind() == TargetKind.CUDA;
      if (isCuda && !nvcc) {
        String why = job.what() + " for " + job.target() + ": nvcc not found (set $NVCC or put the CUDA "
            + "toolkit's bin on the PATH)";
        if (!skipCudaWithoutNvcc) {
          throw new MojoFailureException("attn4j: cannot build " + why + "; or set <skipCudaWithoutNvcc>true"
              + "</skipCudaWithoutNvcc> to skip CUDA targets");
        }
        getLog().warn("attn4j: " + label + " skipped: " + why);
        continue;
      }
      getLog().info("attn4j: " + label);
      ArtifactBuilder.Built b;
      try {
        b = job.build(built, step -> getLog().info("attn4j:     " + step));
      } catch (Attn4jException e) {
        throw new MojoFailureException("attn4j: " + e.getMessage(), e);
      }
      hits += b.cacheHit() ? 1 : 0;
      getLog().info(String.format("attn4j: %s %s (%.1f s)", label, b.cacheHit() ? "cache hit" : "compiled",
          b.seconds()));
      (isCuda ? cuda : cpu).add(b.directory());
    }
    getLog().info(String.format("attn4j: %d artifacts (%d cache hits) in %.1f s", cpu.size() + cuda.size(), hits,
        (System.nanoTime() - t0) / 1e9));
    if (!cpu.isEmpty()) {
      Packaging.stage(cpuStage, cpu);
      publish(cpuStage, cpuInMainJar ? null : cpuClassifier);
    }
    if (!cuda.isEmpty()) {
      Packaging.stage(cudaStage, cuda);
      publish(cudaStage, cudaClassifier);
    }
    if (addTestResources) {
      // One folder (one index) for the test class path: two folders would overwrite each other's index there.
      Path all = out.resolve("test-classpath");
      Packaging.stage(all, cpu);
      Packaging.stage(all, cuda);
      Resource test = new Resource();
      test.setDirectory(all.toString());
      project.addTestResource(test);
    }
  }

  /** Adds {@code stage} to the main jar's resources ({@code classifier} null) or packs and attaches it. */
  private void publish(Path stage, @Nullable String classifier) throws IOException {
    Resource res = new Resource();
    res.setDirectory(stage.toString());
    if (classifier == null) {
      project.addResource(res);
      getLog().info("attn4j: " + stage + " -> main jar resources");
    } else {
      Path jar = Path.of(project.getBuild().getDirectory(), project.getBuild().getFinalName() + "-" + classifier
          + ".jar");
      Packaging.jar(stage, jar);
      projectHelper.attachArtifact(project, "jar", classifier, jar.toFile());
      getLog().info("attn4j: " + stage + " -> " + jar.getFileName() + " (attached, classifier " + classifier + ")");
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}
