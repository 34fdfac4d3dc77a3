#!/usr/bin/env bash
# What a CPU-only application pulls in when it depends on org.attn4j:attn4j-runtime, and proof that it is enough.
#   1. builds the jars (mvn package, nothing installed) and resolves attn4j-runtime's runtime-scope dependencies
#   2. prints every jar of that set with its size and the total; fails if the total exceeds
#      ATTN4J_RUNTIME_BUDGET_MB (default 10)
#   3. builds one CPU artifact with the compiler (its own, full class path), then runs it in a JVM whose class path
#      is the runtime's set only (ci/runtime/RunArtifact.java): checked against a naive Java computation, and
#      failing if libtvm.so or LLVM was mapped
# Extra arguments go to Maven (e.g. -o).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"
budget_mb="${ATTN4J_RUNTIME_BUDGET_MB:-10}"
work="$root/target/runtime-size"
rm -rf "$work" && mkdir -p "$work"

echo "== [1/3] jars and class paths (mvn package, no tests, nothing installed)"
mvn -B -q -Djavacpp.platform=linux-x86_64 -DskipTests "$@" -pl python-free-build -am package \
  dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=target/classpath.txt
runtime_jar="$(ls "$root"/modules/runtime/target/attn4j-runtime-*.jar | grep -v -- '-sources\|-javadoc' | head -1)"
runtime_cp="$runtime_jar:$(cat "$root/modules/runtime/target/classpath.txt")"
compiler_cp="$root/python-free-build/target/classes:$(cat "$root/python-free-build/target/classpath.txt")"

echo "== [2/3] attn4j-runtime's CPU-only dependency set (runtime scope)"
total=0
while read -r jar; do
  size=$(stat -c %s "$jar")
  total=$((total + size))
  printf '%10d  %s\n' "$size" "${jar#"$HOME/.m2/repository/"}"
done < <(tr ":" "\n" <<<"$runtime_cp" | awk NF | sort)
printf '%10d  TOTAL: %s jars, %.1f MB (budget %s MB)\n' "$total" "$(tr ':' '\n' <<<"$runtime_cp" | awk 'NF' | wc -l)" \
  "$(awk -v t="$total" 'BEGIN{print t/1e6}')" "$budget_mb"
tr ':' '\n' <<<"$runtime_cp" | grep -E '/org/bytedeco/(llvm|dnnl|openblas|opencl)/|/tvm-[^/]*-linux-x86_64[^/]*\.jar$' \
  && { echo "FAIL: compiler-side natives in the runtime's dependency set (above)" >&2; exit 1; }
if [ "$total" -gt $((budget_mb * 1000000)) ]; then
  echo "FAIL: over the budget of $budget_mb MB" >&2
  exit 1
fi

echo "== [3/3] build a CPU artifact (compiler class path), run it with the runtime's set only"
flags=(--add-opens=java.base/java.nio=ALL-UNNAMED -Xss4m)
java "${flags[@]}" -cp "$compiler_cp" org.attn4j.build.cli.Attn4j \
  build --heads 4 --kv-heads 2 --head-dim 32 --causal --target cpu:host --out "$work/artifacts"
artifact="$(ls -d "$work"/artifacts/*/ | head -1)"
java "${flags[@]}" -Dorg.bytedeco.javacpp.cachedir="$work/javacpp-cache" -cp "$runtime_cp" \
  "$root/ci/runtime/RunArtifact.java" "$artifact"
