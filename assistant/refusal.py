"""The decision "your documents do not say": made from the retrieved passages, before any model runs.

`ask` never calls the language model when this refuses; the model's own not-found reply is the second
gate (assistant/citations.py). `search` and `eval` report the same decision, so a user can measure it.
"""

from __future__ import annotations

from typing import Sequence

from assistant.types import Decision, Hit

__all__ = ["Decision", "Refusal"]


class Refusal:
    """Refuses when the best passage scores under `threshold`; `source` says where the number came from
    (shown in the reason)."""

    def __init__(self, threshold: float, source: str = "relevance threshold"):
        self.threshold, self.source = threshold, source

    def decide(self, hits: Sequence[Hit], k: int | None = None) -> Decision:
        """`hits` best first; the passages given are the first `k` at or above the threshold."""
        best = hits[0].score if hits else None
        if best is None:
            return Decision(False, (), "the collection returned no passage", None, self.threshold)
        if best < self.threshold:
            return Decision(False, (), f"best passage scores {best:.3f}, under the {self.source} "
                            f"{self.threshold:.3f}", best, self.threshold)
        passing = tuple(h for h in list(hits)[:k] if h.score >= self.threshold)
        return Decision(True, passing, "", best, self.threshold)
