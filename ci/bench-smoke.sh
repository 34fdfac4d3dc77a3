#!/usr/bin/env bash
# A 1-2 minute run of ci/bench.sh on small shapes, 1 and 2 threads: every implementation must pass its check
# against the oracle (and load: --require-all), else the exit status is non-zero. It never asserts a time.
# Besides the core it runs two variants (rotary: a q/k prologue; fox: a bias, causal only) on every smoke
# shape, attn4j against the onnxruntime and pytorch compositions (BENCH_VARIANTS overrides, "" for none).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BENCH_VARIANTS=${BENCH_VARIANTS-core,rotary,fox} BENCH_OUT=${BENCH_OUT:-target/bench-smoke} \
  STARTUP_REPEATS=${STARTUP_REPEATS:-1} exec ci/bench.sh \
  --shapes 2x4x128x128x32,1x4x64x192x32c,1x8x256x256x64c --rounds 2 --warmup 1 --round-ms 20 --require-all "$@"
