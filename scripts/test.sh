#!/usr/bin/env bash
# Sets up .venv (see setup.sh) and runs the whole test suite on real components and offline models.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -q -rs "$@"
