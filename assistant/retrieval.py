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


def relevant(hits: Sequence[Hit], min_score: float) -> list[Hit]:
    """The hits at or above `min_score`, in their order."""
    return [h for h in hits if h.score >= min_score]


class Retriever:
    def __init__(self, embedder: Embedder, store: Store):
        self.embedder, self.store = embedder, store

    def search(self, question: str, k: int) -> list[Hit]:
        """The `k` nearest passages, best first, whatever their score."""
        return self.store.query(self.embedder.embed_query(question), k)
