package org.attn4j.attention;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.attn4j.te.DType;
import org.attn4j.te.Expr;
import org.attn4j.te.Te;
import org.attn4j.te.Tensor;
import org.attn4j.te.Var;

/**
 * A user-defined modifier, FlexAttention's {@code score_mod}/{@code mask_mod} compiled ahead of time: given a
 * {@link Context}, it declares the tensors it reads ({@link Context#capture}: extra kernel inputs such as a
 * bias table) and returns the {@link Slots} it fills. The same slot lambdas serve every schedule (the TE compute
 * and the loop nests), so a modifier is written once. {@link Modifiers} is the gallery; a {@link Variant}
 * combines modifiers with an {@link AttentionSpec}.
 *
 * <pre>{@code
 * // a learned bias per (head, key): s + bias[h, j]
 * Modifier keyBias = Modifier.named("key_bias", Map.of(), ctx -> {
 *   Tensor bias = ctx.capture("key_bias", DType.FLOAT32, ctx.getSpec().getHeads(), ctx.getM());
 *   return Slots.score((s, b, h, i, j) -> s.plus(bias.get(h, j)));
 * });
 * }</pre>
 *
 * <p>In Kotlin: {@code Modifier { ctx -> Slots.mask { b, h, i, j -> (i - j) lt 128 } }} (SAM conversion).
 */
@FunctionalInterface
public interface Modifier {
  /**
   * Declares captures through {@code ctx} and returns the slots. Called once per kernel definition, while the
   * compute is built; must not keep {@code ctx}.
   */
  Slots define(Context ctx);

  /** A short name for artifact and manifest names, e.g. {@code alibi}. */
  default String getName() {
    return "custom";
  }

  /** The modifier's parameters, recorded in the manifest (numbers, strings, booleans). */
  default Map<String, Object> getParameters() {
    return Map.of();
  }

  /**
   * {@code body} with a name and parameters for manifests.
   *
   * @throws IllegalArgumentException if {@code name} is not made of {@code [A-Za-z0-9_.-]}
   */
  static Modifier named(String name, Map<String, Object> parameters, Modifier body) {
    Context.checkName("modifier name", name);
    Map<String, Object> p = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    Objects.requireNonNull(body, "body");
    return new Modifier() {
      @Override
      public Slots define(Context ctx) {
        return body.define(ctx);
      }

      @Override
      public String getName() {
        return name;
      }

      @Override
      public Map<String, Object> getParameters() {
        return p;
      }
    };
  }

  /**
   * What a modifier sees while a kernel is defined: the DSL, the spec, the symbolic dims, and
   * {@link #capture} for extra inputs. Captured tensors become kernel arguments after
   * {@code q, k, v, [key_lengths]} and before the outputs, in capture order.
   */
  final class Context {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Set<String> RESERVED = Set.of("q", "k", "v", "key_lengths", "out", "lse");
    private final Te te;
    private final AttentionSpec spec;
    private final Var b;
    private final Var n;
    private final Var m;
    private final List<Tensor> captured = new ArrayList<>();
    private final java.util.Map<String, Tensor> provided;
    private final Set<String> supplied = new java.util.LinkedHashSet<>();

    Context(Te te, AttentionSpec spec, Var b, Var n, Var m) {
      this(te, spec, b, n, m, java.util.Map.of());
    }

    /**
     * A context where a capture named in {@code provided} returns that tensor (e.g. a compute stage of an
     * {@link AttentionLayer}) instead of a new kernel input; see {@link #capture}.
     */
    Context(Te te, AttentionSpec spec, Var b, Var n, Var m, java.util.Map<String, Tensor> provided) {
      this.te = te;
      this.spec = spec;
      this.b = b;
      this.n = n;
      this.m = m;
      this.provided = java.util.Map.copyOf(provided);
    }

    /** The DSL context. */
    public Te getTe() {
      return te;
    }

    /** The core spec (heads, head dim, causal mode...). */
    public AttentionSpec getSpec() {
      return spec;
    }

    /** The symbolic batch size {@code b}. */
    public Var getB() {
      return b;
    }

    /** The symbolic query length {@code n}. */
    public Var getN() {
      return n;
    }

    /** The symbolic key length {@code m}. */
    public Var getM() {
      return m;
    }

    /**
     * A new kernel input {@code name} of {@code dtype}, e.g. {@code capture("alibi_slopes", FLOAT32, h)}. Each
     * dim is an integer or one of {@link #getB()}, {@link #getN()}, {@link #getM()}, so the runtime can check
     * it ("{@code alibi_slopes: expected [8] ...}").
     *
     * @throws IllegalArgumentException if the name is taken or malformed, or a dim is of another kind
     */
    public Tensor capture(String name, DType dtype, Object... dims) {
      checkName("capture name", name);
      if (RESERVED.contains(name) || captured.stream().anyMatch(t -> t.getName().equals(name))
          || supplied.contains(name)) {
        throw new IllegalArgumentException("capture " + name + ": expected a name not used by another argument"
            + " (q, k, v, key_lengths, out, lse or an earlier capture), got a duplicate");
      }
      for (Object d : dims) {
        boolean ok = d instanceof Integer i ? i >= 1 : d instanceof Long l ? l >= 1 : d == b || d == n || d == m;
        if (!ok) {
          throw new IllegalArgumentException("capture " + name + ": expected dims that are integers >= 1 or one"
              + " of b, n, m, got " + (d instanceof Expr e ? "the expression " + e : String.valueOf(d)));
        }
      }
      Tensor given = provided.get(name);
      if (given != null) {
        checkProvided(given, name, dtype, dims);
        supplied.add(name);
        return given;
      }
      Tensor t = te.placeholder(name, dtype, dims);
      captured.add(t);
      return t;
    }

    /** The names of {@code provided} tensors that a capture has returned so far. */
    Set<String> getSupplied() {
      return Set.copyOf(supplied);
    }

    private void checkProvided(Tensor given, String name, DType dtype, Object[] dims) {
      boolean same = given.getDtype() == dtype && given.getRank() == dims.length;
      for (int i = 0; same && i < dims.length; i++) {
        Expr e = given.getShape().get(i);
        Object d = dims[i];
        same = d instanceof Integer || d instanceof Long
            ? e.getIntConstant().isPresent() && e.getIntConstant().getAsLong() == ((Number) d).longValue()
            : e == d;
      }
      if (!same) {
        throw new IllegalArgumentException("capture " + name + ": the tensor supplied for it (" + given + ") does"
            + " not have the captured dtype and shape " + dtype.getTvmName() + " " + java.util.Arrays.toString(dims));
      }
    }

    /** The tensors captured so far, in argument order. */
    public List<Tensor> getCaptured() {
      return List.copyOf(captured);
    }

    static void checkName(String what, String name) {
      if (name == null || !NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(what + ": expected letters, digits, '_', '.' or '-', got '" + name + "'");
      }
    }
  }
}
