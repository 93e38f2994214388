"""Paths -> the PDF files under them, and a file's content hash (what says a file changed)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable


@dataclass(frozen=True)
class Found:
    """PDFs under the given folders (recursively) and files named directly, in a stable order;
    `roots` are the given paths that exist, `missing` the ones that do not."""

    files: tuple[str, ...]
    roots: tuple[str, ...]
    missing: tuple[str, ...]


def discover(paths: Iterable[str]) -> Found:
    files: dict[str, None] = {}
    roots, missing = [], []
    for raw in paths:
        p = Path(raw).expanduser()
        if not p.exists():
            missing.append(str(p))
            continue
        p = p.resolve()
        roots.append(str(p))
        if p.is_dir():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.lower().endswith(".pdf") and not name.startswith("."):
                        files[str(Path(dirpath) / name)] = None
        else:
            files[str(p)] = None
    return Found(tuple(files), tuple(roots), tuple(missing))


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def under(path: str, roots: Iterable[str]) -> bool:
    """Whether `path` is one of `roots` or inside one of them."""
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)
