package org.attn4j.bench.gpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.attn4j.attention.Modifiers;
import org.attn4j.reference.AttentionKind;
import org.attn4j.reference.AttentionOracle;
import org.attn4j.reference.CoreAttentionOracle;
import org.attn4j.reference.Forgetting;
import org.attn4j.reference.Gallery;
import org.attn4j.reference.Rotary;
import org.attn4j.reference.RotaryPositions;
import org.attn4j.runtime.Manifest;
import org.jspecify.annotations.Nullable;

/**
 * The modifiers an artifact's manifest names ({@code spec.modifiers}), matched to modules/reference: for each, the
 * captured inputs the kernel reads, drawn here with values of the kind a model passes, and the oracle's counterpart
 * given those very values (rounded to the dtype the manifest declares for them).
 *
 * <table>
 *   <caption>matched modifiers: captures drawn, oracle counterpart</caption>
 *   <tr><td>{@code alibi}</td><td>{@code alibi_slopes [h]}: x-transformers' slopes;
 *       {@link Gallery#alibi(double[])}</td></tr>
 *   <tr><td>{@code softcap_*}</td><td>none; {@link AttentionOracle.Spec.Builder#softCap(double)}</td></tr>
 *   <tr><td>{@code window_*}</td><td>none; {@link Gallery#slidingWindow(int, int)}</td></tr>
 *   <tr><td>{@code fox_*} (FoX)</td><td>data-dependent: {@code forget_cumsum [b, h, m]}, the cumulative sum of
 *       log gates {@code a = logsigmoid(z)}, {@code z ~ U(2, 6)} (so {@code a} in {@code [-0.13, 0]}: decays of
 *       {@code e^-27.6 = 1e-12}, FoX's block-skipping threshold, after about 860 keys on average), each {@code a}
 *       a multiple of {@code 2^-8} so that {@code F} is exact in float32; bias-only: {@code forget_bias [h]} in
 *       {@code [1, 5)}; fixed: {@code forget_slopes [h]}, the ALiBi slopes; {@code _reverse} sets likewise;
 *       {@link Forgetting}</td></tr>
 *   <tr><td>{@code rope*} (rotary)</td><td>arange positions: none; self positions: {@code rotary_pos [m]} (or
 *       {@code [b, m]}), key {@code j} at {@code j + 16} (plus {@code 16·b} per batch row), as after a 16-token
 *       prefix; {@link Rotary} with the manifest's dim, layout, base, NTK factor and interpolation</td></tr>
 * </table>
 *
 * <p>Anything else (other modifiers, rotary special tokens or cross positions, captures this class does not draw)
 * leaves the artifact {@linkplain #unmatched() unmatched}: the check reports it as SKIP with the reason, never as a
 * pass. Rotary and forgetting define no query before the key axis, so their artifacts are checked on
 * {@code n <= m} only ({@link #fits}).
 */
final class VariantOracle {
  /** The log gates' multiple: {@code 2^-8}, so that their cumulative sums are exact in float32. */
  private static final float GATE_QUANTUM = 1f / 256;
  /** Self rotary positions start after a prefix of this many tokens. */
  private static final float POSITION_OFFSET = 16;
  private static final Set<String> CORE_INPUTS = Set.of("q", "k", "v", "key_lengths");

  /** One modifier: its captures and its oracle counterpart. */
  private interface Part {
    /** Draws this modifier's captures for a call of shape {@code s} into {@code out}, by capture name. */
    void draw(Shape s, SplittableRandom rnd, Map<String, float[]> out);

    /** Adds the oracle's counterpart for a call of shape {@code s} that read {@code captures}. */
    void apply(AttentionOracle.Spec.Builder oracle, Shape s, Map<String, float[]> captures);
  }

  private final List<Part> parts;
  private final List<Manifest.Argument> captureArgs;
  private final boolean cross;
  private final boolean selfOnly;
  private final @Nullable String unmatched;

  private VariantOracle(List<Part> parts, List<Manifest.Argument> captureArgs, boolean cross, boolean selfOnly,
      @Nullable String unmatched) {
    this.parts = parts;
    this.captureArgs = captureArgs;
    this.cross = cross;
    this.selfOnly = selfOnly;
    this.unmatched = unmatched;
  }

  /** The match of {@code m}'s modifiers; never throws for an unknown modifier (see {@link #unmatched()}). */
  @SuppressWarnings("unchecked")
  static VariantOracle of(Manifest m) {
    Map<String, Object> spec = m.spec();
    int heads = ((Number) spec.get("heads")).intValue();
    boolean cross = Boolean.TRUE.equals(spec.get("cross"));
    List<Manifest.Argument> captureArgs = m.arguments().stream()
        .filter(a -> !a.isOutput() && !CORE_INPUTS.contains(a.name())).toList();
    List<Part> parts = new ArrayList<>();
    boolean selfOnly = false;
    String unmatched = null;
    List<Map<String, Object>> mods = (List<Map<String, Object>>) spec.getOrDefault("modifiers", List.of());
    for (Map<String, Object> mod : mods) {
      String name = (String) mod.get("name");
      Map<String, Object> p = (Map<String, Object>) mod.getOrDefault("parameters", Map.of());
      try {
        parts.add(part(name, p, heads));
        selfOnly |= name.startsWith("fox_") || name.startsWith("rope");
      } catch (IllegalArgumentException e) {
        unmatched = "modifier " + name + ": " + e.getMessage();
        break;
      }
    }
    if (unmatched == null) {
      unmatched = checkCaptures(parts, captureArgs);
    }
    return new VariantOracle(parts, captureArgs, cross, selfOnly, unmatched);
  }

  /** Why this artifact cannot be checked here, or null when every modifier and capture is matched. */
  @Nullable String unmatched() {
    return unmatched;
  }

  /** Whether the oracle defines a call of shape {@code s} for this variant (rotary and FoX: {@code n <= m}). */
  boolean fits(Shape s) {
    return !selfOnly || s.n() <= s.m();
  }

  /** The captures of a call of shape {@code s}, by name, each rounded to its declared dtype. */
  Map<String, float[]> draw(Shape s, SplittableRandom rnd) {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Part p : parts) {
      p.draw(s, rnd, out);
    }
    for (Manifest.Argument a : captureArgs) {
      Precision.of(a.dtype()).roundInPlace(out.get(a.name()));
    }
    return out;
  }

  /** The oracle's spec for a call with options {@code o} (its shape {@code s}) that read {@code captures}. */
  AttentionOracle.Spec oracle(CoreAttentionOracle.Options o, Shape s, Map<String, float[]> captures) {
    AttentionOracle.Spec.Builder b = AttentionOracle.Spec.builder(o)
        .kind(cross ? AttentionKind.CROSS : AttentionKind.SELF);
    for (Part p : parts) {
      p.apply(b, s, captures);
    }
    return b.build();
  }

  /**
   * The captures of one batch row of a call of {@code b} rows, for a check of that row alone, or null when a
   * capture has a query dim ({@code n}), which a row slice would also have to cut.
   */
  @Nullable Map<String, float[]> batchRow(Map<String, float[]> captures, int row, int b) {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Manifest.Argument a : captureArgs) {
      float[] x = captures.get(a.name());
      if (a.shape().contains("n")) {
        return null;
      }
      if (!a.shape().isEmpty() && "b".equals(a.shape().get(0))) {
        int per = x.length / b;
        x = Arrays.copyOfRange(x, row * per, (row + 1) * per);
      }
      out.put(a.name(), x);
    }
    return out;
  }

  /** The part for one manifest modifier. */
  private static Part part(String name, Map<String, Object> p, int heads) {
    if (name.equals("alibi")) {
      return new Part() {
        @Override
        public void draw(Shape s, SplittableRandom rnd, Map<String, float[]> out) {
          out.put("alibi_slopes", toFloats(Gallery.alibiSlopes(heads)));
        }

        @Override
        public void apply(AttentionOracle.Spec.Builder oracle, Shape s, Map<String, float[]> c) {
          oracle.scoreMod(Gallery.alibi(toDoubles(c.get("alibi_slopes"))));
        }
      };
    }
    if (name.startsWith("softcap_")) {
      double cap = num(p, "cap");
      return noCaptures(oracle -> oracle.softCap(cap));
    }
    if (name.startsWith("window_")) {
      int left = (int) num(p, "left");
      int right = (int) num(p, "right");
      return noCaptures(oracle -> oracle.maskMod(Gallery.slidingWindow(left, right)));
    }
    if (name.startsWith("fox_")) {
      return forgetting(p, heads);
    }
    if (name.startsWith("rope")) {
      return rotary(p);
    }
    throw new IllegalArgumentException("no oracle counterpart in GpuCheck (matched: alibi, softcap, window,"
        + " forgetting, rotary)");
  }

  private static Part noCaptures(java.util.function.Consumer<AttentionOracle.Spec.Builder> apply) {
    return new Part() {
      @Override
      public void draw(Shape s, SplittableRandom rnd, Map<String, float[]> out) {}

      @Override
      public void apply(AttentionOracle.Spec.Builder oracle, Shape s, Map<String, float[]> c) {
        apply.accept(oracle);
      }
    };
  }

  private static Part forgetting(Map<String, Object> p, int heads) {
    String gate = ((String) p.get("gate")).toUpperCase(Locale.ROOT);
    boolean bidirectional = "BIDIRECTIONAL".equals(p.get("direction"));
    double lambda = num(p, "lambda");
    if (!Set.of("DATA_DEPENDENT", "BIAS_ONLY", "FIXED", "NONE").contains(gate)) {
      throw new IllegalArgumentException("unknown gate type " + gate);
    }
    List<String> suffixes = bidirectional ? List.of("", "_reverse") : List.of("");
    return new Part() {
      @Override
      public void draw(Shape s, SplittableRandom rnd, Map<String, float[]> out) {
        for (String suffix : suffixes) {
          switch (gate) {
            case "DATA_DEPENDENT" -> {
              float[] a = new float[s.b() * heads * s.m()];
              for (int i = 0; i < a.length; i++) {
                double z = rnd.nextDouble(2, 6);
                double logSigmoid = -Math.log1p(Math.exp(-z));
                a[i] = Math.round(logSigmoid / GATE_QUANTUM) * GATE_QUANTUM;
              }
              out.put("forget_cumsum" + suffix, Modifiers.forgetCumsum(a, s.b(), heads));
            }
            case "BIAS_ONLY" -> {
              float[] beta = new float[heads];
              for (int h = 0; h < heads; h++) {
                beta[h] = (float) rnd.nextDouble(1, 5);
              }
              out.put("forget_bias" + suffix, beta);
            }
            case "FIXED" -> out.put("forget_slopes" + suffix, toFloats(Gallery.alibiSlopes(heads)));
            default -> { }
          }
        }
      }

      @Override
      public void apply(AttentionOracle.Spec.Builder oracle, Shape s, Map<String, float[]> c) {
        if (gate.equals("NONE")) {
          return;
        }
        Forgetting f = gates(c, "", s);
        oracle.scoreMod(bidirectional ? f.withReverse(gates(c, "_reverse", s)) : f);
      }

      private Forgetting gates(Map<String, float[]> c, String suffix, Shape s) {
        return switch (gate) {
          case "DATA_DEPENDENT" -> Forgetting.fromLogGates(differences(c.get("forget_cumsum" + suffix), s.m()),
              s.b(), heads);
          case "BIAS_ONLY" -> Forgetting.biasOnly(c.get("forget_bias" + suffix), lambda);
          default -> Forgetting.fixed(toDoubles(c.get("forget_slopes" + suffix)));
        };
      }
    };
  }

  /** The log gates {@code a_t = F_t - F_(t-1)} of cumulative gates {@code F [rows, m]} (exact: see the table). */
  private static float[] differences(float[] cumulative, int m) {
    float[] a = new float[cumulative.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = i % m == 0 ? cumulative[i] : cumulative[i] - cumulative[i - 1];
    }
    return a;
  }

  private static Part rotary(Map<String, Object> p) {
    if (p.containsKey("special")) {
      throw new IllegalArgumentException("special tokens (" + p.get("special") + ") are not matched here");
    }
    String positions = (String) p.get("positions");
    if (!positions.equals("arange") && !positions.equals("pos") && !positions.equals("bpos")) {
      throw new IllegalArgumentException("positions " + positions + " are not matched here (arange, pos, bpos)");
    }
    Rotary rotary = Rotary.of((int) num(p, "dim"))
        .withLayout(Rotary.Layout.valueOf((String) p.get("layout")))
        .withBase(num(p, "base"))
        .withNtkFactor(num(p, "ntkFactor"))
        .withInterpolation(num(p, "interpolation"));
    boolean perBatch = positions.equals("bpos");
    return new Part() {
      @Override
      public void draw(Shape s, SplittableRandom rnd, Map<String, float[]> out) {
        if (positions.equals("arange")) {
          return;
        }
        float[] pos = new float[(perBatch ? s.b() : 1) * s.m()];
        for (int i = 0; i < pos.length; i++) {
          pos[i] = i % s.m() + POSITION_OFFSET * (1 + i / s.m());
        }
        out.put("rotary_pos", pos);
      }

      @Override
      public void apply(AttentionOracle.Spec.Builder oracle, Shape s, Map<String, float[]> c) {
        oracle.rotary(rotary, positions.equals("arange") ? RotaryPositions.defaults()
            : RotaryPositions.self(c.get("rotary_pos")));
      }
    };
  }

  /** Why the drawn captures differ from the declared ones (names), or null when they agree. */
  private static @Nullable String checkCaptures(List<Part> parts, List<Manifest.Argument> declared) {
    Map<String, float[]> drawn = new LinkedHashMap<>();
    SplittableRandom rnd = new SplittableRandom(0);
    for (Part p : parts) {
      p.draw(new Shape(1, 1, 1), rnd, drawn);
    }
    List<String> names = declared.stream().map(Manifest.Argument::name).toList();
    for (Manifest.Argument a : declared) {
      if (!drawn.containsKey(a.name())) {
        return "capture " + a.name() + " " + a.shapeText() + " is not drawn by GpuCheck";
      }
      if (a.dtype().equals("int32")) {
        return "capture " + a.name() + " is int32; GpuCheck draws float captures only";
      }
    }
    for (String name : drawn.keySet()) {
      if (!names.contains(name)) {
        return "GpuCheck draws " + name + ", which the manifest does not declare";
      }
    }
    return null;
  }

  private static double num(Map<String, Object> p, String key) {
    Object v = p.get(key);
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException("parameter " + key + ": expected a number, got " + v);
    }
    return n.doubleValue();
  }

  private static float[] toFloats(double[] x) {
    float[] f = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      f[i] = (float) x[i];
    }
    return f;
  }

  private static double[] toDoubles(float[] x) {
    double[] d = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      d[i] = x[i];
    }
    return d;
  }
}
