#!/usr/bin/env bash
# Sets up .venv (see setup.sh) and runs the whole test suite on real components and offline models.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# tests/test_cpu.py runs the program on emulated CPUs with Debian's qemu-user, installed here where apt may be
# used (root, or sudo without a password); elsewhere those tests are skipped and say why.
if ! command -v qemu-x86_64 >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && sudo -n true 2>/dev/null && SUDO="sudo -n"
    if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
        echo "installing the CPU emulator for the CPU tests: apt-get install qemu-user" >&2
        $SUDO apt-get install -y -q qemu-user >/dev/null 2>&1 \
            || { $SUDO apt-get update -q >/dev/null 2>&1 && $SUDO apt-get install -y -q qemu-user >/dev/null 2>&1; } \
            || echo "warning: could not install qemu-user; the emulated-CPU tests are skipped" >&2
    fi
fi
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"  # the desktop app tests need no screen
exec .venv/bin/python -m pytest -q -rs "$@"
