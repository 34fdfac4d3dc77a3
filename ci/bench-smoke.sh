#!/usr/bin/env bash
# A 2-3 minute run of ci/bench.sh on small shapes, 1 and 2 threads: every implementation must pass its check
# against the oracle (and load: --require-all), else the exit status is non-zero. It never asserts a time.
# Besides the core it runs two variants (rotary: a q/k prologue; fox: a bias, causal only) on every smoke
# shape, attn4j against the onnxruntime and pytorch compositions (BENCH_VARIANTS overrides, "" for none).
# Then the JMH harness's smoke (ci/jmh.sh --smoke, about 35 s more; JMH_SMOKE=0 skips it): each JMH benchmark once
# on a small causal shape, the core and FoX, every trial checked against the oracle first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
status=0
BENCH_VARIANTS=${BENCH_VARIANTS-core,rotary,fox} BENCH_OUT=${BENCH_OUT:-target/bench-smoke} \
  STARTUP_REPEATS=${STARTUP_REPEATS:-1} ci/bench.sh \
  --shapes 2x4x128x128x32,1x4x64x192x32c,1x8x256x256x64c --rounds 2 --warmup 1 --round-ms 20 --require-all "$@" \
  || status=$?
if [ "${JMH_SMOKE:-1}" != 0 ]; then
  BENCH_BUILT=1 ci/jmh.sh --smoke || status=1
fi
exit "$status"
