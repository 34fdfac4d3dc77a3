#!/usr/bin/env bash
# The JMH benchmarks of modules/bench (org.attn4j.bench.jmh): attn4j's fused kernels and each peer (ONNX Runtime,
# PyTorch SDPA via DJL, OpenBLAS, naive Java), variant x shape (AttentionBenchmark, steady-state calls), and
# attn4j's artifact compile and load apart from them (ArtifactBenchmark, single shots). Every trial checks its
# implementation against the oracle (modules/reference, Tolerances.FP32) before timing it; a wrong one fails.
# One JMH run per thread count (TVM reads TVM_NUM_THREADS once per process; JMH's forks inherit it), all peers in
# this one script. Output in target/jmh: jmh-<t>t.json (JMH's JSON) and jmh-<t>t.log, checks.csv and env.csv (each
# trial's check, load time and JVM facts), report/ (report.md, report.html, summary.csv: ratios per variant x
# shape, through the bench's ReportWriter).
#
#   ci/jmh.sh                 # everything: 9 variants x 3 shapes, threads 1 and 2 (estimated 1.5-2 h on 2 vCPUs)
#   ci/jmh.sh --smoke         # about a minute: one small causal shape, core and FoX, 1 fork, 1 short iteration
#   ci/jmh.sh 'AttentionBenchmark\.(attn4j|onnxruntime)' -p variant=core,rotary -p shape=1x8x1024x1024x64c
#   ci/jmh.sh 'AttentionBenchmark\.attn4j' -p target=cpu:x86-64-v3,cpu:x86-64-v4   # AVX2 vs AVX-512 code
#   ci/jmh.sh -lp             # any JMH option passes through (-h for JMH's help); -l/-lp/-h run once
#
# Environment: JMH_THREADS (default "1 2"; "1" with --smoke), JMH_OUT (default target/jmh), BENCH_MVN_ARGS (extra
# Maven arguments, e.g. -o), BENCH_BUILT=1 (skip the build; see ci/bench-java.sh). Exit status: non-zero if a
# trial failed (an implementation FAILED the oracle check, or threw) or JMH did; trials that are not applicable
# (FoX on a non-causal shape, a CUDA target, ...) are recorded as UNSUPPORTED and do not count. Timings from a busy
# or shared machine are smoke, not results.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${JMH_OUT:-target/jmh}
threads=${JMH_THREADS:-1 2}
mode=()
if [ "${1:-}" = "--smoke" ]; then
  shift
  threads=${JMH_THREADS:-1}
  mode=(-p shape=2x4x128x128x32c -p variant=core,fox -f 1 -wi 0 -i 1 -r 300ms -foe true)
fi
for a in "$@"; do
  case "$a" in -l | -lp | -lprof | -h | -help) threads=1 ;; esac
done

# shellcheck source=ci/bench-java.sh
source ci/bench-java.sh

rm -rf "$out"
mkdir -p "$out"
status=0
for t in $threads; do
  echo "== JMH, $t thread(s): TVM_NUM_THREADS=$t OMP_NUM_THREADS=$t"
  rc=0
  # JMH's forks inherit this JVM's flags, plus the ones the benchmarks' @Fork adds (--add-opens, -Xss, DJL offline)
  TVM_NUM_THREADS=$t OMP_NUM_THREADS=$t java -Dattn4j.cache.dir="$PWD/target/attn4j-cache" -Dattn4j.jmh.out="$out" \
    -cp "$bench_cp" org.openjdk.jmh.Main \
    -p threads="$t" -rf json -rff "$out/jmh-${t}t.json" ${mode[@]+"${mode[@]}"} "$@" 2>&1 | tee "$out/jmh-${t}t.log" \
    || rc=$?
  failed=$(grep -c '^<failure>' "$out/jmh-${t}t.log" || true)
  skipped=$(grep -c 'UnsupportedOperationException: not applicable, not timed' "$out/jmh-${t}t.log" || true)
  echo "== JMH, $t thread(s): exit $rc, $failed failed trial(s), of which $skipped not applicable"
  if [ "$rc" -ne 0 ] || [ "$failed" -gt "$skipped" ]; then
    status=1
  fi
done

if ls "$out"/jmh-*t.json >/dev/null 2>&1; then
  "${jvm[@]}" org.attn4j.bench.jmh.JmhReport "$out/report" "$out" "$out"/jmh-*t.json || status=1
fi
exit "$status"
