"""The `[n]` citation marker, defined once: `[2]`, `[1, 3]`, `[2; 4]` point at numbered context blocks.

The prompt asks for them, the citation stage checks them, the history strips them and the desktop app
turns them into links; all read them through this module.
"""

from __future__ import annotations

import re

MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# what a marker still being written can look like (`[`, `[1`, `[1, 2` ...), while streaming
MARKER_PREFIX = re.compile(r"\[[\d,; ]{0,24}")
_SEPARATOR = re.compile(r"\s*[,;]\s*")
_BEFORE = re.compile(r"\s*" + MARKER.pattern)


def numbers(match: re.Match) -> list[int]:
    """The block numbers in one marker match, in the order written."""
    return [int(x) for x in _SEPARATOR.split(match.group(1).strip())]


def cited(text: str) -> list[int]:
    """Every block number the markers in `text` name, each once, in order of first use."""
    out: list[int] = []
    for m in MARKER.finditer(text):
        out.extend(n for n in numbers(m) if n not in out)
    return out


def strip_markers(text: str) -> str:
    """`text` without its markers (and the space before each)."""
    return _BEFORE.sub("", text)
