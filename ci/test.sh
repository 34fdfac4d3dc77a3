#!/usr/bin/env bash
# The README's test command: builds every module and runs every test (CPU; CUDA artifacts are built and
# inspected when nvcc is on the PATH, never run). Everything comes from Maven Central; no Python.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec mvn -B -Djavacpp.platform=linux-x86_64 install "$@"
