# Sourced by ci/bench.sh and ci/jmh.sh (from the repository root): builds modules/bench and the modules it needs
# (package, nothing installed) and sets `bench_cp`, its runtime class path, and `jvm`, the java command line (JVM
# flags and class path) that runs its classes; exports DJL_CACHE_DIR. BENCH_MVN_ARGS adds Maven arguments (e.g.
# "-o" to stay offline); BENCH_BUILT=1 skips the build when an earlier script of the same run has just made it.
if [[ "${BENCH_BUILT:-}" != 1 || ! -f target/bench-classpath.txt ]]; then
  read -r -a bench_mvn_args <<<"${BENCH_MVN_ARGS:-}"
  mvn -B -q -Djavacpp.platform=linux-x86_64 ${bench_mvn_args[@]+"${bench_mvn_args[@]}"} -pl modules/bench -am \
    package -DskipTests \
    dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$PWD/target/bench-classpath.txt"
fi
bench_cp="$(cat target/bench-classpath.txt):$(ls modules/bench/target/attn4j-bench-*.jar | head -n 1)"
export DJL_CACHE_DIR="$PWD/modules/bench/target/djl-cache"
# shellcheck disable=SC2034 # used by the scripts that source this one
jvm=(java --add-opens=java.base/java.nio=ALL-UNNAMED -Xss4m -Dai.djl.offline=true
  -Dattn4j.cache.dir="$PWD/target/attn4j-cache" -cp "$bench_cp")
