#!/usr/bin/env bash
# The GPU check recipe, in two phases.
#
#   bash ci/gpu-check.sh prepare [BUNDLE_DIR]   on a build machine (JDK 17, Maven, cc, nvcc; no GPU needed):
#       builds the jars, builds every artifact of ci/gpu/*spec.json (CUDA sm_90/sm_80 through nvcc: float32 generic
#       and cuda-flash baselines, fp16/bf16 cuda-mma tensor-core kernels at the benchmark shapes, cuda-mma variants;
#       CPU x86-64-v3 ones in float32, fp16 and bf16) and writes a self-contained bundle (default
#       target/gpu-bundle): a jlink'd JRE, the run-side jars only (no compiler, no LLVM), TVM's GPU-build
#       libtvm_runtime.so + JNI lib, the real libcudart.so.12 (taken out of org.bytedeco:cuda's 2 GB -redist jar by
#       HTTP range requests, cached in $ATTN4J_GPU_CACHE), empty stand-ins for libraries the runtime only links,
#       the artifacts, this script and the PyTorch peer. Artifacts come from attn4j's build cache when unchanged.
#   bash BUNDLE_DIR/gpu-check.sh run            on the GPU machine (needs only the NVIDIA driver; no JDK, no
#       Maven, nothing fetched): nvidia-smi, then GpuCheck on every artifact (conformance against the Java
#       oracle on the same rounded inputs, then timing at b=1 n=m=1024 and the benchmark shape b=4 h=8 n=m=4096,
#       TFLOP/s by FlashAttention's count), then the PyTorch peer (SDPA flash/cuDNN/efficient, compiled
#       FlexAttention with ALiBi, soft-cap and FoX score_mods, rope + SDPA) if python3 has torch. Exit code:
#       GpuCheck's (0 pass, 1 mismatch/error, 3 an artifact was skipped: no GPU/driver usable, or a variant
#       GpuCheck cannot match to the oracle). Without a GPU it still runs the CPU artifacts (proving the bundle:
#       JRE, jars, natives, the 16-bit and variant paths) and reports every CUDA artifact as SKIP, exit 3: a GPU
#       check that saw no GPU never passes.
#       Environment of the run phase:
#         GPU_CHECK_RESULTS=DIR   write DIR/run.log, attn4j.csv/.md (GpuCheck), peer.csv/.md and
#                                 side_by_side.csv/.md (sdpa_peer.py): 7 files
#         GPU_CHECK_ARTIFACTS=GLOB  only the artifacts matching GLOB (default *), e.g. '*cuda-mma*'
#         GPU_CHECK_PEER=0        skip the PyTorch peer
#         GPU_CHECK_BUDGET=S      seconds for the whole run (default 560); the peer gets what GpuCheck left
#         GPU_CHECK_ARGS          more GpuCheck arguments, e.g. '--seed 1'
#
# With the device tool: prepare here, then carry the bundle (an ignored path, e.g. target/gpu-bundle) and run
#   GPU_CHECK_RESULTS=$OUT/gpu bash target/gpu-bundle/gpu-check.sh run
set -euo pipefail

phase="${1:-}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

run_phase() {
  local b="$1" started=$SECONDS
  echo "== bundle: $b ($(du -sh "$b" | cut -f1))"
  echo "== java on PATH: $(command -v java || echo none) (the bundle brings its own JRE: $b/jre)"
  local driver="" gpu=yes
  if command -v nvidia-smi >/dev/null && nvidia-smi; then
    for d in ${LD_LIBRARY_PATH//:/ } /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/cuda/compat; do
      if [ -e "$d/libcuda.so.1" ]; then driver="$d"; break; fi
    done
    [ -n "$driver" ] || driver="$(ldconfig -p 2>/dev/null | awk '/libcuda\.so\.1 /{print $NF; exit}' | xargs -r dirname)"
  fi
  if [ -z "$driver" ]; then
    echo "== no NVIDIA driver (libcuda.so.1) usable here: CUDA artifacts will be reported as SKIP, CPU ones run"
    driver="$b/natives/no-driver" # an empty libcuda.so.1 so the GPU build's runtime loads; cudart reports no device
    gpu=""
  fi
  echo "== libcuda.so.1 from: $driver"
  export LD_LIBRARY_PATH="$b/natives:$driver${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  local rc=0 results="${GPU_CHECK_RESULTS:-}" budget="${GPU_CHECK_BUDGET:-560}"
  local -a artifacts=("$b"/artifacts/${GPU_CHECK_ARTIFACTS:-*})
  echo "== GpuCheck on ${#artifacts[@]} artifact(s)${results:+, results in $results}"
  "$b/jre/bin/java" --add-opens=java.base/java.nio=ALL-UNNAMED -Xss4m \
    -Dorg.bytedeco.javacpp.cachedir="${TMPDIR:-/tmp}/attn4j-javacpp-cache" \
    -cp "$b/lib/*" org.attn4j.bench.gpu.GpuCheck --require-device ${results:+--results "$results"} \
    ${GPU_CHECK_ARGS:-} "${artifacts[@]}" || rc=$?
  echo "== GpuCheck took $((SECONDS - started)) s"
  local left=$((budget - (SECONDS - started)))
  if [ "${GPU_CHECK_PEER:-1}" = 0 ]; then
    echo "== sdpa peer: skipped (GPU_CHECK_PEER=0)"
  elif [ ! -f "$b/sdpa_peer.py" ] || [ -z "$gpu" ] || ! python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    echo "== sdpa peer: skipped (no GPU or no torch)"
  elif [ "$left" -lt 60 ]; then
    echo "== sdpa peer: skipped (${left} s left of GPU_CHECK_BUDGET=$budget)"
  else
    PYTHONUNBUFFERED=1 python3 "$b/sdpa_peer.py" --budget "$((left - 30))" ${results:+--out "$results"} \
      ${results:+--attn4j "$results/attn4j.csv"} || echo "== sdpa peer failed (not counted)"
  fi
  echo "== GpuCheck exit code: $rc (run took $((SECONDS - started)) s)"
  return "$rc"
}

prepare_phase() {
  local root out cache cp_bench cp_build mvn_flags started=$SECONDS
  root="$(cd "$here/.." && pwd)"
  out="${1:-$root/target/gpu-bundle}"
  cache="${ATTN4J_GPU_CACHE:-$HOME/.cache/attn4j/gpu-bundle}"
  mvn_flags=(-B -q -Djavacpp.platform=linux-x86_64)
  mkdir -p "$cache"
  rm -rf "$out" && mkdir -p "$out"
  local final="$out"
  out="$out/payload" # packed into payload.tar.gz at the end, so the bundle travels small
  mkdir -p "$out"/{lib,natives/no-driver,artifacts}

  echo "== [1/6] jars (mvn package, nothing installed)"
  (cd "$root" && mvn "${mvn_flags[@]}" -DskipTests -pl python-free-build,modules/bench -am package \
    dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=target/classpath.txt)
  cp_build="$root/python-free-build/target/classes:$(cat "$root/python-free-build/target/classpath.txt")"
  cp_bench="$(cat "$root/modules/bench/target/classpath.txt")"

  echo "== [2/6] artifacts of ci/gpu/*spec.json (CUDA sm_90/sm_80 through nvcc, CPU x86-64-v3), no GPU needed"
  command -v nvcc >/dev/null || { echo "nvcc not found: CUDA artifacts cannot be built" >&2; exit 1; }
  local spec t0
  for spec in "$here"/gpu/*spec.json; do
    t0=$SECONDS
    java --add-opens=java.base/java.nio=ALL-UNNAMED -Xss4m -cp "$cp_build" org.attn4j.build.cli.Attn4j \
      build --spec "$spec" --out "$out/artifacts" | grep -vE '^  \[[a-z0-9_-]+\] ' # no per-stage lines
    echo "   $(basename "$spec"): $((SECONDS - t0)) s"
  done
  echo "   $(find "$out/artifacts" -mindepth 1 -maxdepth 1 -type d -name '*-cuda-*' | wc -l) CUDA and" \
    "$(find "$out/artifacts" -mindepth 1 -maxdepth 1 -type d -name '*-cpu-*' | wc -l) CPU artifacts"

  echo "== [3/6] run-side jars only (no compiler, LLVM, BLAS/DNNL natives or TVM classifier jars)"
  cp "$root"/modules/bench/target/attn4j-bench-*.jar "$out/lib/"
  tr ':' '\n' <<<"$cp_bench" | grep -vE '/ai/djl/|/net/java/dev/jna/|/com/google/code/gson/|/commons-compress/|onnxruntime|/llvm/|/openblas/|/dnnl/|/opencl/|/tvm-[^/]*-linux-x86_64[^/]*\.jar$|/guava/|/failureaccess/|/listenablefuture/|/j2objc|/checker-qual/|/error_prone|/org/openjdk/jmh/|/jopt-simple/|/commons-math3/' \
    | xargs -I{} cp {} "$out/lib/"

  echo "== [4/6] natives: TVM GPU runtime, libcudart.so.12, stand-ins"
  local gpujar stage
  gpujar="$(tr ':' '\n' <<<"$cp_build" | grep -E 'tvm-0\.18\.0-1\.5\.11-linux-x86_64-gpu\.jar$')"
  stage="$(mktemp -d)"
  (cd "$stage" && unzip -q "$gpujar" 'org/bytedeco/tvm/linux-x86_64-gpu/libtvm_runtime.so' \
      'org/bytedeco/tvm/linux-x86_64-gpu/libjnitvm_runtime.so' \
    && jar --create --file "$out/lib/tvm-0.18.0-1.5.11-linux-x86_64-gpu-runtime-only.jar" org)
  rm -rf "$stage"
  if [ ! -f "$cache/libcudart.so.12" ]; then
    java "$here/gpu/RangeZip.java" \
      https://repo1.maven.org/maven2/org/bytedeco/cuda/12.6-9.5-1.5.11/cuda-12.6-9.5-1.5.11-linux-x86_64-redist.jar \
      "$cache" /linux-x86_64/libcudart.so.12
  fi
  cp "$cache/libcudart.so.12" "$out/natives/"
  # libtvm_runtime.so NEEDs these, but binds them lazily (readelf -r: JUMP_SLOT relocations only) and calls them
  # only from TVM's contrib BLAS/cuBLAS/cuDNN/DNNL/OpenCL functions, which attention kernels never use.
  echo 'void attn4j_stand_in(void) {}' >"$stage.c"
  for so in libcublas.so.12 libcublasLt.so.12 libcudnn.so.9 libOpenCL.so.1 libopenblas.so.0 libdnnl.so.2; do
    cc -shared -fPIC -Wl,-soname,"$so" -o "$out/natives/$so" "$stage.c"
  done
  cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$out/natives/no-driver/libcuda.so.1" "$stage.c"
  rm -f "$stage.c"

  echo "== [5/6] JRE (jlink)"
  # jdeps also names java.desktop and java.sql (Jackson's and Arrow's optional paths: JSON, JDBC), which the run
  # side never loads; leaving them out halves the JRE. GpuCheck's run below is the proof.
  local mods="java.base,java.logging,java.management,jdk.unsupported"
  jlink --add-modules "$mods" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$out/jre"

  echo "== [6/6] scripts, contents, packing"
  cp "$here/gpu-check.sh" "$here/gpu/sdpa_peer.py" "$final/"
  (cd "$out" && find . -type f ! -path './jre/*' -printf '%10s  %p\n' | sort -k2 \
    && echo "jre/: $(du -sb jre | cut -f1) bytes unpacked (jlink: $mods)") >"$final/CONTENTS.txt"
  echo "unpacked: $(du -sb "$out" | cut -f1) bytes" >>"$final/CONTENTS.txt"
  tar -C "$out" -czf "$final/payload.tar.gz" .
  rm -rf "$out"
  echo "== bundle $final: $(du -sh "$final" | cut -f1) ($(du -b "$final/payload.tar.gz" | cut -f1) bytes packed;" \
    "$(tail -1 "$final/CONTENTS.txt")); prepared in $((SECONDS - started)) s"
}

case "$phase" in
  prepare) shift; prepare_phase "$@" ;;
  run)
    shift
    bundle="${1:-$here}"
    [ -f "$bundle/payload.tar.gz" ] || bundle="$here/../target/gpu-bundle"
    [ -f "$bundle/payload.tar.gz" ] || { echo "no bundle at $bundle: run 'bash ci/gpu-check.sh prepare' first" >&2; exit 2; }
    unpacked="${TMPDIR:-/tmp}/attn4j-gpu-bundle"
    rm -rf "$unpacked" && mkdir -p "$unpacked" && tar -C "$unpacked" -xzf "$bundle/payload.tar.gz"
    cp "$bundle/sdpa_peer.py" "$unpacked/" 2>/dev/null || true
    if [ -n "${GPU_CHECK_RESULTS:-}" ]; then
      mkdir -p "$GPU_CHECK_RESULTS"
      set +e
      run_phase "$unpacked" 2>&1 | tee "$GPU_CHECK_RESULTS/run.log"
      exit "${PIPESTATUS[0]}"
    fi
    run_phase "$unpacked"
    ;;
  *) echo "usage: $0 prepare [BUNDLE_DIR] | run [BUNDLE_DIR]" >&2; exit 2 ;;
esac
