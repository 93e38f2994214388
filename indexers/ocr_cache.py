"""OCR'd pages kept beside the index, so re-indexing, a model change or a new collection never reads a scan
twice. Keyed by the file's SHA-256 and the OCR settings (`OcrConfig.key`); one JSON file per page, written
whole (a temporary file renamed), so a run killed mid-file keeps the pages it finished. Source PDFs are
never touched.

    <data dir>/ocr/<sha[:2]>/<sha>/<settings key>/<page>.json
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from indexers.ocr import FORMAT, OcrPage


def folder(cache_dir: str | Path, sha256: str, key: str) -> Path:
    return Path(cache_dir) / sha256[:2] / sha256 / key


def load(cache_dir: str | Path, sha256: str, key: str, number: int) -> OcrPage | None:
    """Page `number` as cached, or None (not read yet, or unreadable: it is read again)."""
    if not cache_dir or not sha256:
        return None
    try:
        data = json.loads((folder(cache_dir, sha256, key) / f"{number}.json").read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return None
        return OcrPage.from_json(data)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def save(cache_dir: str | Path, sha256: str, key: str, page: OcrPage) -> None:
    if not cache_dir or not sha256:
        return
    where = folder(cache_dir, sha256, key)
    try:
        where.mkdir(parents=True, exist_ok=True)
        tmp = where / f".{page.number}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(page.to_json(), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, where / f"{page.number}.json")
    except OSError:
        pass  # a full disk costs only the cache: the page is read again next time


def find(cache_dir: str | Path, sha256: str, number: int, key: str = "") -> OcrPage | None:
    """Page `number` of the file, read under `key` if it was, else under the settings used last."""
    if key and (page := load(cache_dir, sha256, key, number)) is not None:
        return page
    root = Path(cache_dir) / sha256[:2] / sha256
    try:
        keys = sorted(root.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return None
    for where in keys:
        if (page := load(cache_dir, sha256, where.name, number)) is not None:
            return page
    return None


def size_bytes(cache_dir: str | Path) -> int:
    total = 0
    for dirpath, _, names in os.walk(cache_dir):
        for name in names:
            try:
                total += os.path.getsize(os.path.join(dirpath, name))
            except OSError:
                pass
    return total
