"""The records the bottom floor produces: pages of a file, and chunks of a page. Frozen, so a later
stage cannot change what an earlier one made."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """Text of one PDF page; `number` is 1-based, as printed in citations."""

    file: str
    number: int
    text: str


@dataclass(frozen=True)
class Chunk:
    """A piece of one page's text, small enough for the embedder; offsets index into the page text."""

    id: str
    file: str
    page: int
    char_start: int
    char_end: int
    text: str
