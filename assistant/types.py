"""Records that flow through the pipeline. Frozen, so a stage cannot change what an earlier one made.

`Page` and `Chunk` are made by the bottom floor (`indexers/`) and re-exported here."""

from __future__ import annotations

from dataclasses import dataclass, field

from indexers.records import Chunk, Page

__all__ = ["Answer", "Chunk", "Citation", "Decision", "Hit", "Message", "Page", "SentenceCheck", "Timings"]

# A chat message as the OpenAI API has it ({"role": ..., "content": ...}): the format inside, too.
Message = dict[str, str]


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its similarity (cosine, 1.0 = identical)."""

    chunk: Chunk
    score: float


@dataclass(frozen=True)
class Citation:
    """A context block the answer cites with `[n]`."""

    n: int
    file: str
    page: int
    quote: str
    score: float
    supported: bool | None = None  # whether a sentence citing it was found in it (None: not verified)


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of an answer, checked against the passages it cites (assistant/verification.py)."""

    text: str  # without its markers
    citations: tuple[int, ...]  # the passages it cites (after a correction)
    support: str  # supported | unsupported | uncited
    score: float | None = None  # best semantic support among its cited passages
    missing: tuple[str, ...] = ()  # numbers, dates, names no cited passage contains
    corrected_from: tuple[int, ...] = ()  # the markers as the model wrote them, when corrected


@dataclass(frozen=True)
class Decision:
    """Whether to ask the model at all, and with which passages; when not, why (assistant/refusal.py)."""

    answer: bool
    passages: tuple[Hit, ...]
    reason: str = ""
    score: float | None = None  # the best passage's
    threshold: float = 0.0


@dataclass(frozen=True)
class Timings:
    retrieve_s: float = 0.0
    first_token_s: float | None = None
    total_s: float = 0.0
    tokens_per_s: float | None = None
    load_s: float = 0.0  # loading models before the question (not part of the other figures)
    verify_s: float = 0.0  # checking the answer's sentences against their passages (part of total_s)


@dataclass(frozen=True)
class Answer:
    """The final answer. `found` is False when the answer is that the documents do not contain it.

    `citations` are only the blocks the text cites; `retrieved` are all blocks the model was given.
    """

    question: str
    text: str
    found: bool
    citations: tuple[Citation, ...]
    retrieved: tuple[Hit, ...]
    backend: str
    model: str
    timings: Timings = field(default_factory=Timings)
    refused: Decision | None = None  # when retrieval refused before any model ran: why
    sentences: tuple[SentenceCheck, ...] = ()  # each sentence's check, when verified
    verified: str = ""  # all | partial | none; "" when not verified (refusals, not-found replies)
    constrained: str = ""  # the grammar dialect that shaped the text ("llama.cpp", "vllm" ...); "": prompt only
    notice: str = ""  # what the user should know about how it was made (a server that refused the grammar)
    prompt_hash: str = ""  # SHA-256 of the messages sent to the model (assistant/audit.py); "": none sent
    incomplete: str = ""  # why the answer broke off midway (a server that stalled or closed); "": it did not
