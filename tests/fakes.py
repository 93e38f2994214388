"""Fakes for fast unit tests of logic: a scripted chat backend and a deterministic hashing embedder.

They implement the same interfaces as the real components and pass the same contract suites
(tests/test_contract_chat.py, tests/test_contract_embedder.py); they never stand in for the tests that
run the real llama.cpp, servers and models.
"""

from __future__ import annotations

import hashlib
import re
import threading
from typing import Iterator, Sequence

import numpy as np

from assistant.embedding import Embedder, EmbeddingModelInfo
from assistant.errors import BackendError
from assistant.llm import ChatBackend, GenerationOptions, Message


class ScriptedBackend(ChatBackend):
    """Yields the given pieces (one piece counts as one token), as told: normally, stalling before piece
    `stall_at` until `release()` or `interrupt()`, or raising `error` before piece `fail_at`.

    `calls` records the messages of every stream, so a test can tell whether the model was asked at all.
    """

    name = "scripted"

    def __init__(self, pieces: Sequence[str] = ("The archive ", "opened ", "in 1802 ", "[1]."), *,
                 model: str = "scripted-model", n_ctx: int = 4096, stall_at: int | None = None,
                 fail_at: int | None = None, error: Exception | None = None):
        self.pieces = list(pieces)
        self.model, self.n_ctx = model, n_ctx
        self.stall_at, self.fail_at = stall_at, fail_at
        self.error = error or BackendError("scripted backend: told to fail")
        self.calls: list[list[Message]] = []
        self.options: list[GenerationOptions] = []  # the options of every stream (grammar included)
        self.yielded = 0  # pieces handed out over all streams
        self.stalled = threading.Event()  # set while a stream waits at `stall_at`
        self._release = threading.Event()
        self.closed = False

    def stream(self, messages: list[Message], options: GenerationOptions) -> Iterator[str]:
        if self.closed:
            raise BackendError(f"scripted backend {self.model} was closed")
        self.calls.append(messages)
        self.options.append(options)
        if self.count_tokens(messages) + options.max_tokens > self.n_ctx:  # llama.cpp and servers refuse it
            raise BackendError(f"scripted backend: prompt and answer exceed the context window {self.n_ctx}")
        self._interrupted = False
        self._release.clear()
        for i, piece in enumerate(self.pieces[: max(0, options.max_tokens)]):
            if i == self.fail_at:
                raise self.error
            if i == self.stall_at:
                self.stalled.set()
                self._release.wait(30)
                self.stalled.clear()
                if self._interrupted:
                    return
            self.yielded += 1
            yield piece

    _interrupted = False

    def release(self) -> None:
        """Let a stalled stream go on."""
        self._release.set()

    def interrupt(self) -> None:
        """Like the isolated local model: a stream still waiting for its first piece ends without text."""
        if self.stalled.is_set():
            self._interrupted = True
            self._release.set()

    def close(self) -> None:
        self.closed = True


_WORD = re.compile(r"\w+", re.UNICODE)


class HashEmbedder(Embedder):
    """Bag of words hashed into `dim` buckets: texts sharing words are close, others near orthogonal.

    Deterministic and instant; knows no language, so it says nothing about retrieval quality.
    """

    def __init__(self, dim: int = 64, name: str = "hash-64"):
        self.info = EmbeddingModelInfo(name=name, dim=dim, prefix="none")
        self.max_tokens = 512
        self.count_tokens = lambda text: len(_WORD.findall(text))
        self.embedded = 0  # texts embedded so far

    def _embed(self, texts: list[str], kind: str) -> np.ndarray:
        out = np.zeros((len(texts), self.info.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[row, h % self.info.dim] += 1.0 if (h >> 32) & 1 else -1.0
            if not out[row].any():
                out[row, 0] = 1.0
        self.embedded += len(texts)
        return out
