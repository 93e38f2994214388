"""Streamed answer text -> Answer with citations whose numbers match the [n] markers in the text.

A marker that points at no context block is dropped (also while streaming); only blocks the text cites
are citations. An answer without markers keeps its passages as `retrieved`, never as citations.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from assistant.markers import MARKER, MARKER_PREFIX, numbers
from assistant.prompting import NOT_FOUND_SENTINEL
from assistant.types import Answer, Citation, Hit, Timings

NOT_FOUND_TEXT = "Your documents do not contain an answer to this question."
_NOT_FOUND_PATTERNS = re.compile(
    NOT_FOUND_SENTINEL.replace("_", r"[_ ]") + r"|(?:documents?|passages?|context)\s+(?:do|does)\s+not\s+"
    r"(?:contain|include|mention|provide)", re.IGNORECASE)


def clean_markers(text: str, n_blocks: int) -> tuple[str, list[int]]:
    """Drop markers (or the numbers in them) that point at no block; return the text and cited numbers."""
    used: list[int] = []

    def fix(m: re.Match) -> str:
        good = [n for n in numbers(m) if 1 <= n <= n_blocks]
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
                elif not MARKER_PREFIX.fullmatch(self.held):
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


class SentinelHold:
    """Holds back the start of the answer while it could still be the not-found sentinel, so a user never
    sees `NOT_IN_DOC...` flash by before the answer turns into "your documents do not contain it"."""

    def __init__(self) -> None:
        self.held = ""
        self.holding = True

    def feed(self, piece: str) -> str:
        if not self.holding:
            return piece
        self.held += piece
        start = self.held.strip()
        if NOT_FOUND_SENTINEL.startswith(start) or start.startswith(NOT_FOUND_SENTINEL):
            return ""
        out, self.held, self.holding = self.held, "", False
        return out


class AnswerFilter:
    """What the user sees of a streamed answer: the sentinel held back, then markers checked."""

    def __init__(self, n_blocks: int):
        self.sentinel = SentinelHold()
        self.markers = MarkerFilter(n_blocks)

    def feed(self, piece: str) -> str:
        released = self.sentinel.feed(piece)
        return self.markers.feed(released) if released else ""

    def flush(self) -> str:
        """The rest, at the end of the answer; nothing when the answer was (so far) only the sentinel."""
        return "" if self.sentinel.holding else self.markers.flush()


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
                 timings: Timings, threshold_passed: bool = True, refused=None) -> Answer:
    text, used = clean_markers(raw_text.strip(), len(given))
    found = threshold_passed and bool(given) and not says_not_found(text) and bool(text)
    if not found:
        text = NOT_FOUND_TEXT if (not text or NOT_FOUND_SENTINEL in text or not given) else text
        used = []
    sentences = _SENTENCE.split(text)
    citations = []
    for n in used:
        hit = given[n - 1]
        claims = [s for s in sentences if any(n in numbers(m) for m in MARKER.finditer(s))]
        citations.append(Citation(n=n, file=hit.chunk.file, page=hit.chunk.page,
                                  quote=best_quote(hit.chunk.text, claims), score=hit.score))
    citations.sort(key=lambda c: c.n)
    return Answer(question=question, text=text, found=found, citations=tuple(citations),
                  retrieved=tuple(given), backend=backend, model=model, timings=timings, refused=refused)
