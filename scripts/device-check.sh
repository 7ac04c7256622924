#!/usr/bin/env bash
# Runs the inference benchmark (npm run bench:inference) with an accelerator's execution
# provider on a machine that has one: the same model, data and measurements as on the CPU,
# with the provider strict (no CPU fallback), then the CPU baseline on the same machine.
#   scripts/device-check.sh [cuda|webgpu] [--series N]
# Exits 2 with a clear message when the provider cannot be used here (no GPU, or the
# onnxruntime-node CUDA libraries are not installed: ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."
provider="${1:-cuda}"
shift || true
case "$provider" in cuda|webgpu) ;; *) echo "usage: scripts/device-check.sh [cuda|webgpu] [--series N]" >&2; exit 1 ;; esac

if [ "$provider" = cuda ]; then
  if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "device-check: no NVIDIA GPU visible (nvidia-smi -L failed); cannot run the cuda provider" >&2
    exit 2
  fi
  nvidia-smi -L
  lib="node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so"
  if [ ! -f "$lib" ]; then
    echo "device-check: $lib is missing: onnxruntime-node was installed without its CUDA libraries." >&2
    echo "  reinstall with: ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node   (or use docker/gpu-worker.Dockerfile)" >&2
    exit 2
  fi
fi

# A strict session with the provider alone: fails here, clearly, rather than halfway through.
node bin/run-ts.js scripts/device-probe.ts "$provider" || { echo "device-check: onnxruntime-node cannot create a $provider session on this machine" >&2; exit 2; }

mkdir -p bench-out
node bin/run-ts.js scripts/bench-inference.ts --provider "$provider" --out "bench-out/inference-$provider.json" "$@"
node bin/run-ts.js scripts/bench-inference.ts --provider cpu --out bench-out/inference-cpu-same-machine.json "$@"
