#!/usr/bin/env bash
# Builds and runs samples/kotlin-modifier: two modifiers written in Kotlin with attn4j's DSL (a custom score_mod and
# FoX forgetting attention with its gates computed in Kotlin), compiled in-process (JIT) and checked against the
# plain-Java reference. Installs the attn4j modules it uses first. Extra arguments go to the sample's Maven build.
#   ci/kotlin-sample.sh                    installs into your local repository (~/.m2), like `mvn install` would
#   ATTN4J_REPO=/path ci/kotlin-sample.sh  uses a private local repository instead (third-party artifacts are
#                                          copied from ~/.m2/repository, never downloaded), as ci/sample.sh does
#   SKIP_INSTALL=1 ci/kotlin-sample.sh     runs the sample against what is already installed
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SAMPLE_SETTINGS_NAME=kotlin-sample-settings.xml
# shellcheck source=ci/sample-maven-args.sh
source ci/sample-maven-args.sh
if [[ -z "${SKIP_INSTALL:-}" ]]; then
  mvn "${args[@]}" -q install -DskipTests -pl python-free-build,modules/reference -am
fi
exec mvn "${args[@]}" -q -f samples/kotlin-modifier/pom.xml "$@" package exec:exec
