"""Question -> the top-k passages that pass the relevance threshold."""

from __future__ import annotations

from assistant.embedding import Embedder
from assistant.store import Store
from assistant.types import Hit

# Cosine similarity under which a passage is treated as unrelated, per prefix scheme. e5 models place
# everything between ~0.7 and ~0.9, so their floor is high; calibrated on the sample corpus
# (recall and scores: benchmarks/bench.py; the unrelated-question case: tests/test_ask.py).
DEFAULT_MIN_SCORE = {"e5": 0.80, "e5-instruct": 0.80, "none": 0.30}


def min_score_for(prefix: str, configured: float) -> float:
    return configured if configured >= 0 else DEFAULT_MIN_SCORE.get(prefix, 0.25)


class Retriever:
    def __init__(self, embedder: Embedder, store: Store, min_score: float):
        self.embedder, self.store, self.min_score = embedder, store, min_score

    def search(self, question: str, k: int) -> tuple[list[Hit], list[Hit]]:
        """(hits above the threshold, all top-k hits), best first."""
        hits = self.store.query(self.embedder.embed_query(question), k)
        return [h for h in hits if h.score >= self.min_score], hits
