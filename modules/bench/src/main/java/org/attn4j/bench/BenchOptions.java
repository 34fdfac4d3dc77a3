package org.attn4j.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The options of {@link BenchMain}, parsed from {@code --name value} pairs.
 *
 * @param shapes what to measure, in order
 * @param threads this process's thread count, given to every peer that takes one (TVM reads
 *     {@code TVM_NUM_THREADS} instead)
 * @param rounds interleaved rounds per shape
 * @param warmup untimed calls per implementation before the rounds
 * @param roundMillis the time each implementation aims to spend per round (at least one call)
 * @param impls the implementations, in order
 * @param out the output directory
 * @param requireAll whether an implementation that cannot be loaded fails the run (otherwise it is reported)
 * @param variants the attention variants timed on every shape, in order; the core is always added first if
 *     missing, since every variant's time is reported as a ratio to it
 */
public record BenchOptions(List<Shape> shapes, int threads, int rounds, int warmup, double roundMillis,
    List<Impl> impls, Path out, boolean requireAll, List<BenchVariant> variants) {

  /** The options without a variant axis: the core only. */
  public BenchOptions(List<Shape> shapes, int threads, int rounds, int warmup, double roundMillis, List<Impl> impls,
      Path out, boolean requireAll) {
    this(shapes, threads, rounds, warmup, roundMillis, impls, out, requireAll, List.of(BenchVariant.CORE));
  }

  /** Usage text. */
  public static final String USAGE = """
      usage: BenchMain [--shapes 1x8x1024x1024x64,1x8x1024x1024x64c] [--threads 1] [--rounds 5] [--warmup 3]
                       [--round-ms 200] [--impls attn4j,onnxruntime,pytorch,openblas,naive] [--out target/bench]
                       [--require-all] [--variants core,alibi,rotary,rotary-cross,fox,fox-decay,value-residual,
                                             softcap,window | all]
        variants: attn4j runs each as one fused kernel (cpu-flash); onnxruntime and pytorch run a composition
        (float bias, rotary applied around the call, ...); openblas and naive the core only
        impls: also attn4j-avx2 (attn4j's x86-64-v3 code on this host, the core only: AVX2 beside AVX-512)
        shapes: BxHxNxMxD or BxHxNxD, suffix c = causal (right-aligned); threads: this process's count
        (set TVM_NUM_THREADS to the same value: TVM reads it once per process)""";

  /** Checks the values. */
  public BenchOptions {
    shapes = List.copyOf(shapes);
    impls = List.copyOf(impls);
    if (!variants.contains(BenchVariant.CORE)) {
      List<BenchVariant> withCore = new ArrayList<>(List.of(BenchVariant.CORE));
      withCore.addAll(variants);
      variants = withCore;
    }
    variants = List.copyOf(new java.util.LinkedHashSet<>(variants));
    if (shapes.isEmpty() || impls.isEmpty()) {
      throw new IllegalArgumentException("expected at least one shape and one implementation");
    }
    if (threads < 1 || rounds < 1 || warmup < 0 || !(roundMillis >= 0)) {
      throw new IllegalArgumentException("expected threads >= 1, rounds >= 1, warmup >= 0, round-ms >= 0, got "
          + threads + ", " + rounds + ", " + warmup + ", " + roundMillis);
    }
  }

  /**
   * Parses the command line; options not given take the defaults shown in {@link #USAGE}.
   *
   * @throws IllegalArgumentException on an unknown option, a missing value or a bad value, with the usage
   */
  public static BenchOptions parse(String... args) {
    String shapes = "1x8x1024x1024x64,1x8x1024x1024x64c";
    String impls = "attn4j,onnxruntime,pytorch,openblas,naive";
    int threads = 1;
    int rounds = 5;
    int warmup = 3;
    double roundMillis = 200;
    Path out = Path.of("target", "bench");
    boolean requireAll = false;
    String variants = "core";
    try {
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--require-all")) {
          requireAll = true;
          continue;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("missing value after " + a);
        }
        String v = args[++i];
        switch (a) {
          case "--shapes" -> shapes = v;
          case "--threads" -> threads = Integer.parseInt(v);
          case "--rounds" -> rounds = Integer.parseInt(v);
          case "--warmup" -> warmup = Integer.parseInt(v);
          case "--round-ms" -> roundMillis = Double.parseDouble(v);
          case "--impls", "--peers" -> impls = v;
          case "--out" -> out = Path.of(v);
          case "--variants" -> variants = v;
          default -> throw new IllegalArgumentException("unknown option " + a);
        }
      }
      List<Shape> shapeList = new ArrayList<>();
      for (String s : shapes.split(",")) {
        shapeList.add(Shape.parse(s));
      }
      List<Impl> implList = new ArrayList<>();
      for (String s : impls.split(",")) {
        implList.add(Impl.parse(s));
      }
      List<BenchVariant> variantList = new ArrayList<>();
      for (String s : variants.split(",")) {
        if (s.trim().equalsIgnoreCase("all")) {
          variantList.addAll(List.of(BenchVariant.values()));
        } else {
          variantList.add(BenchVariant.parse(s));
        }
      }
      return new BenchOptions(shapeList, threads, rounds, warmup, roundMillis, implList, out, requireAll,
          variantList);
    } catch (IllegalArgumentException e) { // NumberFormatException included
      throw new IllegalArgumentException(e.getMessage() + "\n" + USAGE, e);
    }
  }
}
