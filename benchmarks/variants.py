"""The retrieval variants that benchmarks/retrieval_eval.py compares: each builds (Retriever, Refusal) for
one collection. "product" is what `assistant ask/search/eval` use now; the others are the steps to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from assistant.refusal import Refusal
from assistant.retrieval import Retriever


@dataclass(frozen=True)
class Variant:
    name: str
    what: str
    build: Callable  # (embedder, store, collection, assistant) -> (Retriever, Refusal)


VARIANTS = [
    Variant("before", "top 10 chunks as the index returns them; refuse under e5 cosine 0.80 (the old default)",
            lambda emb, store, name, a: (Retriever(emb, store, pool=0, dedupe=False), Refusal(0.80))),
    Variant("pool50", "50 candidates, repeated passages dropped; refusal as before",
            lambda emb, store, name, a: (Retriever(emb, store, pool=50), Refusal(0.80))),
    Variant("lexical.03", "pool50 + lexical agreement reorders the candidates (weight 0.03)",
            lambda emb, store, name, a: (Retriever(emb, store, pool=50, lexical_weight=0.03), Refusal(0.80))),
    Variant("calibrated", "lexical.03 + refusal calibrated per collection (the product before page vectors)",
            lambda emb, store, name, a: (Retriever(emb, store, pool=50, lexical_weight=0.03),
                                         a._retrieval(name)[1])),
    Variant("views.5", "calibrated + page and opening vectors rerank, weights 0.5 / 0.5",
            lambda emb, store, name, a: (Retriever(emb, store, pool=50, lexical_weight=0.03, views=True,
                                                   page_weight=0.5, opening_weight=0.5), a._retrieval(name)[1])),
    Variant("product", "what ask/search/eval use now (assistant.engine): calibrated + page and opening vectors "
            "0.3 / 0.3",
            lambda emb, store, name, a: a._retrieval(name)),
]
