"""Question -> the top-k distinct passages, best first (whether they answer it: assistant/refusal.py)."""

from __future__ import annotations

from typing import Sequence

from assistant.embedding import Embedder
from assistant.store import Store
from assistant.types import Hit


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
