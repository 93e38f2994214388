"""Find a cited quote on its page, so the viewer can highlight the evidence.

The quote comes from pypdf while the viewer reads the page through PDFium, and the two disagree on
whitespace, line breaks, hyphenation, ligatures, accents in decomposed form, quote marks and even
spaces inside words. Both texts are therefore compared as streams of casefolded letters and digits
only, with a map back to the viewer's character offsets.
"""

from __future__ import annotations

import unicodedata
from typing import Sequence

# Letters PDFium and pypdf spell differently that NFKD leaves alone.
_EXTRA_FOLD = {"ø": "o", "đ": "d", "ł": "l", "ı": "i", "æ": "ae", "œ": "oe", "ŀ": "l"}


def _fold(ch: str) -> str:
    out = []
    for c in unicodedata.normalize("NFKD", ch).casefold():
        c = _EXTRA_FOLD.get(c, c)
        if c.isalnum():
            out.append(c)
    return "".join(out)


def _normalise(text: str) -> tuple[str, list[int]]:
    """Letters and digits of `text`, folded, with the index in `text` each one came from."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold(ch) if not ch.isascii() else (ch.lower() if ch.isalnum() else "")
        for c in folded:
            chars.append(c)
            origin.append(i)
    return "".join(chars), origin


def _words(text: str) -> list[str]:
    words, current = [], []
    for ch in text:
        folded = _fold(ch)
        if folded:
            current.append(folded)
        elif current and not unicodedata.category(ch).startswith("M"):
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def locate_quote(page_text: str, quote: str, *, min_words: int = 4,
                 min_fraction: float = 0.2) -> tuple[int, int] | None:
    """The (start, end) range of `quote` in `page_text`, or of the longest run of its words found there.

    A run must have at least `min_words` words and `min_fraction` of the quote's words, so a common
    phrase shared by an unrelated page is not mistaken for the passage. None when nothing matches.
    """
    haystack, origin = _normalise(page_text)
    words = _words(quote)
    if not haystack or not words:
        return None
    run = "".join(words)
    if run not in haystack:
        shortest = max(min_words, round(len(words) * min_fraction))
        best_first, best_size = 0, 0
        for first in range(len(words)):
            size = max(best_size + 1, shortest)
            while first + size <= len(words) and "".join(words[first:first + size]) in haystack:
                best_first, best_size = first, size
                size += 1
        if not best_size:
            return None
        run = "".join(words[best_first:best_first + best_size])
    at = haystack.find(run)
    return origin[at], origin[at + len(run) - 1] + 1


def span_boxes(words: Sequence, start: int, end: int) -> list[tuple[float, float, float, float]]:
    """The boxes covering characters [start, end) of a page's OCR text: one per run of words on a line
    (a word counts when any of its characters is in the span)."""
    boxes: list[list[float]] = []
    for w in words:
        if w.end <= start or w.start >= end:
            continue
        x0, y0, x1, y1 = w.box
        if boxes:
            last = boxes[-1]
            overlap = min(last[3], y1) - max(last[1], y0)
            if overlap > 0.5 * min(last[3] - last[1], y1 - y0) and x0 >= last[0]:
                last[1], last[2], last[3] = min(last[1], y0), max(last[2], x1), max(last[3], y1)
                continue
        boxes.append([x0, y0, x1, y1])
    return [tuple(b) for b in boxes]
