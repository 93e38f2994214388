#!/usr/bin/env bash
# Builds the desktop bundle from this checkout: dist/archive-assistant/ (start ./assistant-ui, or the CLI
# ./assistant) and dist/archive-assistant-VERSION-OS-ARCH.tar.gz, then prints its size and start-up time.
#
#   bash packaging/build.sh            # set-up (scripts/setup.sh), bundled models, PyInstaller, checks
#
# The same spec builds on macOS and Windows (see packaging/README.md); only Linux is built and tested here.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# (the bundle uses the system's Tesseract: the build does not need it installed)
ASSISTANT_SKIP_OCR_INSTALL=${ASSISTANT_SKIP_OCR_INSTALL:-1} bash scripts/setup.sh
"$PY" -m pip install -q "pyinstaller==6.22.3" "pyinstaller-hooks-contrib>=2026.9"

VERSION=$("$PY" -c "import assistant; print(assistant.__version__)")
OS=$(uname -s | tr '[:upper:]' '[:lower:]')
ARCH=$(uname -m)
NAME=archive-assistant
started=$(date +%s)

# Translations of the app's strings (ui/translations/assistant_LANG.ts -> .qm); Qt's own come with Qt.
for ts in ui/translations/assistant_*.ts; do
    [ -e "$ts" ] && .venv/bin/pyside6-lrelease -silent "$ts" -qm "${ts%.ts}.qm"
done

# The small models the bundle carries (converted once; build/model-work keeps the conversion).
"$PY" packaging/prepare_models.py build/bundle-models build/model-work --precision "${BUNDLE_PRECISION:-fp32}"

rm -rf "dist/$NAME"
BUNDLE_MODELS="$PWD/build/bundle-models" "$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/assistant.spec
# Debug symbols out of the libraries that carry them (libpython alone: 22 -> 5 MB), but not out of the
# wheels' vendored *.libs, which break when stripped (numpy's OpenBLAS: "not page-aligned").
if [ "$OS" = "linux" ] && command -v strip >/dev/null && command -v file >/dev/null; then
    find "dist/$NAME/_internal" -type f -name "*.so*" -not -path "*.libs/*" -print0 \
        | xargs -0 file | { grep "not stripped" || true; } | cut -d: -f1 | xargs -r strip --strip-unneeded
fi
if [ "$OS" != "windows" ] && [ ! -e "dist/$NAME/assistant-ui" ]; then
    ln -s assistant "dist/$NAME/assistant-ui"  # one program; it looks at the name it was started by
fi
cp packaging/README-bundle.txt "dist/$NAME/README.txt"

# What must be inside, and that nothing outside is used (packaging/check_bundle.py says what it checked).
"$PY" packaging/check_bundle.py "dist/$NAME"

tar -C dist -czf "dist/$NAME-$VERSION-$OS-$ARCH.tar.gz" "$NAME"
echo "built dist/$NAME/ and dist/$NAME-$VERSION-$OS-$ARCH.tar.gz in $(( $(date +%s) - started )) s"
"$PY" packaging/measure.py "dist/$NAME" "dist/$NAME-$VERSION-$OS-$ARCH.tar.gz"
