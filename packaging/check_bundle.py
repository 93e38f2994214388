"""Check a built bundle: what must be inside is there, what it leaves out is not, and a program started
from it loads nothing from the build machine's Python environment or this checkout.

    python packaging/check_bundle.py dist/archive-assistant      # exit 1 with the list of what is wrong
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# (what, glob under the bundle's _internal/) that must match at least one file
REQUIRED = [
    ("Qt platform plugin xcb (X11 window)", "PySide6/Qt/plugins/platforms/libqxcb.so"),
    ("Qt platform plugin offscreen", "PySide6/Qt/plugins/platforms/libqoffscreen.so"),
    ("Qt platform plugin wayland", "PySide6/Qt/plugins/platforms/libqwayland*.so"),
    ("Qt image format plugins", "PySide6/Qt/plugins/imageformats/libq*.so"),
    ("Qt PDF library", "PySide6/Qt/lib/libQt6Pdf.so*"),
    ("Qt PDF widgets", "PySide6/QtPdfWidgets*.so"),
    ("Qt's own translations", "PySide6/Qt/translations/qtbase_*.qm"),
    ("llama.cpp", "llama_cpp/lib/libllama*"),
    ("ggml (llama.cpp's tensor library)", "llama_cpp/lib/libggml*"),
    ("llama.cpp's CPU library for x86-64 without AVX", "llama_cpp/lib/libggml-cpu-sse42.so"),
    ("llama.cpp's CPU library for AVX2", "llama_cpp/lib/libggml-cpu-haswell.so"),
    ("llama.cpp's CPU library for AVX-512", "llama_cpp/lib/libggml-cpu-zen4.so"),
    ("Chroma's native index", "chromadb_rust_bindings/*.so"),
    ("ONNX Runtime", "onnxruntime/capi/*onnxruntime*.so*"),
    ("PDFium (page rendering)", "pypdfium2_raw/libpdfium*"),
    ("tokenizers", "tokenizers/*.so"),
    ("bundled models list", "models/bundled.json"),
    ("Chroma's SQL migrations", "chromadb/migrations/**/*.sql"),
]
# must not be inside (what the bundle drops to stay small)
ABSENT = [("torch", "torch"), ("libtorch", "**/libtorch*"), ("sentence-transformers", "sentence_transformers"),
          ("transformers", "transformers"), ("CUDA libraries", "nvidia"),
          ("llama.cpp's AMX library (crashes: llama.cpp issue 20824)", "llama_cpp/lib/libggml-cpu-sapphirerapids*")]

# Run inside the bundle by its own program (`assistant -c`): every module and shared library it loads.
PROBE = r"""
import json, sys
import assistant.cli, assistant.engine, assistant.store, chromadb, chromadb_rust_bindings, llama_cpp, onnxruntime
import pypdf, pypdfium2, tokenizers
from PySide6 import QtCore, QtGui, QtPdf, QtPdfWidgets, QtWidgets
import ui.app, ui.main_window
mods = [getattr(m, "__file__", None) for m in list(sys.modules.values())]
libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "/" in l and ".so" in l})
print(json.dumps({"modules": [m for m in mods if m], "libraries": libs, "path": sys.path,
                  "frozen": getattr(sys, "frozen", False)}))
"""
SYSTEM = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/local/lib/", "/etc/", "/usr/share/")


def missing(internal: Path) -> list[str]:
    problems = [f"missing: {what} ({pattern})" for what, pattern in REQUIRED if not any(internal.glob(pattern))]
    listed = internal / "models" / "bundled.json"
    if listed.is_file():
        for name, m in json.loads(listed.read_text(encoding="utf-8")).items():
            if not (internal / "models" / m["path"]).exists():
                problems.append(f"missing: bundled model {name} ({m['path']})")
    problems += [f"present but should not be: {what} ({pattern})" for what, pattern in ABSENT
                 if any(internal.glob(pattern))]
    return problems


def leaks(bundle: Path) -> list[str]:
    """What the bundle's program loads from outside the bundle and the system's library folders."""
    with tempfile.TemporaryDirectory() as home:
        env = {"HOME": home, "PATH": "/usr/bin:/bin", "LANG": os.environ.get("LANG", "C.UTF-8"),
               "QT_QPA_PLATFORM": "offscreen"}
        done = subprocess.run([str(bundle / "assistant"), "-c", PROBE], capture_output=True, text=True,
                              timeout=300, env=env, cwd=home)
    if done.returncode != 0:
        return [f"the bundle's program could not load its modules (exit {done.returncode}): "
                f"{(done.stderr.strip().splitlines() or ['no output'])[-1]}"]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    root = str(bundle.resolve()) + "/"
    # (a relative __file__ is a module built into the program: PyInstaller's loader, shiboken's support)
    outside = [f for f in seen["modules"] + seen["libraries"] if Path(f).is_absolute()
               and not str(Path(f).resolve()).startswith(root) and not f.startswith(SYSTEM)]
    outside += [f"sys.path entry outside the bundle: {p}" for p in seen["path"] if p and not p.startswith(root)]
    if not seen["frozen"]:
        outside.append("the program did not run frozen")
    return [f"loaded from outside the bundle: {f}" for f in outside]


def amx(internal: Path) -> list[str]:
    """llama.cpp's libraries hold no AMX tile instruction (its AMX code crashes: llama.cpp issue 20824)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    from llama_wheel import amx_libraries

    return [f"{lib} holds {n} AMX tile instructions" for lib, n in
            amx_libraries([internal / "llama_cpp" / "lib"]).items()]


def main() -> int:
    bundle = Path(sys.argv[1]).resolve()
    internal = bundle / "_internal"
    problems = missing(internal) or leaks(bundle) or amx(internal)
    for p in problems:
        print(f"check_bundle: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_bundle: {len(REQUIRED)} required parts present, {len(ABSENT)} left-out parts absent, "
          "nothing loaded from outside the bundle and the system's libraries, no AMX instructions in llama.cpp")
    return 0


if __name__ == "__main__":
    sys.exit(main())
