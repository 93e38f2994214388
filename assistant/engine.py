"""The composition root: `build_assistant(settings)` wires the ledger, stores, embedders and chat backend.

The CLI and the desktop app both call it; nothing else constructs backends, embedders or stores.
`Assistant` is the engine's public surface: index, ask, collections, models, status. Each of its
methods is a short call into the stage or module that does the work.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from dataclasses import fields
from typing import Callable, Generic, Iterable, Iterator, Sequence, TypeVar

from assistant import __version__, bundle, collections, models, repair, storage
from assistant.answering import answer_stream
from assistant.audit import HashCache, build_record
from assistant.collections import CollectionStatus
from assistant.embedding import Embedder, RemoteEmbedder, SentenceTransformerEmbedder, prefix_scheme_for
from assistant.errors import (
    AssistantError,
    BackendError,
    ConfigError,
    EmbeddingMismatchError,
    StorageError,
    StoreDamagedError,
)
from assistant.evaluation import (
    OFF_TOPIC,
    Scored,
    clean_question,
    load_questions,
    question_prompt,
    report_table,
    score,
    summarise,
)
from assistant.indexing import INDEX_FORMAT, FileOutcome, IndexOptions, Progress, run_index
from assistant.ledger import CollectionInfo, FileRecord, Ledger
from assistant.llm import ChatBackend, GenerationOptions
from assistant.models import ModelEntry, Registry
from assistant.refusal import Calibration, Refusal, calibrate
from assistant.retrieval import LEXICAL_WEIGHT, Retriever
from assistant.search import SearchResult, search
from assistant.settings import PER_QUESTION, Settings
from assistant.store import Store, WriterLock, writer_killed
from assistant.types import Answer
from indexers import ocr
from indexers.languages import detect
from indexers.ocr import OcrConfig, OcrPage

__all__ = ["Assistant", "CollectionStatus", "FileOutcome", "FileRecord", "Progress", "Scored", "SearchResult",
           "build_assistant", "check_connection", "report_table", "summarise"]

T = TypeVar("T")


class _Parts(Generic[T]):
    """Builds each part (an embedder per model, the chat backend) on first use, once; thread-safe, as
    the desktop app asks from worker threads."""

    def __init__(self, build: Callable[[str], T]):
        self._build, self._built, self._lock = build, {}, threading.Lock()

    def get(self, key: str = "") -> T:
        with self._lock:
            if key not in self._built:
                self._built[key] = self._build(key)
            return self._built[key]

    def built(self) -> list[T]:
        return list(self._built.values())


def make_embedder(s: Settings, registry: Registry, model: str, runtime: str = "",
                  tell: Callable[[str], None] = lambda _: None) -> Embedder:
    """The embedder of `model`. Local: ONNX Runtime on the model's one-time ONNX conversion unless `runtime`
    (default: the settings') is "torch" or the conversion fails, which `tell` hears in one line."""
    if s.embedding_backend == "remote":
        emb = RemoteEmbedder(s.embedding_url, model, prefix_scheme_for(model), s.embedding_api_key,
                             s.remote_connect_timeout_s, s.remote_read_timeout_s, s.remote_max_retries,
                             s.embedding_batch_size, s.embedding_server_prefix)
        return emb
    entry = registry.resolve(model, "embedding")
    runtime = runtime or s.embedding_runtime  # auto, onnx, torch; or onnx-fp32 / onnx-int8 (a collection's)
    if runtime != "torch":
        from assistant.onnx_embedding import precision as precision_for

        precision = runtime[5:] if runtime.startswith("onnx-") else precision_for(s.embedding_precision)
        folder, why = registry.onnx_folder(entry, precision, tell)
        if not folder and s.embedding_precision == "auto" and precision != "fp32":  # int8 could not be made
            folder, why = registry.onnx_folder(entry, "fp32", tell)
        if folder:
            from assistant.onnx_embedding import OnnxEmbedder, check_variant

            check_variant(entry, folder, runtime)
            return OnnxEmbedder(folder, entry.name, entry.prefix, device=s.embedding_device,
                                threads=s.embedding_threads, batch_size=s.embedding_batch_size)
        from assistant.onnx_embedding import fallback_notice, unrunnable_notice

        if not bundle.can_convert():
            raise ConfigError(unrunnable_notice(entry.name, why))
        tell(fallback_notice(entry.name, why))
    return SentenceTransformerEmbedder(entry.path, entry.name, entry.prefix, s.embedding_device,
                                       s.embedding_batch_size)


def make_remote_backend(s: Settings, max_retries: int | None = None) -> ChatBackend:
    """The one place a remote chat backend is made (answers, and "Test connection")."""
    from assistant.llm.remote import RemoteBackend

    return RemoteBackend(s.remote_url, s.remote_model, api_key=s.remote_api_key,
                         connect_timeout_s=s.remote_connect_timeout_s, read_timeout_s=s.remote_read_timeout_s,
                         max_retries=s.remote_max_retries if max_retries is None else max_retries, n_ctx=s.n_ctx,
                         grammar_mode=s.remote_grammar)


def make_chat_backend(s: Settings, registry: Registry, isolate_model: bool) -> ChatBackend:
    if s.backend == "remote":
        return make_remote_backend(s)
    if isolate_model:
        from assistant.llm.isolated import IsolatedLlamaCppBackend as Local
    else:
        from assistant.llm.local import LlamaCppBackend as Local
    entry = registry.resolve(s.llm_model, "llm")
    return Local(entry.path, entry.name, n_ctx=s.n_ctx, n_gpu_layers=s.n_gpu_layers, n_threads=s.n_threads,
                 cpu_variant=s.llama_cpu_variant)


def build_assistant(settings: Settings, *, isolate_model: bool = False,
                    follow_collection_model: bool = False, searching_only: bool = False) -> "Assistant":
    """The one place that turns settings into a working assistant. Models load on first use.

    `isolate_model`: the local model runs in a child process, so that its crash raises an error instead
    of ending the caller (the desktop app; the CLI keeps it in process).
    `follow_collection_model`: an existing collection is embedded with the model it was built with, and
    `embedding_model` only picks the model of new ones (the desktop app); without it (the CLI), a
    configured model other than the collection's is refused, so a typo never goes unnoticed.
    `searching_only`: this process never writes to the index (the CLI's search, ask and eval), so the store
    is read without Chroma's Python client (assistant/store.py: 1.5 s less at start).
    """
    data = settings.data_path
    registry = Registry(data)

    def embedder(key: str) -> Embedder:  # key: "model<TAB>runtime"
        model, runtime = key.split("\t")
        return make_embedder(settings, registry, model, runtime, tell=lambda line: assistant.tell(line))

    assistant = Assistant(settings, ledger=Ledger(data / "ledger.sqlite"), registry=registry,
                          embedders=_Parts(embedder),
                          chat=_Parts(lambda _: make_chat_backend(settings, registry, isolate_model)),
                          follow_collection_model=follow_collection_model)
    assistant.searching_only = searching_only
    return assistant


def check_connection(settings: Settings) -> str:
    """For "Test connection": one cheap request to the configured remote server; BackendError names the
    failure (refused, timeout, 401, unknown model ...)."""
    return make_remote_backend(settings, max_retries=0).check()


class Assistant:
    """The engine; built by `build_assistant`, which hands it its parts."""

    def __init__(self, settings: Settings, *, ledger: Ledger, registry: Registry, embedders: _Parts[Embedder],
                 chat: _Parts[ChatBackend], follow_collection_model: bool):
        self.settings = settings
        self.data = settings.data_path
        self._ledger, self._registry = ledger, registry
        self._embedders, self._chat = embedders, chat
        self.follow_collection_model = follow_collection_model
        # renames and deletes a killed run left midway are finished before anything reads the collections
        self.notices = collections.settle(self.data, ledger)
        self.tell: Callable[[str], None] = self.notices.append  # a line said while working (the CLI prints it)
        self._checked_after_kill = False

    def _after_kill(self) -> None:
        """Once per process, when the last writer was killed: every collection is queried in a child
        process, and a damaged one is recorded as such (assistant/repair.py)."""
        if self._checked_after_kill or not writer_killed(self.data):
            self._checked_after_kill = True
            return
        try:
            with WriterLock(self.data):
                repair.probe_all(self.data, self._ledger, self.collection_names())
        except AssistantError:
            return  # a writer started meanwhile: it checks
        self._checked_after_kill = True

    # ---- parts (loaded on first use)
    searching_only = False  # set by build_assistant

    def store(self, collection: str) -> Store:
        return Store(self.data / "chroma", collection, reader=self.searching_only)

    def embedder(self, model: str | None = None, runtime: str = "") -> Embedder:
        """The embedder of `model` (default: the configured one); `runtime` "torch", "onnx-fp32" or
        "onnx-int8" overrides the settings' (a collection is searched the way it was embedded)."""
        return self._embedders.get(f"{model or self.settings.embedding_model}\t{runtime}")

    def _runtime(self, info: CollectionInfo | None = None) -> str:
        """The embedding runtime new vectors get: "torch", "onnx-fp32" or "onnx-int8" ("" for a remote
        embedder), known without loading or converting a model. With `embedding_precision = "auto"`, the
        collection `info` keeps the ONNX precision it was built with (its vectors stay alike)."""
        s = self.settings
        if s.embedding_backend == "remote":
            return ""
        if s.embedding_runtime == "torch":
            return "torch"
        from assistant import onnx_embedding

        if s.embedding_precision == "auto" and info is not None and \
                info.embed_runtime.startswith(("onnx-fp32", "onnx-int8")):
            return info.embed_runtime[:9]
        precision = onnx_embedding.precision(s.embedding_precision)
        try:
            entry = self._registry.resolve(s.embedding_model, "embedding")
        except AssistantError:
            return f"onnx-{precision}"
        folder = self._registry.known_onnx(entry, precision)
        manifest = onnx_embedding.read_manifest(folder) if folder.is_dir() else None
        if manifest is None and onnx_embedding.failure(folder):
            return "torch"  # make_embedder falls back to it, with its notice
        return f"onnx-{manifest['variant'] if manifest else precision}"

    @staticmethod
    def _searched_with(info: CollectionInfo) -> str:
        """The runtime `info`'s queries are embedded with: the one its passages were."""
        if info.embed_runtime.startswith(("onnx-fp32", "onnx-int8")):
            return info.embed_runtime[:9]
        return "" if info.embed_runtime == "remote" else "torch"

    def warm(self, collection: str = "") -> Embedder:
        """Load the embedding model that `collection` is searched with (the configured one for a new
        collection or none) ahead of the first question, so that it does not wait; creates nothing."""
        info = self._ledger.collection(collection) if collection else None
        if info is None:
            return self.embedder()
        return self.embedder(info.embed_model if self.follow_collection_model else None, self._searched_with(info))

    def warm_language_model(self) -> None:
        """Load the local language model ahead of the first question (the desktop app, in the background;
        in a child process there, so waiting for it costs the window nothing). A remote one loads nothing."""
        if self.settings.backend != "remote":
            self.backend().count_tokens([{"role": "user", "content": "warm"}])

    def searches_with_torch(self, collection: str = "") -> bool:
        """Whether searching `collection` (the configured model for none) loads sentence-transformers."""
        if self.settings.embedding_backend == "remote":
            return False
        info = self._ledger.collection(collection) if collection else None
        return (self._searched_with(info) if info is not None else self._runtime()) == "torch"

    def backend(self) -> ChatBackend:
        return self._chat.get()

    def embedder_name(self) -> str:
        """The configured embedding model's name, without loading it."""
        s = self.settings
        if s.embedding_backend == "remote":
            return s.embedding_model
        return self._registry.resolve(s.embedding_model, "embedding").name

    def _check_embedder(self, info: CollectionInfo, emb: Embedder | None = None) -> None:
        if self.follow_collection_model and emb is None:
            return
        name, dim = (emb.info.name, emb.info.dim) if emb else (self.embedder_name(), info.embed_dim)
        if info.embed_model != name or info.embed_dim != dim:
            raise EmbeddingMismatchError(
                f"collection '{info.name}' was built with embedding model '{info.embed_model}' "
                f"({info.embed_dim} dimensions) but '{name}' ({dim}) is configured; "
                f"use --embedding-model {info.embed_model}, or another collection")

    def _collection_embedder(self, name: str, searching: bool = False) -> Embedder:
        """The embedder for `name`, creating the collection on first use; refuses a mismatched model.
        `searching`: embeds queries the way `name`'s passages were (indexing: the way the settings say)."""
        info = self._ledger.collection(name)
        if info is not None:
            self._check_embedder(info)
        runtime = ""
        if info is not None and searching:
            runtime = self._searched_with(info)
        elif info is not None and self.settings.embedding_precision == "auto":
            runtime = kept if (kept := self._runtime(info)).startswith("onnx-") else ""  # its own precision
        emb = self.embedder(info.embed_model if info is not None and self.follow_collection_model else None,
                            runtime)
        if info is None:
            collections.check_new_name(self._ledger, name)
            self._ledger.create_collection(CollectionInfo(name, emb.info.name, emb.info.dim, emb.info.prefix,
                                                          self._chunking(), INDEX_FORMAT, emb.runtime))
        else:
            self._check_embedder(info, emb)
        return emb

    # ---- indexing
    def index(self, paths: Iterable[str], collection: str | None = None,
              cancel: threading.Event | None = None, rebuild: str = "") -> Iterator[Progress]:
        """Generator of indexing Progress snapshots; holds the writer lock for its whole run. A damaged
        collection (or one given a `rebuild` reason) is rebuilt from its PDFs first (assistant/repair.py)."""
        name = collections.check_name(collection or self.settings.collection)
        s = self.settings
        with WriterLock(self.data) as lock:
            collections.settle_locked(self.data, self._ledger)
            if lock.after_kill:
                repair.probe_all(self.data, self._ledger, self.collection_names())
                self._checked_after_kill = True
            paths = list(paths) or self._ledger.roots(name)
            if not paths:
                raise ConfigError(f"collection '{name}' has no folders yet: give one, "
                                  f"`assistant index PATH --collection {name}`")
            info = self._ledger.collection(name)
            if info is not None:
                self._check_embedder(info)  # before any work, without loading the model
            options = IndexOptions(chunk_tokens=s.chunk_tokens, chunk_overlap_tokens=s.chunk_overlap_tokens,
                                   parse_timeout_s=s.parse_timeout_s, parse_memory_mb=s.parse_memory_mb,
                                   parse_workers=s.parse_workers, ocr=self.ocr_config(name))
            again = collections.reindex_reason(self._ledger, name, self._chunking(), self._runtime(info)) if info else ""
            again = f"{again}: every file of '{name}' is indexed again" if again else ""
            broken = (rebuild or repair.problem(self.data, self._ledger, name)) if info else ""
            # a rebuild forgets the files' records, so each is indexed again, and a killed one goes on
            notice = repair.begin(self.data, self._ledger, name, broken) if broken else ""
            last, used = None, []

            def embedder() -> Embedder:
                used.append(self._collection_embedder(name))
                return used[-1]

            try:
                for last in run_index(paths, ledger=self._ledger, store=self.store(name),
                                      embedder=embedder, collection=name,
                                      options=options, cancel=cancel, again="" if broken else again, notice=notice):
                    yield last
            except AssistantError:
                raise
            except Exception as e:  # a full disk or a read-only data dir, said so; anything else as it is
                if why := storage.problem(e, self.data):
                    raise StorageError(why) from None
                raise
            if last is not None and not last.cancelled and self._ledger.collection(name) is not None:
                self._ledger.set_layout(name, self._chunking(), INDEX_FORMAT, used[0].runtime if used else None)
                repair.end(self._ledger, name)

    def repair(self, collection: str | None = None, rebuild: bool = False,
               cancel: threading.Event | None = None) -> Iterator[Progress] | None:
        """Rebuild `collection` from its PDFs when its index is damaged (or always, with `rebuild`):
        the indexing run's Progress, or None when there is nothing to repair."""
        name = self._existing(collection, readable=False)
        why = repair.problem(self.data, self._ledger, name) or (repair.ASKED if rebuild else "")
        return self.index([], name, cancel=cancel, rebuild=why) if why else None

    def damage(self, name: str) -> str:
        """What is wrong with `name`'s index ("" when nothing is)."""
        self._after_kill()
        return repair.problem(self.data, self._ledger, name)

    def _chunking(self) -> str:
        return f"{self.settings.chunk_tokens}/{self.settings.chunk_overlap_tokens}"

    # ---- answering
    def ask_stream(self, question: str, *, collection: str | None = None, k: int | None = None,
                   history: Sequence[tuple[str, str]] = (), stop: threading.Event | None = None
                   ) -> Iterator[str | Answer]:
        """Yield answer text as it is generated, then the final Answer (always last)."""
        question = question.strip()
        if not question:
            raise ConfigError("the question is empty")
        s = self.settings
        name = self._existing(collection)
        t_load = time.perf_counter()
        retriever, refusal = self._retrieval(name)
        load_s = time.perf_counter() - t_load
        yield from answer_stream(
            question, retriever=retriever, k=k or s.top_k, refusal=refusal, backend=self.backend,
            configured=(s.backend, s.remote_model if s.backend == "remote" else s.llm_model),
            options=GenerationOptions(max_tokens=s.max_answer_tokens, temperature=s.temperature, top_p=s.top_p),
            constrain=s.constrained_citations, history=history, stop=stop, load_s=load_s)

    def answer_record(self, answer: Answer, collection: str | None = None) -> dict:
        """The audit record of `answer` from `collection` (assistant/audit.py): the models, passages,
        prompt hash, settings, verification and timings. A local GGUF is hashed once, then cached."""
        s = self.settings
        name = self._existing(collection)
        if answer.backend == "remote":
            language_model = {"backend": "remote", "url": s.remote_url, "model": answer.model}
        else:
            language_model = {"backend": "local", "model": answer.model, "file": None, "sha256": None}
            try:
                entry = self._registry.resolve(s.llm_model, "llm")
                language_model.update(file=entry.path, sha256=HashCache(self.data / "file-hashes.json").sha256(entry.path))
            except (AssistantError, OSError):
                pass  # a refusal needs no model: the record says which was configured
        info = self._ledger.collection(name)
        embedding_model = {"model": info.embed_model, "dimension": info.embed_dim, "backend": s.embedding_backend}
        if s.embedding_backend == "remote":
            embedding_model["url"] = s.embedding_url
        else:
            try:
                embedding_model["path"] = self._registry.resolve(info.embed_model, "embedding").path
            except AssistantError:
                pass
        hashes = {p: r.sha256 for p, r in self._ledger.files(name).items()}
        return build_record(answer, collection=name, settings=dataclasses.asdict(s), language_model=language_model,
                            embedding_model=embedding_model, file_hashes=hashes, version=__version__)

    def _existing(self, collection: str | None, readable: bool = True) -> str:
        """`collection`'s name; ConfigError when there is none, StoreDamagedError (with the command that
        mends it) when its index is damaged and `readable` is asked for."""
        name = collections.check_name(collection or self.settings.collection)
        if self._ledger.collection(name) is None:
            raise ConfigError(f"collection '{name}' does not exist: index documents first with "
                              f"`assistant index PATH --collection {name}`")
        if readable and (why := self.damage(name)):
            raise StoreDamagedError(repair.advice(name, why))
        return name

    def _retrieval(self, name: str) -> tuple[Retriever, Refusal]:
        """How `name` is searched, and how its refusals are decided (loads the embedding model)."""
        s = self.settings
        views = self._ledger.collection(name).index_format >= 2
        retriever = Retriever(self._collection_embedder(name, searching=True), self.store(name),
                              lexical_weight=LEXICAL_WEIGHT,
                              views=views)
        if s.min_score >= 0:
            return retriever, Refusal(s.min_score, "relevance threshold min_score")
        calibration = self._calibration(name, retriever)
        prefix = self._ledger.collection(name).prefix
        return retriever, Refusal(calibration.threshold(s.refusal_margin, prefix), "collection's calibrated threshold")

    def _calibration(self, name: str, retriever: Retriever) -> Calibration:
        """The probes' scores against `name`, measured again whenever its chunks changed."""
        model, chunks = self._ledger.collection(name).embed_model, self._ledger.totals(name)["chunks"]
        kept = self._ledger.calibration(name)
        if kept is not None and kept[:2] == (model, chunks):
            return Calibration(model, chunks, tuple(json.loads(kept[2])["probe_scores"]))

        def best(questions) -> list[float | None]:
            vectors = retriever.embedder.embed_queries(list(questions))
            return [(hits[0].score if (hits := retriever.store.query(v, 1)) else None) for v in vectors]

        calibration = calibrate(best, model, chunks)
        self._ledger.set_calibration(name, model, chunks, json.dumps({"probe_scores": calibration.probe_scores}))
        return calibration

    def search(self, question: str, *, collection: str | None = None, k: int = 10) -> SearchResult:
        """Ranked pages and files for `question`, with the refusal `ask` would make; no language model."""
        question = question.strip()
        if not question:
            raise ConfigError("the question is empty")
        name = self._existing(collection)
        retriever, refusal = self._retrieval(name)
        return dataclasses.replace(search(retriever, refusal, question, k), notice=self.index_notice(name))

    def index_notice(self, name: str) -> str:
        """Why `name` should be indexed again to get the best results ("" when its index is current)."""
        reason = collections.reindex_reason(self._ledger, name, self._chunking(),
                                            self._runtime(self._ledger.collection(name)))
        return collections.reindex_advice(reason, name)

    def evaluate(self, questions_file: str, *, collection: str | None = None, k: int = 10) -> list[Scored]:
        """Score retrieval and refusal on a questions file (see assistant/evaluation.py)."""
        name = self._existing(collection)
        retriever, refusal = self._retrieval(name)
        store = self.store(name)
        files = [p for p, r in self._ledger.files(name).items() if r.status == "indexed"]
        questions = load_questions(questions_file, files, lambda f: detect(store.sample_text(f)))
        return [score(q, search(retriever, refusal, q.question, max(k, 10))) for q in questions]

    def generate_questions(self, n: int, *, collection: str | None = None, language: str = "en",
                           seed: int = 1) -> Iterator[dict]:
        """A starter questions file: for `n` sampled passages, a question the configured language model
        writes in `language`, then off-topic questions whose right outcome is a refusal. The user edits it."""
        import random

        name = self._existing(collection)
        store = self.store(name)
        ids = sorted(store.all_ids())
        if not ids:
            raise ConfigError(f"collection '{name}' has no passages yet: index documents first")
        chosen = store.chunks(random.Random(seed).sample(ids, min(n, len(ids))))
        chat = self.backend()
        options = GenerationOptions(max_tokens=64, temperature=0.0, seed=seed)
        for chunk in chosen:
            question = clean_question("".join(chat.stream(question_prompt(chunk.text[:1500], language), options)))
            if question:
                yield {"question": question, "file": os.path.basename(chunk.file), "page": chunk.page}
        for question in OFF_TOPIC:
            yield {"question": question, "file": None, "page": None}

    def ask(self, question: str, **kw) -> Answer:
        for item in self.ask_stream(question, **kw):
            if isinstance(item, Answer):
                return item
        raise BackendError("no answer was produced")  # pragma: no cover - answer_stream always ends with one

    def interrupt(self) -> None:
        """For Stop from another thread: a local model still reading the prompt is ended (see ask_stream's
        `stop` for one that is writing)."""
        for backend in self._chat.built():
            backend.interrupt()

    # ---- collections
    def collection_names(self) -> list[str]:
        return [c.name for c in self._ledger.collections()]

    def has_collection(self, name: str) -> bool:
        return self._ledger.collection(name) is not None

    def collections(self, check: bool = True) -> list[CollectionStatus]:
        return [self.collection_status(name, check) for name in self.collection_names()]

    def collection_status(self, name: str, check: bool = True) -> CollectionStatus:
        """`check`: compare the ledger with the store (slower); without, the ledger's figures only."""
        collections.existing(self._ledger, name)
        damaged = self.damage(name) if check else ""
        return collections.status(self._ledger, self.store(name) if check and not damaged else None, name,
                                  self._chunking(), damaged=damaged,
                                  runtime=self._runtime(self._ledger.collection(name)),
                                  ocr=self._ledger.ocr_mode(name))

    def collection_model(self, name: str) -> str:
        """The embedding model that built `name` ("" before its first file)."""
        info = self._ledger.collection(name)
        return info.embed_model if info else ""

    def roots(self, name: str) -> list[str]:
        """The folders and files given to `name`, which a re-index scans again."""
        return self._ledger.roots(name)

    def files(self, name: str) -> dict[str, FileRecord]:
        return self._ledger.files(name)

    def aliases(self, name: str) -> dict[str, list[str]]:
        """{indexed file: other paths with the same content, indexed once as that file}."""
        return self._ledger.aliases(name)

    # ---- scanned pages
    def ocr_config(self, name: str = "") -> OcrConfig:
        """How `name`'s scanned pages are read: its own OCR mode, else the `ocr` setting, and what is installed."""
        s = self.settings
        mode = (self._ledger.ocr_mode(name) if name else "") or s.ocr
        return ocr.configure(mode, s.ocr_languages, command=s.ocr_command, cache_dir=str(self.data / "ocr"),
                             dpi=s.ocr_dpi)

    def set_collection_ocr(self, name: str, mode: str) -> None:
        """`name`'s own OCR mode (auto, off, always), or "" to follow the `ocr` setting; the next
        `assistant index` reads the scanned pages it left unread."""
        collections.existing(self._ledger, name)
        if mode not in ("", *ocr.MODES):
            raise ConfigError(f"OCR mode must be one of {', '.join(ocr.MODES)} or default, got {mode!r}")
        self._ledger.set_ocr_mode(name, mode)

    def collection_ocr(self, name: str) -> str:
        """`name`'s own OCR mode, "" when it follows the `ocr` setting."""
        return self._ledger.ocr_mode(name)

    def cpu_status(self) -> dict:
        """This CPU as the native code sees it, and which of llama.cpp's CPU libraries runs here (chosen,
        not loaded: the same choice the model's process makes)."""
        from assistant import cpu as cpus
        from assistant.llm import cpu_variant

        c = cpus.this_cpu()
        try:
            choice = cpu_variant.choose(self.settings.llama_cpu_variant)
            installed = cpu_variant.installed_names() if choice.path else []
            variant = {"variant": choice.variant, "why": choice.why, "path": choice.path, "installed": installed,
                       "runs_here": cpu_variant.runs_here(installed, c)}
        except AssistantError as e:
            variant = {"variant": None, "error": str(e)}
        from assistant.onnx_embedding import precision

        return {"name": c.name, "level": c.level, "simd": c.simd, "flags": sorted(c.flags), "read_by": c.source,
                "minimum": cpus.MINIMUM, "llama_cpu_variant": variant, "embedding_precision_auto": precision("auto")}

    def ocr_status(self, name: str = "") -> dict:
        """The OCR engine, its languages and the mode in force (for `name`), and what is missing."""
        config = self.ocr_config(name)
        return {"mode": config.mode, "collection_mode": self._ledger.ocr_mode(name) if name else "",
                "engine": f"tesseract {config.version}" if config.command else "", "command": config.command,
                "languages": config.languages or "auto", "installed": list(config.installed),
                "dpi": config.dpi, "problem": config.problem}

    def scanned_page(self, path: str, page: int) -> OcrPage | None:
        """The OCR'd text and word boxes of `path`'s page `page` (1-based), or None when it was not read
        by OCR: what the viewer highlights a cited passage over a scan with."""
        from indexers import ocr_cache
        from indexers.files import file_sha256

        try:
            sha = file_sha256(path)
        except OSError:
            return None
        return ocr_cache.find(self.data / "ocr", sha, page, self.ocr_config().key())

    def create_collection(self, name: str) -> CollectionInfo:
        """An empty collection, bound to the configured embedding model (loaded here to learn its size)."""
        name = collections.check_name(name)
        if self._ledger.collection(name) is not None:
            raise ConfigError(f"a collection named '{name}' already exists; pick another name")
        self._collection_embedder(name)
        return self._ledger.collection(name)

    def rename_collection(self, old: str, new: str) -> None:
        collections.rename(self.data, self._ledger, old, new)

    def delete_collection(self, name: str) -> None:
        collections.delete(self.data, self._ledger, name)

    # ---- models
    def model_entries(self) -> dict[str, ModelEntry]:
        return self._registry.entries()

    def model_names(self, kind: str) -> list[str]:
        """Registered models of `kind` ("llm" or "embedding")."""
        return [n for n, e in self._registry.entries().items() if e.kind == kind]

    def add_model(self, path: str, name: str = "", prefix: str = "") -> ModelEntry:
        return self._converted(models.add(self._registry, path, name, prefix))

    def add_packaged_models(self) -> list[ModelEntry]:
        return [self._converted(e) for e in models.add_packaged(self._registry)]

    def pull_model(self, name: str, progress: models.ProgressFn | None = None,
                   cancel: threading.Event | None = None) -> ModelEntry:
        return self._converted(models.pull(self._registry, name, self.settings.hub_url, progress=progress,
                                           cancel=cancel))

    def _converted(self, entry: ModelEntry) -> ModelEntry:
        """A newly registered embedding model is converted to ONNX now, not at its first use (unless the
        settings say torch); `tell` hears how it went."""
        if entry.kind != "embedding" or self.settings.embedding_runtime == "torch":
            return entry
        from assistant import onnx_embedding

        folder, why = self._registry.onnx_folder(entry, onnx_embedding.precision(self.settings.embedding_precision),
                                                 self.tell)
        if folder:
            self.tell(onnx_embedding.describe(folder))
        elif bundle.can_convert():
            self.tell(onnx_embedding.fallback_notice(entry.name, why))
        else:
            self.tell(onnx_embedding.unrunnable_notice(entry.name, why))
        return self._registry.entries().get(entry.name, entry)

    def embedding_status(self) -> dict:
        """How local embeddings run (runtime, conversion, device, threads), known without loading a model."""
        s = self.settings
        if s.embedding_backend == "remote":
            return {"runtime": "remote", "device": s.embedding_url}
        from assistant import onnx_embedding

        try:
            entry = self._registry.resolve(s.embedding_model, "embedding")
        except AssistantError as e:
            return {"runtime": self._runtime() or "onnx", "error": str(e)}
        folder = self._registry.known_onnx(entry, onnx_embedding.precision(s.embedding_precision))
        return onnx_embedding.status(folder, entry,
                                     self._runtime(), s.embedding_device, s.embedding_threads)

    # ---- settings and lifetime
    def update_settings(self, settings: Settings) -> bool:
        """Take `settings` in place when they differ only in what is read at each question (the loaded
        models stay); False when a model, server or store would change: build a new assistant."""
        changed = {f.name for f in fields(Settings) if getattr(settings, f.name) != getattr(self.settings, f.name)}
        if not changed <= PER_QUESTION:
            return False
        self.settings = settings
        return True

    def close(self) -> None:
        for backend in self._chat.built():
            backend.close()
        self._ledger.close()
