#!/usr/bin/env bash
# Builds and runs the rotary cross-attention sample (samples/src/main/java/org/attn4j/samples/MaeCrossAttention.java):
# an MAE-style decoder (masked patches as queries) attending over the visible patches, queries and keys rotated
# with their own positions in one shared position space (RotaryPositions.cross), compiled in-process (JIT),
# run zero-copy on Arrow vectors and checked against the plain-Java reference. Runs inside the reactor
# (`-pl samples -am`): nothing is installed. Extra arguments go to Maven (e.g. -o).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec mvn -B -q -Djavacpp.platform=linux-x86_64 -pl samples -am package -DskipTests -Dsample=MaeCrossAttention "$@"
