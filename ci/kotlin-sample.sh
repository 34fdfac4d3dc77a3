#!/usr/bin/env bash
# Builds and runs samples/kotlin-modifier: a score modifier written in Kotlin with attn4j's DSL, compiled in-process
# (JIT) and checked against the plain-Java reference. Installs the attn4j modules it uses into ~/.m2 first
# (SKIP_INSTALL=1 skips that). Extra arguments go to the sample's Maven build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
args=(-B -Djavacpp.platform=linux-x86_64)
if [[ -z "${SKIP_INSTALL:-}" ]]; then
  mvn "${args[@]}" -q install -DskipTests -pl python-free-build,modules/reference -am
fi
exec mvn "${args[@]}" -q -f samples/kotlin-modifier/pom.xml "$@" package exec:exec
