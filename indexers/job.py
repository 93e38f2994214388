"""The indexing job: find PDFs, skip unchanged ones, parse in worker processes, chunk, embed, store.

Incremental and resumable: a cheap size+mtime check first, the content hash to confirm; changed files
are replaced, deleted files' chunks removed. A file is marked pending in the ledger before its chunks are
written and indexed after, so a run killed midway leaves nothing the next run does not repair.
Progress is a generator of events, so the CLI draws a bar and the desktop app emits Qt signals.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from assistant.embedding import Embedder
from assistant.ledger import FileRecord, Ledger
from assistant.store import Store
from indexers.chunking import chunk_pages, make_splitter
from indexers.pdf import ParseResult, parse_files


@dataclass(frozen=True)
class FileOutcome:
    path: str
    status: str  # indexed | unchanged | failed | removed
    reason: str = ""
    pages: int = 0
    chunks: int = 0
    empty_pages: int = 0


@dataclass
class Progress:
    """One event of an indexing run; the last one has `finished` set and all outcomes."""

    files_total: int = 0
    files_done: int = 0
    pages_done: int = 0
    chunks_done: int = 0
    elapsed_s: float = 0.0
    current: FileOutcome | None = None
    outcomes: list[FileOutcome] = field(default_factory=list)
    finished: bool = False
    cancelled: bool = False
    to_parse: int = 0
    parsed: int = 0

    @property
    def pages_per_s(self) -> float:
        return self.pages_done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        if not self.parsed or self.parsed >= self.to_parse:
            return None if not self.parsed else 0.0
        return self.elapsed_s / self.parsed * (self.to_parse - self.parsed)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


@dataclass(frozen=True)
class IndexOptions:
    chunk_tokens: int = 256
    chunk_overlap_tokens: int = 32
    parse_timeout_s: float = 60.0
    parse_memory_mb: int = 2048
    parse_workers: int = 0


def discover(paths: Iterable[str]) -> tuple[list[str], list[str], list[FileOutcome]]:
    """(files, roots, problems): PDFs under folders (recursively) and files named directly."""
    files: dict[str, None] = {}
    roots, problems = [], []
    for raw in paths:
        p = Path(raw).expanduser()
        if not p.exists():
            problems.append(FileOutcome(str(p), "failed", "no such file or folder"))
            continue
        p = p.resolve()
        roots.append(str(p))
        if p.is_dir():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.lower().endswith(".pdf") and not name.startswith("."):
                        files[str(Path(dirpath) / name)] = None
        else:
            files[str(p)] = None
    return list(files), roots, problems


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def recover(ledger: Ledger, store: Store, collection: str) -> int:
    """Remove what a killed run left half-written: chunks of files still marked pending."""
    pending = [r.path for r in ledger.files(collection).values() if r.status == "pending"]
    for path in pending:
        store.delete_file(path)
        ledger.remove_file(collection, path)
    return len(pending)


def run_index(paths: Iterable[str], *, ledger: Ledger, store: Store, embedder: Callable[[], Embedder],
              collection: str,
              options: IndexOptions = IndexOptions(), cancel: threading.Event | None = None
              ) -> Iterator[Progress]:
    """Index `paths` into `collection`, yielding Progress after every file. The caller holds the lock.

    `embedder` is called only when a file needs embedding, so a re-scan of unchanged files loads no model.
    """
    start = time.monotonic()
    cancel = cancel or threading.Event()
    recover(ledger, store, collection)
    files, roots, problems = discover(paths)
    ledger.add_roots(collection, roots)
    known = ledger.files(collection)
    prog = Progress(files_total=len(files) + len(problems))
    prog.outcomes.extend(problems)
    prog.files_done = len(problems)

    def emit(outcome: FileOutcome | None = None) -> Progress:
        if outcome is not None:
            prog.outcomes.append(outcome)
            prog.files_done += outcome.status != "removed"
        prog.current = outcome
        prog.elapsed_s = time.monotonic() - start
        return prog

    present = set(files)
    for path, rec in known.items():
        if _under(path, roots) and path not in present and not os.path.exists(path):
            store.delete_file(path)
            ledger.remove_file(collection, path)
            yield emit(FileOutcome(path, "removed", "file no longer exists"))

    to_parse, stats = [], {}
    for path in files:
        try:
            st = os.stat(path)
        except OSError as e:
            yield emit(FileOutcome(path, "failed", f"cannot read file: {e.strerror}"))
            continue
        stats[path] = st
        rec = known.get(path)
        if rec and rec.status in ("indexed", "failed"):
            same = rec.size == st.st_size and rec.mtime_ns == st.st_mtime_ns
            if not same and rec.sha256 == file_sha256(path):
                ledger.touch(collection, path, st.st_size, st.st_mtime_ns)
                same = True
            if same:
                yield emit(FileOutcome(path, "unchanged", rec.reason, rec.pages, rec.chunks, rec.empty_pages))
                continue
        to_parse.append(path)
    prog.to_parse = len(to_parse)

    model, splitter = None, None
    for result in _parse_in_background(to_parse, options, cancel):
        prog.parsed += 1
        st = stats[result.file]
        try:
            sha = file_sha256(result.file)
        except OSError as e:
            result = ParseResult(result.file, error=f"cannot read file: {e.strerror}")
            sha = ""
        base = FileRecord(path=result.file, size=st.st_size, mtime_ns=st.st_mtime_ns, sha256=sha,
                          status="failed", reason=result.error, pages=0, empty_pages=0, chunks=0)
        if result.error:
            if result.file in known:
                store.delete_file(result.file)
            ledger.mark_failed(collection, base)
            yield emit(FileOutcome(result.file, "failed", result.error))
            continue
        if model is None:
            model = embedder()
            chunk_tokens = max(16, min(options.chunk_tokens, model.max_tokens - 16))
            splitter = make_splitter(chunk_tokens, options.chunk_overlap_tokens, model.count_tokens)
        chunks = chunk_pages(result.pages, sha, splitter)
        vectors = model.embed_documents([c.text for c in chunks])
        ledger.mark_pending(collection, result.file)
        store.delete_file(result.file)
        store.upsert(chunks, vectors)
        n_pages = len(result.pages) + result.empty_pages
        note = f"{result.empty_pages} page(s) without text (scanned?)" if result.empty_pages else ""
        rec = FileRecord(path=result.file, size=st.st_size, mtime_ns=st.st_mtime_ns, sha256=sha,
                         status="indexed", reason=note, pages=n_pages, empty_pages=result.empty_pages,
                         chunks=len(chunks))
        ledger.mark_indexed(collection, rec, [c.id for c in chunks])
        prog.pages_done += n_pages
        prog.chunks_done += len(chunks)
        yield emit(FileOutcome(result.file, "indexed", note, n_pages, len(chunks), result.empty_pages))
    prog.cancelled = cancel.is_set()
    prog.finished = True
    yield emit()


def _parse_in_background(paths: list[str], options: IndexOptions,
                         cancel: threading.Event) -> Iterator[ParseResult]:
    """Parse in a thread feeding a small queue, so workers keep parsing while this thread embeds."""
    if not paths:
        return
    q: queue.Queue = queue.Queue(maxsize=8)
    done = object()

    def feed() -> None:
        gen = parse_files(paths, workers=options.parse_workers, timeout_s=options.parse_timeout_s,
                          max_memory_mb=options.parse_memory_mb)
        try:
            for result in gen:
                while not cancel.is_set():
                    try:
                        q.put(result, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if cancel.is_set():
                    break
        except BaseException as e:  # surfaces in the consumer
            q.put(e)
        finally:
            gen.close()
            q.put(done)

    thread = threading.Thread(target=feed, name="pdf-parse", daemon=True)
    thread.start()
    try:
        while not cancel.is_set():
            try:
                item = q.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is done:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        cancel_was = cancel.is_set()
        cancel.set()  # stop the feeder if the consumer stopped early
        while thread.is_alive():
            try:
                q.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()
        if not cancel_was:
            cancel.clear()
