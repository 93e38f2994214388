"""Question -> the top-k distinct passages, best first (whether they answer it: assistant/refusal.py)."""

from __future__ import annotations

import math
import re
from typing import Sequence

from assistant.embedding import Embedder
from assistant.store import Store
from assistant.types import Hit
from indexers.languages import STOPWORDS


def _same_text_key(hit: Hit) -> str:
    return " ".join(hit.chunk.text.lower().split())[:300]


def distinct(hits: Sequence[Hit]) -> list[Hit]:
    """Hits without repeats of a passage already listed (the same text in copies or repeated pages), so
    near-identical chunks cannot fill the result list."""
    seen, out = set(), []
    for h in hits:
        key = _same_text_key(h)
        if key not in seen:
            seen.add(key)
            out.append(h)
    return out


# How much lexical agreement may reorder the dense candidates: on benchmarks/retrieval_eval.py 0.03 raised
# file@1 from 0.63 to 0.66 and file@5 from 0.83 to 0.84 (cross-lingual 0.75 -> 0.76).
LEXICAL_WEIGHT = 0.03
_TERM = re.compile(r"[^\W_]{4,}|\d+", re.UNICODE)


def terms(text: str) -> set[str]:
    """Words of four letters or more, and numbers, lower-cased: what lexical agreement counts."""
    return {t.lower() for t in _TERM.findall(text)} - STOPWORDS


def lexical_bonus(question: str, hits: Sequence[Hit], weight: float) -> list[float]:
    """`weight` x the share of the question's terms (weighted by their rarity among the candidates) that
    each passage contains. Across languages most terms cannot match, so the bonus is 0 and the dense order
    stands; names, numbers and identifiers that survive translation count."""
    wanted = terms(question)
    if not wanted or not hits or not weight:
        return [0.0] * len(hits)
    present = [terms(h.chunk.text) & wanted for h in hits]
    idf = {t: math.log(1 + len(hits) / (1 + sum(t in p for p in present))) for t in wanted}
    total = sum(idf.values())
    return [weight * sum(idf[t] for t in p) / total for p in present]


# How much the passage's page and its document's opening count beside the passage itself: a passage ranks
# by its score + 0.3 x its page vector's + 0.3 x its document opening's. On benchmarks/retrieval_eval.py
# this raised file@5 from 0.84 to 0.86 (cross-lingual 0.76 -> 0.78, page@5 0.82 -> 0.84); 0.5 / 0.5 gave
# 0.85. See benchmarks/README.md.
PAGE_WEIGHT = 0.3
OPENING_WEIGHT = 0.3


def view_bonus(hits: Sequence[Hit], by_page: dict, by_file: dict, page_weight: float,
               opening_weight: float) -> list[float]:
    """Each passage's page and opening scores, weighted; where one is not stored (a page whose text was
    all junk) the passage's own score stands in, so it is neither rewarded nor punished."""
    return [page_weight * by_page.get((h.chunk.file, h.chunk.page), h.score)
            + opening_weight * by_file.get(h.chunk.file, h.score) for h in hits]


class Retriever:
    """Queries the vector index with a candidate pool larger than k, keeps distinct passages, and ranks
    them by their score plus their page's and document opening's (`views`: the collection stores those
    vectors, index format 2) plus lexical agreement (`lexical_weight`, 0: none). A hit's score stays its
    passage's cosine: the order changes, not what a score means."""

    def __init__(self, embedder: Embedder, store: Store, pool: int = 50, dedupe: bool = True,
                 lexical_weight: float = 0.0, views: bool = False, page_weight: float = PAGE_WEIGHT,
                 opening_weight: float = OPENING_WEIGHT):
        self.embedder, self.store, self.pool, self.dedupe = embedder, store, pool, dedupe
        self.lexical_weight, self.views = lexical_weight, views
        self.page_weight, self.opening_weight = page_weight, opening_weight

    def search(self, question: str, k: int) -> list[Hit]:
        """The `k` best distinct passages, best first, whatever their score."""
        vector = self.embedder.embed_query(question)
        hits = self.store.query(vector, max(k, self.pool))
        hits = distinct(hits) if self.dedupe else hits
        key = [h.score for h in hits]
        if self.views and hits:
            by_page, by_file = self.store.view_scores(vector, [(h.chunk.file, h.chunk.page) for h in hits])
            bonus = view_bonus(hits, by_page, by_file, self.page_weight, self.opening_weight)
            key = [a + b for a, b in zip(key, bonus)]
        if self.lexical_weight:
            key = [a + b for a, b in zip(key, lexical_bonus(question, hits, self.lexical_weight))]
        order = sorted(range(len(hits)), key=lambda i: key[i], reverse=True)
        return [hits[i] for i in order][:k]
