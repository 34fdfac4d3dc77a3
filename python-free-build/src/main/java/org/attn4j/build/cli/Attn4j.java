package org.attn4j.build.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.attn4j.attention.AttentionSpec;
import org.attn4j.build.ArtifactBuilder;
import org.attn4j.build.ArtifactRequest;
import org.attn4j.build.BuildSpec;
import org.attn4j.build.LayerArtifactRequest;
import org.attn4j.build.BuildTarget;
import org.attn4j.build.Progress;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.Comparison;
import org.attn4j.reference.TestData;
import org.attn4j.reference.Tolerances;
import org.attn4j.runtime.AttentionKernel;
import org.attn4j.runtime.Dims;
import org.attn4j.runtime.Manifest;
import org.attn4j.runtime.io.ArrowTensorFile;
import org.attn4j.runtime.io.Npy;

/**
 * {@code attn4j build | run | inspect | demo}. Exit code 0 on success, 1 on an error (the message is printed),
 * 2 on bad usage.
 */
public final class Attn4j {
  private Attn4j() {}

  private static final String USAGE = """
      usage:
        attn4j build --spec <spec.json> [--out artifacts]        build every artifact of a spec (variants and layers)
        attn4j build --heads H --head-dim D [--kv-heads K] [--causal] [--cross] [--lse] [--key-lengths]
                     [--modifiers name[:key=value,...] ...]   e.g. rotary:positions=cross alibi soft_cap:cap=30
                     [--target cpu:host|cpu:x86-64-v3|cuda:sm_90] [--schedule default|generic|cpu-flash|cuda-flash|cuda-mma]
                     [--out artifacts]
        attn4j run <artifact> --dims b,n,m --npy q.npy k.npy v.npy [lengths.npy] --out out.npy [lse.npy]
        attn4j run <artifact> --dims b,n,m --arrow in.arrow --out out.arrow
                     (Arrow IPC file, one column per input named as in the manifest; see ArrowTensorFile)
        attn4j inspect <artifact>                                  print and verify a manifest
        attn4j demo                                                build for this CPU, run on Arrow data
        attn4j tune --heads H --head-dim D [--kv-heads K] [--causal] [--target cpu:host] [--shape b,n,m]
                     [--rounds N]    search cpu-flash tile sizes on this machine (checked, then timed)
        attn4j bench [--shapes ...] [--rounds N]                   the benchmark vs peers (launcher: ci/bench.sh)
      """;

  /** Entry point. */
  public static void main(String[] args) {
    int code = run(args, System.out);
    System.exit(code);
  }

  /** Runs a command; returns the exit code. */
  public static int run(String[] args, PrintStream out) {
    if (args.length == 0) {
      out.print(USAGE);
      return 2;
    }
    try {
      String[] rest = Arrays.copyOfRange(args, 1, args.length);
      switch (args[0]) {
        case "build" -> build(rest, out);
        case "run" -> runArtifact(rest, out);
        case "inspect" -> inspect(rest, out);
        case "demo" -> Demo.run(out);
        case "tune" -> tune(rest, out);
        default -> {
          out.print(USAGE);
          return 2;
        }
      }
      return 0;
    } catch (IllegalArgumentException e) {
      out.println("error: " + e.getMessage());
      return 1;
    } catch (Exception e) {
      out.println("error: " + e);
      return 1;
    }
  }

  private static Map<String, List<String>> options(String[] args) {
    Map<String, List<String>> o = new LinkedHashMap<>();
    String key = "";
    o.put(key, new ArrayList<>());
    for (String a : args) {
      if (a.startsWith("--")) {
        key = a.substring(2);
        o.put(key, new ArrayList<>());
      } else {
        o.get(key).add(a);
      }
    }
    return o;
  }

  private static String one(Map<String, List<String>> o, String k, String dflt) {
    List<String> v = o.get(k);
    return v == null || v.isEmpty() ? dflt : v.get(0);
  }

  private static void build(String[] args, PrintStream out) throws Exception {
    Map<String, List<String>> o = options(args);
    Path outDir = Path.of(one(o, "out", "artifacts"));
    List<ArtifactRequest> requests;
    List<LayerArtifactRequest> layers = List.of();
    if (o.containsKey("spec")) {
      Path spec = Path.of(one(o, "spec", ""));
      requests = BuildSpec.read(spec);
      layers = BuildSpec.readLayers(spec);
    } else {
      AttentionSpec.Builder b = AttentionSpec.builder()
          .heads(Integer.parseInt(one(o, "heads", "8")))
          .headDim(Integer.parseInt(one(o, "head-dim", "64")))
          .kvHeads(Integer.parseInt(one(o, "kv-heads", "0")))
          .lse(o.containsKey("lse"))
          .keyLengths(o.containsKey("key-lengths"))
          .cross(o.containsKey("cross"));
      if (o.containsKey("causal")) {
        b.causal(org.attn4j.attention.Causal.BOTTOM_RIGHT);
      }
      AttentionSpec spec = b.build();
      org.attn4j.attention.Variant variant = org.attn4j.attention.Variant.of(spec,
          o.getOrDefault("modifiers", List.of()).stream()
              .map(t -> org.attn4j.build.ModifierSpecs.parse(t, spec.getHeadDim())).toList());
      BuildTarget target = BuildTarget.parse(one(o, "target", "cpu:host"));
      requests = List.of(new ArtifactRequest(variant, target,
          ArtifactRequest.schedule(one(o, "schedule", "default"), target), ArtifactRequest.defaultBounds()));
    }
    int total = requests.size() + layers.size();
    int i = 0;
    for (ArtifactRequest r : requests) {
      i++;
      out.printf("[%d/%d] %s%n", i, total, r.getName());
      report(out, ArtifactBuilder.build(r, outDir, Progress.printing(out, r.target().getName())));
    }
    for (LayerArtifactRequest r : layers) {
      i++;
      out.printf("[%d/%d] %s%n", i, total, r.getName());
      report(out, ArtifactBuilder.build(r, outDir, Progress.printing(out, r.target().getName())));
    }
  }

  private static void report(PrintStream out, ArtifactBuilder.Built built) {
    out.printf("      -> %s (%s, %.1f s)%n", built.directory(), built.cacheHit() ? "cached" : "compiled",
        built.seconds());
  }

  private static void tune(String[] args, PrintStream out) throws Exception {
    Map<String, List<String>> o = options(args);
    AttentionSpec.Builder b = AttentionSpec.builder()
        .heads(Integer.parseInt(one(o, "heads", "8")))
        .headDim(Integer.parseInt(one(o, "head-dim", "64")))
        .kvHeads(Integer.parseInt(one(o, "kv-heads", "0")));
    if (o.containsKey("causal")) {
      b.causal(org.attn4j.attention.Causal.BOTTOM_RIGHT);
    }
    BuildTarget target = BuildTarget.parse(one(o, "target", "cpu:host"));
    int[] shape = Arrays.stream(one(o, "shape", "1,1024,1024").split(",")).mapToInt(Integer::parseInt).toArray();
    if (shape.length != 3) {
      throw new IllegalArgumentException("--shape: expected b,n,m, got " + one(o, "shape", ""));
    }
    int width = target.getLevel().equals("x86-64-v4") ? 16 : 8;
    List<org.attn4j.build.TileSearch.Trial> trials = org.attn4j.build.TileSearch.search(b.build(), target,
        org.attn4j.build.TileSearch.candidates(width), shape[0], shape[1], shape[2],
        Integer.parseInt(one(o, "rounds", "7")), Progress.printing(out, "tune"));
    out.printf("%n| qBlock | kBlock | vectorWidth | microKeys | median ms | best ms | max abs err |%n");
    out.printf("|---:|---:|---:|---:|---:|---:|---:|%n");
    for (org.attn4j.build.TileSearch.Trial t : trials) {
      Map<String, Object> p = t.schedule().getParameters();
      out.printf("| %s | %s | %s | %s | %.2f | %.2f | %.1e |%n", p.get("qBlock"), p.get("kBlock"),
          p.get("vectorWidth"), p.get("microKeys"), t.medianMs(), t.bestMs(), t.maxAbsError());
    }
    Map<String, Object> best = trials.get(0).schedule().getParameters();
    out.printf("%nbest: --schedule cpu-flash:%s,%s,%s,%s%n", best.get("qBlock"), best.get("kBlock"),
        best.get("vectorWidth"), best.get("microKeys"));
  }

  private static void inspect(String[] args, PrintStream out) throws Exception {
    if (args.length != 1) {
      throw new IllegalArgumentException("inspect: expected one artifact directory, got " + args.length);
    }
    Path dir = Path.of(args[0]);
    Manifest m = Manifest.read(dir);
    out.println(m.toJson());
    String kind = m.target().getOrDefault("kind", "cpu");
    AttentionKernel.verify(m, dir, kind.equals("cuda") ? org.attn4j.runtime.Device.cuda(0)
        : org.attn4j.runtime.Device.cpu());
    out.println("verified: ABI " + m.abi() + ", TVM " + m.tvmVersion() + ", sha256 matches " + m.library());
  }

  private static void runArtifact(String[] args, PrintStream out) throws Exception {
    Map<String, List<String>> o = options(args);
    List<String> positional = o.get("");
    if (positional.size() != 1) {
      throw new IllegalArgumentException("run: expected one artifact directory, got " + positional);
    }
    long[] d = Arrays.stream(one(o, "dims", "").split(",")).mapToLong(Long::parseLong).toArray();
    if (d.length != 3) {
      throw new IllegalArgumentException("--dims: expected b,n,m, got " + one(o, "dims", ""));
    }
    Dims dims = Dims.of(d[0], d[1], d[2]);
    try (AttentionKernel kernel = AttentionKernel.load(Path.of(positional.get(0)));
        BufferAllocator alloc = new RootAllocator()) {
      List<Manifest.Argument> spec = kernel.getManifest().arguments();
      List<FieldVector> vecs = new ArrayList<>();
      Map<String, ArrowTensorFile.TensorData> arrow = null;
      try {
        if (o.containsKey("arrow")) {
          arrow = ArrowTensorFile.read(Path.of(one(o, "arrow", "")), alloc);
        }
        List<String> npys = o.getOrDefault("npy", List.of());
        int in = 0;
        for (Manifest.Argument a : spec) {
          if (a.isOutput()) {
            long count = 1;
            for (Object s : a.shape()) {
              count *= s instanceof Number nn ? nn.longValue() : dims.get((String) s);
            }
            Float4Vector v = new Float4Vector(a.name(), alloc);
            v.allocateNew((int) count);
            vecs.add(v);
          } else if (arrow != null) {
            ArrowTensorFile.TensorData t = arrow.get(a.name());
            if (t == null) {
              throw new IllegalArgumentException("--arrow: expected a column named " + a.name() + ", found "
                  + arrow.keySet());
            }
            vecs.add(t.vector());
          } else {
            if (in >= npys.size()) {
              throw new IllegalArgumentException("--npy: expected a file for input " + a.name());
            }
            Npy.NpyArray arr = Npy.read(Path.of(npys.get(in++)));
            if (a.dtype().equals("int32")) {
              vecs.add(ArrowTensorFile.TensorData.ofInts(alloc, arr.shape(), Npy.toInts(arr)).vector());
            } else {
              vecs.add(ArrowTensorFile.TensorData.ofFloats(alloc, arr.shape(), Npy.toFloats(arr)).vector());
            }
          }
        }
        long t0 = System.nanoTime();
        kernel.run(dims, vecs.toArray(FieldVector[]::new));
        out.printf("ran %s on %s in %.3f ms%n", kernel.getManifest().variant(), dims, (System.nanoTime() - t0) / 1e6);
        List<String> outs = o.getOrDefault("out", List.of());
        Map<String, ArrowTensorFile.TensorData> arrowOut = new LinkedHashMap<>();
        int k = 0;
        for (int i = 0; i < spec.size(); i++) {
          Manifest.Argument a = spec.get(i);
          if (!a.isOutput()) {
            continue;
          }
          long[] shape = a.shape().stream().mapToLong(s -> s instanceof Number nn ? nn.longValue()
              : dims.get((String) s)).toArray();
          Float4Vector v = (Float4Vector) vecs.get(i);
          if (arrow != null) {
            arrowOut.put(a.name(), new ArrowTensorFile.TensorData(shape, v));
          } else if (k < outs.size()) {
            float[] data = new float[v.getValueCount()];
            for (int j = 0; j < data.length; j++) {
              data[j] = v.get(j);
            }
            Npy.write(Path.of(outs.get(k++)), shape, data);
          }
        }
        if (arrow != null) {
          ArrowTensorFile.write(Path.of(one(o, "out", "out.arrow")), alloc, arrowOut);
        }
        out.println("wrote " + (arrow != null ? one(o, "out", "out.arrow") : outs));
      } finally {
        vecs.forEach(FieldVector::close);
        if (arrow != null) {
          for (ArrowTensorFile.TensorData t : arrow.values()) {
            t.vector().close();
          }
        }
      }
    }
  }

  /** Used by the demo. */
  static Comparison compare(float[] actual, float[] expected) {
    return Tolerances.compare(actual, expected);
  }

  static float[] data(long seed, int count) {
    return TestData.uniform(seed, count, -1, 1);
  }

  static float[] reference(int b, int h, int n, int m, int d, float[] q, float[] k, float[] v) {
    return CoreAttentionOracle.run(CoreAttentionOracle.Options.builder().shape(b, h, h, n, m, d).build(), q, k, v);
  }
}
