#!/usr/bin/env bash
# Sets up .venv (see setup.sh) and runs the whole test suite on real components and offline models.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"  # the desktop app tests need no screen
exec .venv/bin/python -m pytest -q -rs "$@"
