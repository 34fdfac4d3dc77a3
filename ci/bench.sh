#!/usr/bin/env bash
# The benchmark: attn4j's kernels against ONNX Runtime, PyTorch SDPA (DJL), OpenBLAS and plain Java, in the same
# run, one JVM per thread count (TVM reads TVM_NUM_THREADS once per process), then start-up probes (a fresh JVM
# each), merged into one report: target/bench-report/report.html (+ report.md, summary.csv, samples.csv, *.svg).
#
#   ci/bench.sh                                   # reference shapes 1x8x1024x1024x64 and its causal twin
#   ci/bench.sh --shapes 1x8x2048x64c --rounds 9  # any BenchMain option (see BenchMain --help)
#   ci/bench.sh --variants core,alibi,rotary,rotary-cross,fox,fox-decay,value-residual,softcap,window  # or "all"
#       # each variant: attn4j's fused kernel vs each peer's composition (float bias, rotary around the call, ...),
#       # all interleaved in one process; report.md/html gain a per-variant table, variants.csv and variants-*.svg
#
# Environment: BENCH_THREADS (default "1 2"), STARTUP_REPEATS (default 5), BENCH_OUT (default
# target/bench-report), BENCH_VARIANTS (default: none given, i.e. the core only; same as --variants),
# BENCH_MVN_ARGS (extra Maven arguments, e.g. -o). Run it on a quiet machine. Exit status: non-zero if an
# implementation failed its check against the oracle (results and report are still written).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${BENCH_OUT:-target/bench-report}
threads=${BENCH_THREADS:-1 2}
variant_args=()
if [ -n "${BENCH_VARIANTS:-}" ]; then
  variant_args=(--variants "$BENCH_VARIANTS")
fi
repeats=${STARTUP_REPEATS:-5}

# shellcheck source=ci/bench-java.sh
source ci/bench-java.sh

rm -rf "$out"
mkdir -p "$out"
runs=()
status=0
for t in $threads; do
  echo "== BenchMain, $t thread(s)"
  TVM_NUM_THREADS=$t OMP_NUM_THREADS=$t "${jvm[@]}" org.attn4j.bench.BenchMain --threads "$t" \
    --out "$out/run-${t}t" ${variant_args[@]+"${variant_args[@]}"} "$@" || status=$?
  runs+=("$out/run-${t}t")
done

artifact=$(ls -d "$out"/run-*/work/artifacts/*/ 2>/dev/null | head -n 1 || true)
if [ -n "$artifact" ] && [ "$repeats" -gt 0 ]; then
  echo "== start-up probes ($repeats each, fresh JVMs) on $artifact"
  echo "mode,first_result_ms,vmrss_kb,vmhwm_kb" > "$out/startup.csv"
  for mode in runtime compiler; do
    for _ in $(seq "$repeats"); do
      TVM_NUM_THREADS=1 "${jvm[@]}" org.attn4j.bench.StartupProbe "$mode" "$artifact" | tail -n 1 >> "$out/startup.csv"
    done
  done
else
  echo "== no attn4j artifact was built: start-up probes skipped"
fi

echo "== call overhead: the runtime's checked call vs a bare TVMFuncCall (1 thread)"
TVM_NUM_THREADS=1 "${jvm[@]}" org.attn4j.bench.CallOverhead 7 100000 | tail -n 1 | tee "$out/call-overhead.txt"

"${jvm[@]}" org.attn4j.bench.BenchReport "$out" "${runs[@]}"
exit "$status"
