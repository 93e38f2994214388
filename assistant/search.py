"""Question -> ranked files and pages with their best passage: retrieval without a language model.

What `assistant search` prints, the desktop app's search box shows, and `assistant eval` scores.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from assistant.refusal import Decision, Refusal
from assistant.retrieval import Retriever
from assistant.types import Hit


@dataclass(frozen=True)
class PageHit:
    file: str
    page: int
    score: float  # the best passage's
    passage: Hit


@dataclass(frozen=True)
class FileHit:
    file: str
    score: float
    pages: tuple[int, ...]  # its pages among the results, best first


@dataclass(frozen=True)
class SearchResult:
    question: str
    hits: tuple[Hit, ...]  # passages, best first
    pages: tuple[PageHit, ...]
    files: tuple[FileHit, ...]
    decision: Decision  # whether `ask` would answer from these, and why not
    seconds: float
    notice: str = ""  # e.g. the collection should be indexed again (assistant.collections.reindex_advice)


def rank_pages(hits: tuple[Hit, ...]) -> tuple[PageHit, ...]:
    """Distinct pages in the order of their best passage."""
    seen: dict[tuple[str, int], PageHit] = {}
    for h in hits:
        key = (h.chunk.file, h.chunk.page)
        if key not in seen:
            seen[key] = PageHit(h.chunk.file, h.chunk.page, h.score, h)
    return tuple(seen.values())


def rank_files(pages: tuple[PageHit, ...]) -> tuple[FileHit, ...]:
    """Distinct files in the order of their best page."""
    order: dict[str, list[PageHit]] = {}
    for p in pages:
        order.setdefault(p.file, []).append(p)
    return tuple(FileHit(f, ps[0].score, tuple(p.page for p in ps)) for f, ps in order.items())


def search(retriever: Retriever, refusal: Refusal, question: str, k: int = 10) -> SearchResult:
    """The `k` best pages (and their files) for `question`, with the refusal decision `ask` would make."""
    t0 = time.perf_counter()
    hits = tuple(retriever.search(question, max(k, retriever.pool)))
    seconds = time.perf_counter() - t0
    pages = rank_pages(hits)
    return SearchResult(question, hits, pages[:k], rank_files(pages), refusal.decide(hits), seconds)
