"""Streamed answer text -> Answer with citations whose numbers match the [n] markers in the text.

A marker that points at no context block is dropped (also while streaming); only blocks the text cites
are citations. An answer without markers keeps its passages as `retrieved`, never as citations.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from assistant.prompting import NOT_FOUND_SENTINEL
from assistant.types import Answer, Citation, Hit, Timings

MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
NOT_FOUND_TEXT = "Your documents do not contain an answer to this question."
_NOT_FOUND_PATTERNS = re.compile(
    NOT_FOUND_SENTINEL.replace("_", r"[_ ]") + r"|(?:documents?|passages?|context)\s+(?:do|does)\s+not\s+"
    r"(?:contain|include|mention|provide)", re.IGNORECASE)


def _numbers(group: str) -> list[int]:
    return [int(x) for x in re.split(r"\s*[,;]\s*", group.strip())]


def clean_markers(text: str, n_blocks: int) -> tuple[str, list[int]]:
    """Drop markers (or the numbers in them) that point at no block; return the text and cited numbers."""
    used: list[int] = []

    def fix(m: re.Match) -> str:
        good = [n for n in _numbers(m.group(1)) if 1 <= n <= n_blocks]
        for n in good:
            if n not in used:
                used.append(n)
        return "[" + ", ".join(map(str, good)) + "]" if good else ""

    text = MARKER.sub(fix, text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text) if used or "[" not in text else text
    return text, used


class MarkerFilter:
    """Streams text through, holding back a possible `[n]` until it is complete, dropping bad ones."""

    def __init__(self, n_blocks: int):
        self.n_blocks = n_blocks
        self.held = ""

    def feed(self, piece: str) -> str:
        out = []
        for ch in piece:
            if self.held:
                self.held += ch
                if ch == "]":
                    out.append(clean_markers(self.held, self.n_blocks)[0])
                    self.held = ""
                elif not re.fullmatch(r"\[[\d,; ]{0,24}", self.held):
                    out.append(self.held)
                    self.held = ""
            elif ch == "[":
                self.held = ch
            else:
                out.append(ch)
        return "".join(out)

    def flush(self) -> str:
        held, self.held = self.held, ""
        return held


def says_not_found(text: str) -> bool:
    return bool(_NOT_FOUND_PATTERNS.search(text)) and not MARKER.search(text)


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\w{3,}", re.UNICODE)


def best_quote(passage: str, claims: Iterable[str], limit: int = 300) -> str:
    """The passage sentence sharing most words with the sentences that cite it (or its opening)."""
    words = {w.lower() for c in claims for w in _WORD.findall(c)}
    sentences = [s.strip() for s in _SENTENCE.split(passage) if s.strip()]
    if words and sentences:
        best = max(sentences, key=lambda s: len(words & {w.lower() for w in _WORD.findall(s)}))
        if words & {w.lower() for w in _WORD.findall(best)}:
            return best[:limit]
    return passage[:limit].rsplit(" ", 1)[0] if len(passage) > limit else passage


def build_answer(question: str, raw_text: str, given: Sequence[Hit], *, backend: str, model: str,
                 timings: Timings, threshold_passed: bool = True) -> Answer:
    text, used = clean_markers(raw_text.strip(), len(given))
    found = threshold_passed and bool(given) and not says_not_found(text) and bool(text)
    if not found:
        text = NOT_FOUND_TEXT if (not text or NOT_FOUND_SENTINEL in text or not given) else text
        used = []
    sentences = _SENTENCE.split(text)
    citations = []
    for n in used:
        hit = given[n - 1]
        claims = [s for s in sentences if re.search(rf"\[[\d,; ]*\b{n}\b[\d,; ]*\]", s)]
        citations.append(Citation(n=n, file=hit.chunk.file, page=hit.chunk.page,
                                  quote=best_quote(hit.chunk.text, claims), score=hit.score))
    citations.sort(key=lambda c: c.n)
    return Answer(question=question, text=text, found=found, citations=tuple(citations),
                  retrieved=tuple(given), backend=backend, model=model, timings=timings)
