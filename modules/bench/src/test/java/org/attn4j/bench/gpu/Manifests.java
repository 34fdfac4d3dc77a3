package org.attn4j.bench.gpu;

import org.attn4j.runtime.Manifest;

/** Test manifests: a CPU artifact's manifest.json with the spec fields, modifiers and captures given. */
final class Manifests {
  private Manifests() {}

  /**
   * A manifest of a causal {@code h=4 h_kv=2 d=32} artifact of {@code dtype} with {@code lse}, the modifiers
   * (a JSON list's items) and the capture arguments (JSON objects) given.
   */
  static Manifest of(String dtype, String modifiers, String captures) {
    String json = """
        {"abi": 1, "attn4j_version": "0.1.0", "tvm_version": "0.18.0", "variant": "test_%1$s",
         "spec": {"variant": "scaled_dot_product", "modifiers": [%2$s], "dtype": "%1$s", "heads": 4,
                  "kv_heads": 2, "head_dim": 32, "causal": "BOTTOM_RIGHT", "head_mapping": "TILED",
                  "key_lengths": false, "lse": true, "scale": 0.17677669529663687},
         "function": "attn4j_kernel",
         "arguments": [{"name": "q", "role": "input", "dtype": "%1$s", "shape": ["b", 4, "n", 32]},
                       {"name": "k", "role": "input", "dtype": "%1$s", "shape": ["b", 2, "m", 32]},
                       {"name": "v", "role": "input", "dtype": "%1$s", "shape": ["b", 2, "m", 32]}%3$s
                       {"name": "out", "role": "output", "dtype": "%1$s", "shape": ["b", 4, "n", 32]},
                       {"name": "lse", "role": "output", "dtype": "float32", "shape": ["b", 4, "n"]}],
         "dims": {"b": [1, 64], "n": [1, 4096], "m": [1, 4096]},
         "target": {"kind": "cpu", "level": "x86-64-v3", "tvm": "llvm"},
         "schedule": {"parameters": {}, "name": "cpu-flash"},
         "alignment": 16, "library": "kernel.so", "sha256": "0"}
        """.formatted(dtype, modifiers, captures.isEmpty() ? "," : "," + captures + ",");
    return Manifest.parse(json, "test manifest");
  }

  /** Rotary (arange), ALiBi, FoX (data-dependent) and a soft-cap, with their two captures. */
  static Manifest combined(String dtype) {
    return of(dtype, """
        {"name": "rope16_arange", "parameters": {"dim": 16, "layout": "INTERLEAVED", "base": 10000.0,
          "ntkFactor": 1.0, "interpolation": 1.0, "positions": "arange"}},
        {"name": "alibi", "parameters": {}},
        {"name": "fox_data_dependent_eps1.0E-12", "parameters": {"gate": "DATA_DEPENDENT",
          "direction": "FORWARD", "lambda": 1.0, "epsilon": 1e-12}},
        {"name": "softcap_30.0", "parameters": {"cap": 30.0}}""", """
        {"name": "alibi_slopes", "role": "input", "dtype": "float32", "shape": [4]},
        {"name": "forget_cumsum", "role": "input", "dtype": "float32", "shape": ["b", 4, "m"]}""");
  }
}
