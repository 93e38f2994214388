"""The composition root: `build_assistant(settings)` picks the backends and opens the index.

The CLI and the desktop app both call it; nothing else constructs backends or stores.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from assistant.citations import MarkerFilter, build_answer
from assistant.embedding import Embedder, RemoteEmbedder, SentenceTransformerEmbedder, prefix_scheme_for
from assistant.errors import AssistantError, ConfigError, EmbeddingMismatchError
from assistant.ledger import CollectionInfo, Ledger
from assistant.llm import ChatBackend, GenerationOptions
from assistant.models import Registry
from assistant.prompting import NOT_FOUND_SENTINEL, build_prompt
from assistant.retrieval import Retriever, min_score_for
from assistant.settings import Settings
from assistant.store import Store, WriterLock, drop_collection, rename_collection
from assistant.types import Answer, Timings

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def check_collection_name(name: str) -> str:
    if not _NAME.match(name):
        raise ConfigError(f"invalid collection name {name!r}: use letters, digits, '.', '_' or '-' "
                          "(at most 63, starting with a letter or digit)")
    return name


@dataclass(frozen=True)
class CollectionStatus:
    name: str
    embed_model: str
    embed_dim: int
    documents: int
    failed: int
    pages: int
    chunks: int
    store_chunks: int
    missing_in_store: int
    orphans_in_store: int
    pending: int


class Assistant:
    """The engine: index, ask, status. Heavy parts (models, store) load on first use.

    `isolate_model` runs the local model in a child process, so that its crash raises an error
    instead of ending the caller (the desktop app); the CLI keeps it in process.
    `follow_collection_model`: an existing collection is embedded with the model it was built with, and
    `embedding_model` only picks the model of new ones (the desktop app); without it (the CLI), a
    configured model other than the collection's is refused, so a typo never goes unnoticed.
    """

    def __init__(self, settings: Settings, isolate_model: bool = False, follow_collection_model: bool = False):
        self.settings = settings
        self.isolate_model = isolate_model
        self.follow_collection_model = follow_collection_model
        self.data = settings.data_path
        self.registry = Registry(self.data)
        self._ledger: Ledger | None = None
        self._embedders: dict[str, Embedder] = {}
        self._backend: ChatBackend | None = None
        self._lock = threading.Lock()

    # ---- parts
    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(self.data / "ledger.sqlite")
        return self._ledger

    def store(self, collection: str) -> Store:
        return Store(self.data / "chroma", collection)

    def embedder(self, model: str | None = None) -> Embedder:
        s = self.settings
        model = model or s.embedding_model
        with self._lock:
            if model not in self._embedders:
                if s.embedding_backend == "remote":
                    self._embedders[model] = RemoteEmbedder(
                        s.embedding_url, model, prefix_scheme_for(model), s.embedding_api_key,
                        s.remote_connect_timeout_s, s.remote_read_timeout_s, s.remote_max_retries,
                        s.embedding_batch_size, s.embedding_server_prefix)
                else:
                    entry = self.registry.resolve(model, "embedding")
                    self._embedders[model] = SentenceTransformerEmbedder(
                        entry.path, entry.name, entry.prefix, s.embedding_device, s.embedding_batch_size)
            return self._embedders[model]

    def backend(self) -> ChatBackend:
        s = self.settings
        with self._lock:
            if self._backend is None:
                if s.backend == "remote":
                    from assistant.llm.remote import RemoteBackend

                    self._backend = RemoteBackend(
                        s.remote_url, s.remote_model, api_key=s.remote_api_key,
                        connect_timeout_s=s.remote_connect_timeout_s, read_timeout_s=s.remote_read_timeout_s,
                        max_retries=s.remote_max_retries, n_ctx=s.n_ctx)
                else:
                    if self.isolate_model:
                        from assistant.llm.isolated import IsolatedLlamaCppBackend as Local
                    else:
                        from assistant.llm.local import LlamaCppBackend as Local

                    entry = self.registry.resolve(s.llm_model, "llm")
                    self._backend = Local(entry.path, entry.name, n_ctx=s.n_ctx, n_gpu_layers=s.n_gpu_layers,
                                          n_threads=s.n_threads)
            return self._backend

    def embedder_name(self) -> str:
        """The configured embedding model's name, without loading it."""
        s = self.settings
        if s.embedding_backend == "remote":
            return s.embedding_model
        return self.registry.resolve(s.embedding_model, "embedding").name

    def _check_embedder(self, info: CollectionInfo, emb: Embedder | None = None) -> None:
        if self.follow_collection_model and emb is None:
            return
        name, dim = (emb.info.name, emb.info.dim) if emb else (self.embedder_name(), info.embed_dim)
        if info.embed_model != name or info.embed_dim != dim:
            raise EmbeddingMismatchError(
                f"collection '{info.name}' was built with embedding model '{info.embed_model}' "
                f"({info.embed_dim} dimensions) but '{name}' ({dim}) is configured; "
                f"use --embedding-model {info.embed_model}, or another collection")

    def _collection_embedder(self, name: str) -> Embedder:
        """The embedder for `name`, creating the collection on first use; refuses a mismatched model."""
        info = self.ledger.collection(name)
        if info is not None:
            self._check_embedder(info)
        emb = self.embedder(info.embed_model if info is not None and self.follow_collection_model else None)
        if info is None:
            self._check_new_name(name)
            self.ledger.create_collection(CollectionInfo(name, emb.info.name, emb.info.dim, emb.info.prefix))
        else:
            self._check_embedder(info, emb)
        return emb

    # ---- indexing
    def index(self, paths: Iterable[str], collection: str | None = None,
              cancel: threading.Event | None = None):
        """Generator of indexing Progress events; holds the writer lock for its whole run."""
        from indexers.job import IndexOptions, run_index

        name = check_collection_name(collection or self.settings.collection)
        s = self.settings
        with WriterLock(self.data):
            paths = list(paths) or self.ledger.roots(name)
            if not paths:
                raise ConfigError(f"collection '{name}' has no folders yet: give one, "
                                  f"`assistant index PATH --collection {name}`")
            info = self.ledger.collection(name)
            if info is not None:
                self._check_embedder(info)  # before any work, without loading the model
            options = IndexOptions(chunk_tokens=s.chunk_tokens, chunk_overlap_tokens=s.chunk_overlap_tokens,
                                   parse_timeout_s=s.parse_timeout_s, parse_memory_mb=s.parse_memory_mb,
                                   parse_workers=s.parse_workers)
            yield from run_index(paths, ledger=self.ledger, store=self.store(name),
                                 embedder=lambda: self._collection_embedder(name),
                                 collection=name, options=options, cancel=cancel)

    # ---- answering
    def ask_stream(self, question: str, *, collection: str | None = None, k: int | None = None,
                   history: Sequence[tuple[str, str]] = (), stop: threading.Event | None = None
                   ) -> Iterator[str | Answer]:
        """Yield answer text as it is generated, then the final Answer (always last)."""
        question = question.strip()
        if not question:
            raise ConfigError("the question is empty")
        s = self.settings
        name = check_collection_name(collection or s.collection)
        if self.ledger.collection(name) is None:
            raise ConfigError(f"collection '{name}' does not exist: index documents first with "
                              f"`assistant index PATH --collection {name}`")
        t_load = time.perf_counter()
        info = self.ledger.collection(name)
        embedder = self._collection_embedder(name)
        load_s = time.perf_counter() - t_load
        t0 = time.perf_counter()
        retriever = Retriever(embedder, self.store(name), min_score_for(info.prefix, s.min_score))
        passing, _ = retriever.search(question, k or s.top_k)
        retrieve_s = time.perf_counter() - t0
        if not passing:  # answered without loading the language model
            yield build_answer(question, "", [], backend=s.backend,
                               model=s.remote_model if s.backend == "remote" else s.llm_model,
                               timings=Timings(retrieve_s=round(retrieve_s, 4), load_s=round(load_s, 3),
                                               total_s=round(time.perf_counter() - t0, 4)),
                               threshold_passed=False)
            return
        t_load = time.perf_counter()
        backend = self.backend()
        load_s += time.perf_counter() - t_load
        t0 += time.perf_counter() - t_load  # model loading is not answering time
        prompt = build_prompt(question, passing, count_tokens=backend.count_tokens, n_ctx=backend.n_ctx,
                              answer_tokens=s.max_answer_tokens, history=history)
        options = GenerationOptions(max_tokens=s.max_answer_tokens, temperature=s.temperature, top_p=s.top_p)
        if stop is not None and stop.is_set():  # stopped while the models loaded: no generation
            yield _stopped(question, backend, Timings(retrieve_s=round(retrieve_s, 4), load_s=round(load_s, 3)))
            return
        marker = MarkerFilter(len(prompt.hits))
        raw, held, first, n_pieces = [], "", None, 0
        stream = backend.stream(prompt.messages, options)
        try:
            for piece in stream:
                if first is None:
                    first = time.perf_counter() - t0
                n_pieces += 1
                raw.append(piece)
                if stop is not None and stop.is_set():
                    break
                if held is not None:  # hold back what could still become the not-found sentinel
                    held += piece
                    if NOT_FOUND_SENTINEL.startswith(held.strip()) or held.strip().startswith(
                            NOT_FOUND_SENTINEL):
                        continue
                    piece, held = held, None
                out = marker.feed(piece)
                if out:
                    yield out
        finally:
            stream.close()  # releases the local model's lock when stopped early
        if stop is not None and stop.is_set() and not "".join(raw).strip():
            yield _stopped(question, backend, Timings(retrieve_s=round(retrieve_s, 4), load_s=round(load_s, 3)))
            return
        if held is None:
            tail = marker.flush()
            if tail:
                yield tail
        end = time.perf_counter()
        # decode speed: pieces after the first over the time since the first (prompt reading excluded)
        decode_s = end - t0 - first if first is not None else 0.0
        timings = Timings(retrieve_s=round(retrieve_s, 4), load_s=round(load_s, 3),
                          first_token_s=round(first, 4) if first is not None else None,
                          total_s=round(end - t0, 4),
                          tokens_per_s=round((n_pieces - 1) / decode_s, 2) if n_pieces > 1 and decode_s > 0
                          else None)
        yield build_answer(question, "".join(raw), prompt.hits, backend=backend.name, model=backend.model,
                           timings=timings)

    def interrupt(self) -> None:
        """For Stop from another thread: a local model still reading the prompt is ended (see ask_stream's
        `stop` for one that is writing)."""
        backend = self._backend
        if backend is not None:
            backend.interrupt()

    def ask(self, question: str, **kw) -> Answer:
        for item in self.ask_stream(question, **kw):
            if isinstance(item, Answer):
                return item
        raise AssistantError("no answer produced")  # pragma: no cover

    # ---- collections and status
    def collections(self) -> list[CollectionStatus]:
        return [self.collection_status(c.name) for c in self.ledger.collections()]

    def collection_status(self, name: str, check: bool = True) -> CollectionStatus:
        info = self.ledger.collection(name)
        if info is None:
            raise ConfigError(f"no collection named '{name}'")
        totals = self.ledger.totals(name)
        if not check:  # the ledger's figures only: cheap enough for a list refreshed often
            return CollectionStatus(
                name=name, embed_model=info.embed_model, embed_dim=info.embed_dim, documents=totals["indexed"],
                failed=totals["failed"], pages=totals["pages"], chunks=totals["chunks"],
                store_chunks=totals["chunks"], missing_in_store=0, orphans_in_store=0, pending=totals["pending"])
        ledger_ids = self.ledger.chunk_ids(name)
        store_ids = self.store(name).all_ids()
        return CollectionStatus(
            name=name, embed_model=info.embed_model, embed_dim=info.embed_dim, documents=totals["indexed"],
            failed=totals["failed"], pages=totals["pages"], chunks=totals["chunks"], store_chunks=len(store_ids),
            missing_in_store=len(ledger_ids - store_ids), orphans_in_store=len(store_ids - ledger_ids),
            pending=totals["pending"])

    def create_collection(self, name: str) -> CollectionInfo:
        """An empty collection, bound to the configured embedding model (loaded here to learn its size)."""
        check_collection_name(name)
        if self.ledger.collection(name) is not None:
            raise ConfigError(f"a collection named '{name}' already exists; pick another name")
        self._collection_embedder(name)
        return self.ledger.collection(name)

    def _check_new_name(self, name: str, old: str = "") -> None:
        """Names that differ only in case would share files on macOS and Windows."""
        for c in self.ledger.collections():
            if c.name.casefold() == name.casefold() and c.name != old:
                raise ConfigError(f"a collection named '{c.name}' already exists; pick another name")

    def rename_collection(self, old: str, new: str) -> None:
        check_collection_name(new)
        with WriterLock(self.data):
            if self.ledger.collection(old) is None:
                raise ConfigError(f"no collection named '{old}'")
            self._check_new_name(new, old)
            rename_collection(self.data / "chroma", old, new)
            self.ledger.rename_collection(old, new)

    def delete_collection(self, name: str) -> None:
        with WriterLock(self.data):
            if self.ledger.collection(name) is None:
                raise ConfigError(f"no collection named '{name}'")
            drop_collection(self.data / "chroma", name)
            self.ledger.delete_collection(name)

    def files(self, name: str):
        return self.ledger.files(name)

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
        if self._ledger is not None:
            self._ledger.close()


def _stopped(question: str, backend: ChatBackend, timings: Timings) -> Answer:
    """Stopped before any text: no answer, and not a claim that the documents lack one."""
    return Answer(question=question, text="", found=False, citations=(), retrieved=(), backend=backend.name,
                  model=backend.model, timings=timings)


def build_assistant(settings: Settings, isolate_model: bool = False,
                    follow_collection_model: bool = False) -> Assistant:
    """The one place that turns settings into a working assistant (see Assistant for the options)."""
    return Assistant(settings, isolate_model, follow_collection_model)


def check_connection(settings: Settings) -> str:
    """For "Test connection": one cheap request to the configured remote server; BackendError names the
    failure (refused, timeout, 401, unknown model ...)."""
    from assistant.llm.remote import RemoteBackend

    s = settings
    backend = RemoteBackend(s.remote_url, s.remote_model, api_key=s.remote_api_key,
                            connect_timeout_s=s.remote_connect_timeout_s, read_timeout_s=s.remote_read_timeout_s,
                            max_retries=0, n_ctx=s.n_ctx)
    return backend.check()


def display_path(path: str) -> str:
    """Relative to the working directory when under it, else as stored."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path
