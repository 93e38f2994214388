"""Paths -> the PDF files under them, and a file's content hash (what says a file changed)."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable


@dataclass(frozen=True)
class Found:
    """PDFs under the given folders (recursively) and files named directly, in a stable order;
    `roots` are the given paths that exist, `missing` the ones that do not, `skipped` (path, reason)
    the ones that are not regular files (named pipes, devices, sockets, broken links): only regular files
    are ever opened, because reading a FIFO blocks forever and a link to /dev/zero never ends."""

    files: tuple[str, ...]
    roots: tuple[str, ...]
    missing: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = ()


def not_regular(path: str) -> str:
    """Why `path` is not a regular file that can be read (after following links), or "" when it is."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return f"broken link (points at {os.readlink(path)}, which does not exist)"
        return "no such file"
    except OSError as e:
        return f"cannot read it: {e.strerror}"
    if stat.S_ISREG(st.st_mode):
        return ""
    what = ("a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
            else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a file")
    via = f" (a link to {os.path.realpath(path)})" if os.path.islink(path) else ""
    return f"not a regular file: {what}{via}; only regular files are read"


def discover(paths: Iterable[str]) -> Found:
    files: dict[str, None] = {}
    roots, missing, skipped = [], [], []

    def take(path: str) -> None:
        why = not_regular(path)
        if why:
            skipped.append((path, why))
        else:
            files[path] = None

    for raw in paths:
        p = Path(raw).expanduser()
        if not p.exists():
            if p.is_symlink():
                skipped.append((str(p.absolute()), not_regular(str(p))))
            else:
                missing.append(str(p))
            continue
        p = p.resolve()
        roots.append(str(p))
        if p.is_dir():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.lower().endswith(".pdf") and not name.startswith("."):
                        take(str(Path(dirpath) / name))
        else:
            take(str(p))
    return Found(tuple(files), tuple(roots), tuple(missing), tuple(skipped))


def file_sha256(path: str) -> str:
    """SHA-256 of a regular file's content. Opened without blocking and checked after opening, so a file
    replaced by a named pipe or a device after it was listed raises OSError instead of hanging."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def under(path: str, roots: Iterable[str]) -> bool:
    """Whether `path` is one of `roots` or inside one of them."""
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)
