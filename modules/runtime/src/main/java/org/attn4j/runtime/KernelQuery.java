package org.attn4j.runtime;

import org.jspecify.annotations.Nullable;

/**
 * What artifact to load: a variant, optionally a dtype, and a target preference. Immutable.
 *
 * <pre>{@code
 * KernelQuery.of("sdpa_float32_h8kv8_d64_causal");                       // best target this host can run
 * KernelQuery.of("sdpa_h8kv8_d64_causal").withDtype("float16");          // the dtype picks sdpa_float16_...
 * KernelQuery.of("sdpa_float32_h8kv8_d64").withTarget("cpu:x86-64-v3");  // explicit override
 * }</pre>
 *
 * @param variant the manifest's variant name, or that name without its dtype part when {@code dtype} is given
 * @param dtype the dtype ({@code float32}, {@code float16}, ...), or {@code null} for any
 * @param target {@code null} (automatic: CUDA when a GPU and a CUDA artifact are present, else the best CPU level
 *     the host supports), a kind ({@code cpu}, {@code cuda}) or an exact target ({@code cpu:x86-64-v3},
 *     {@code cuda:sm_80})
 */
public record KernelQuery(String variant, @Nullable String dtype, @Nullable String target) {
  /** Checks the target's form. */
  public KernelQuery {
    if (variant.isBlank()) {
      throw new IllegalArgumentException("variant: expected a name such as sdpa_float32_h8kv8_d64, got ''");
    }
    if (target != null && !target.matches("(cpu|cuda)(:[A-Za-z0-9_.-]+)?")) {
      throw new IllegalArgumentException("target: expected cpu, cuda, cpu:<level> or cuda:<sm_XX>, got '" + target
          + "'");
    }
  }

  /** Any dtype, automatic target. */
  public static KernelQuery of(String variant) {
    return new KernelQuery(variant, null, null);
  }

  /** This query with {@code dtype}. */
  public KernelQuery withDtype(String dtype) {
    return new KernelQuery(variant, dtype, target);
  }

  /** This query with a target preference ({@code cpu}, {@code cuda}, {@code cpu:x86-64-v3}, {@code cuda:sm_90}). */
  public KernelQuery withTarget(String target) {
    return new KernelQuery(variant, dtype, target);
  }

  /** Whether {@code m} is this variant and dtype (the target is checked by selection). */
  boolean matches(Manifest m) {
    String dt = String.valueOf(m.spec().get("dtype"));
    if (dtype != null && !dtype.equals(dt)) {
      return false;
    }
    return m.variant().equals(variant) || m.variant().replace("_" + dt, "").equals(variant);
  }

  @Override
  public String toString() {
    return "variant " + variant + ", dtype " + (dtype == null ? "any" : dtype) + ", target "
        + (target == null ? "auto" : target);
  }
}
