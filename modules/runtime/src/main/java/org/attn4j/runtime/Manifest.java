package org.attn4j.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.runtime.internal.Json;
import org.jspecify.annotations.Nullable;

/**
 * The {@code manifest.json} of an artifact: what the kernel computes, its function signature with symbolic and
 * static dims and their bounds, the target, the TVM version, the schedule and its parameters, the alignment the
 * kernel assumes, and the sha256 of the library. Immutable.
 *
 * @param abi manifest/artifact ABI version ({@link #ABI})
 * @param attn4jVersion the attn4j version that built it
 * @param tvmVersion TVM's version ({@code 0.18.0})
 * @param variant the variant's stable name, e.g. {@code sdpa_float32_h8kv8_d64_causal}
 * @param spec the variant's parameters (heads, kvHeads, headDim, causal, ...)
 * @param function the exported function's name
 * @param arguments the function's arguments in order
 * @param dims the symbolic dims with their inclusive bounds {@code [lo, hi]}
 * @param target the target: {@code kind} (cpu or cuda), {@code level}, {@code tvm} (TVM's target string)
 * @param schedule the schedule's name
 * @param scheduleParameters the schedule's parameters
 * @param alignment bytes of alignment the kernel assumes for every argument's data
 * @param library the shared library's file name, next to the manifest
 * @param sha256 hex sha256 of the library
 */
public record Manifest(
    int abi,
    String attn4jVersion,
    String tvmVersion,
    String variant,
    Map<String, Object> spec,
    String function,
    List<Argument> arguments,
    Map<String, long[]> dims,
    Map<String, String> target,
    String schedule,
    Map<String, Object> scheduleParameters,
    int alignment,
    String library,
    String sha256) {

  /** The artifact ABI this runtime reads. */
  public static final int ABI = 1;
  /** The TVM version this runtime links. */
  public static final String TVM_VERSION = "0.18.0";
  /** The manifest's file name inside an artifact directory. */
  public static final String FILE_NAME = "manifest.json";

  /**
   * One argument of the kernel.
   *
   * @param name e.g. {@code q}
   * @param role {@code input} or {@code output}
   * @param dtype TVM's dtype name, e.g. {@code float32}
   * @param shape each dim is an integer (static) or a symbol name from {@link Manifest#dims()}
   */
  public record Argument(String name, String role, String dtype, List<Object> shape) {
    /** Whether this is an output. */
    public boolean isOutput() {
      return role.equals("output");
    }

    /**
     * The concrete shape for a call: static dims as they are, symbolic ones from {@code dims}.
     *
     * @throws IllegalArgumentException if a symbolic dim has no value in {@code dims}
     */
    public long[] resolve(Dims dims) {
      long[] s = new long[shape.size()];
      for (int r = 0; r < s.length; r++) {
        Object d = shape.get(r);
        s[r] = d instanceof Number n ? n.longValue() : dims.get((String) d);
      }
      return s;
    }

    /** The shape in einops-like text, e.g. {@code [b, 8, n, 64]}. */
    public String shapeText() {
      return shape.toString();
    }
  }

  /** The JSON text of this manifest. */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("abi", abi);
    m.put("attn4j_version", attn4jVersion);
    m.put("tvm_version", tvmVersion);
    m.put("variant", variant);
    m.put("spec", spec);
    m.put("function", function);
    List<Object> args = new ArrayList<>();
    for (Argument a : arguments) {
      Map<String, Object> am = new LinkedHashMap<>();
      am.put("name", a.name());
      am.put("role", a.role());
      am.put("dtype", a.dtype());
      am.put("shape", a.shape());
      args.add(am);
    }
    m.put("arguments", args);
    Map<String, Object> d = new LinkedHashMap<>();
    dims.forEach((k, v) -> d.put(k, List.of(v[0], v[1])));
    m.put("dims", d);
    m.put("target", target);
    Map<String, Object> sched = new LinkedHashMap<>(); // fixed key order: the same manifest, the same bytes
    sched.put("name", schedule);
    sched.put("parameters", scheduleParameters);
    m.put("schedule", sched);
    m.put("alignment", alignment);
    m.put("library", library);
    m.put("sha256", sha256);
    return Json.write(m);
  }

  /**
   * Reads {@code dir/manifest.json}.
   *
   * @throws IOException if it cannot be read
   * @throws IllegalArgumentException if it is malformed, naming the field
   */
  public static Manifest read(Path dir) throws IOException {
    Path file = dir.resolve(FILE_NAME);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("artifact " + dir + ": expected a " + FILE_NAME + ", found none");
    }
    return parse(Files.readString(file), file.toString());
  }

  /** Parses manifest JSON; {@code where} names the source in error messages. */
  @SuppressWarnings("unchecked")
  public static Manifest parse(String json, String where) {
    Object root = Json.parse(json);
    if (!(root instanceof Map<?, ?> m)) {
      throw new IllegalArgumentException(where + ": expected a JSON object");
    }
    Map<String, Object> o = (Map<String, Object>) m;
    List<Argument> args = new ArrayList<>();
    for (Object a : list(o, "arguments", where)) {
      Map<String, Object> am = (Map<String, Object>) a;
      args.add(new Argument(str(am, "name", where), str(am, "role", where), str(am, "dtype", where),
          (List<Object>) am.get("shape")));
    }
    Map<String, long[]> dims = new LinkedHashMap<>();
    map(o, "dims", where).forEach((k, v) -> {
      List<Object> lh = (List<Object>) v;
      dims.put(k, new long[] {((Number) lh.get(0)).longValue(), ((Number) lh.get(1)).longValue()});
    });
    Map<String, Object> sch = map(o, "schedule", where);
    Map<String, String> target = new LinkedHashMap<>();
    map(o, "target", where).forEach((k, v) -> target.put(k, String.valueOf(v)));
    return new Manifest(
        (int) num(o, "abi", where),
        str(o, "attn4j_version", where),
        str(o, "tvm_version", where),
        str(o, "variant", where),
        map(o, "spec", where),
        str(o, "function", where),
        List.copyOf(args),
        dims,
        target,
        str(sch, "name", where),
        map(sch, "parameters", where),
        (int) num(o, "alignment", where),
        str(o, "library", where),
        str(o, "sha256", where));
  }

  private static @Nullable Object field(Map<String, Object> o, String k, String where) {
    if (!o.containsKey(k)) {
      throw new IllegalArgumentException(where + ": field '" + k + "' is missing");
    }
    return o.get(k);
  }

  private static String str(Map<String, Object> o, String k, String where) {
    Object v = field(o, k, where);
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException(where + ": field '" + k + "' should be a string, got " + v);
    }
    return s;
  }

  private static long num(Map<String, Object> o, String k, String where) {
    Object v = field(o, k, where);
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException(where + ": field '" + k + "' should be a number, got " + v);
    }
    return n.longValue();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> o, String k, String where) {
    Object v = field(o, k, where);
    if (!(v instanceof Map<?, ?>)) {
      throw new IllegalArgumentException(where + ": field '" + k + "' should be an object, got " + v);
    }
    return (Map<String, Object>) v;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Map<String, Object> o, String k, String where) {
    Object v = field(o, k, where);
    if (!(v instanceof List<?>)) {
      throw new IllegalArgumentException(where + ": field '" + k + "' should be an array, got " + v);
    }
    return (List<Object>) v;
  }
}
