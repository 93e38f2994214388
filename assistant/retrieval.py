"""Question -> the top-k passages, best first, and which of them pass the relevance threshold."""

from __future__ import annotations

from typing import Sequence

from assistant.embedding import Embedder
from assistant.store import Store
from assistant.types import Hit

# Cosine similarity under which a passage is treated as unrelated, per prefix scheme. e5 models place
# everything between ~0.7 and ~0.9, so their floor is high; calibrated on the sample corpus
# (recall and scores: benchmarks/bench.py; the unrelated-question case: tests/test_ask.py).
DEFAULT_MIN_SCORE = {"e5": 0.80, "e5-instruct": 0.80, "none": 0.30}


def min_score_for(prefix: str, configured: float) -> float:
    return configured if configured >= 0 else DEFAULT_MIN_SCORE.get(prefix, 0.25)


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


class Retriever:
    """Queries the vector index with a candidate pool larger than k, then keeps distinct passages."""

    def __init__(self, embedder: Embedder, store: Store, pool: int = 50, dedupe: bool = True):
        self.embedder, self.store, self.pool, self.dedupe = embedder, store, pool, dedupe

    def search(self, question: str, k: int) -> list[Hit]:
        """The `k` nearest distinct passages, best first, whatever their score."""
        hits = self.store.query(self.embedder.embed_query(question), max(k, self.pool))
        return (distinct(hits) if self.dedupe else hits)[:k]
