#!/usr/bin/env bash
# Builds and runs samples/aot-sample, which uses only attn4j's published coordinates: installs the plugin and the
# runtime (and what they need), then compiles the sample's two variants ahead of time and runs them on Arrow data.
#   ci/sample.sh                       installs into your local repository (~/.m2), like `mvn install` would
#   ATTN4J_REPO=/path ci/sample.sh     uses a private local repository instead (third-party artifacts are copied
#                                      from ~/.m2/repository, never downloaded); ci and tests use this
#   SKIP_INSTALL=1 ci/sample.sh        runs the sample against what is already installed
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SAMPLE_SETTINGS_NAME=sample-settings.xml
# shellcheck source=ci/sample-maven-args.sh
source ci/sample-maven-args.sh
if [[ -z "${SKIP_INSTALL:-}" ]]; then
  mvn "${args[@]}" -q install -DskipTests -Dinvoker.skip -pl python-free-build/maven-plugin -am
fi
exec mvn "${args[@]}" -f samples/aot-sample/pom.xml "$@" package exec:exec
