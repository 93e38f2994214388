"""The indexing job: find PDFs, skip unchanged ones, parse in worker processes, chunk, embed, store.

Incremental and resumable: a cheap size+mtime check first, the content hash to confirm; changed files
are replaced, deleted files' chunks removed. A file is marked pending in the ledger before its chunks are
written and indexed after, so a run killed midway leaves nothing the next run does not repair.
Progress is a generator of frozen snapshots, so the CLI draws a bar and the desktop app hands each one
to its UI thread while the job goes on.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from assistant.embedding import Embedder
from assistant.ledger import FileRecord, Ledger
from assistant.store import Store
from indexers.chunking import chunk_pages, make_splitter
from indexers.files import discover, file_sha256, not_regular, under
from indexers.ocr import OcrConfig
from indexers.pdf import PageDone, ParseResult, parse_ahead, unreadable_pages, without_ocr
from indexers.quality import degenerate
from indexers.records import Chunk, Page


@dataclass(frozen=True)
class FileOutcome:
    path: str
    status: str  # indexed | unchanged | duplicate (same content as a file indexed) | failed | skipped | removed
    reason: str = ""
    pages: int = 0
    chunks: int = 0
    empty_pages: int = 0
    ocr_pages: int = 0


@dataclass(frozen=True)
class Progress:
    """One event of an indexing run, as it stood then; the last one has `finished` set."""

    files_total: int = 0
    files_done: int = 0
    pages_done: int = 0
    chunks_done: int = 0
    elapsed_s: float = 0.0
    current: FileOutcome | None = None
    outcomes: tuple[FileOutcome, ...] = ()
    finished: bool = False
    cancelled: bool = False
    to_parse: int = 0
    parsed: int = 0
    notice: str = ""  # said once per run, e.g. why every file is indexed again
    embedding: tuple[str, int, int] = ("", 0, 0)  # a long file being embedded: (path, passages done, of)
    ocr: tuple[str, int, int] = ("", 0, 0)  # a file being read by OCR: (path, pages done, of)
    ocr_pages_done: int = 0  # pages read by OCR in this run (from the cache too)
    ocr_seconds: float = 0.0  # what reading them took, summed over the workers

    @property
    def ocr_pages_per_s(self) -> float:
        """Pages read by OCR per second of this run (all workers together)."""
        return self.ocr_pages_done / self.elapsed_s if self.elapsed_s > 0 and self.ocr_pages_done else 0.0

    @property
    def ocr_eta_s(self) -> float | None:
        """Seconds left for the file being read by OCR, at this run's rate."""
        path, done, of = self.ocr
        rate = self.ocr_pages_per_s
        return (of - done) / rate if path and rate > 0 else None

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
    chunk_tokens: int = 128
    chunk_overlap_tokens: int = 32
    parse_timeout_s: float = 60.0
    parse_memory_mb: int = 2048
    parse_workers: int = 0
    ocr: OcrConfig | None = None


class _Tally:
    """The job's running totals (its own, never shared); `snapshot` freezes them into a Progress."""

    def __init__(self, files_total: int):
        self.start = time.monotonic()
        self.state = Progress(files_total=files_total)
        self.outcomes: list[FileOutcome] = []

    def update(self, **changes) -> None:
        self.state = dataclasses.replace(self.state, **changes)

    def snapshot(self, outcome: FileOutcome | None = None, **changes) -> Progress:
        if outcome is not None:
            self.outcomes.append(outcome)
            changes["files_done"] = self.state.files_done + (outcome.status != "removed")
        self.update(current=outcome, elapsed_s=time.monotonic() - self.start, outcomes=tuple(self.outcomes),
                    **changes)
        return self.state


# What an index holds: 1 chunk vectors; 2 also a vector per page and per document opening (Store.views).
# Collections of an older format are indexed again at their next `assistant index`, and said so before.
INDEX_FORMAT = 2

# A file with more passages than this is embedded in slices of it, with a Progress after each, so that the
# progress display keeps moving through a 2,000-page file and a cancel stops it within a slice.
EMBED_SLICE = 256

# The document's opening (its first characters with text: title, heading, first sentence) gets a vector of
# its own: 200 characters, measured on benchmarks/retrieval_eval.py.
OPENING_CHARS = 200


def opening_text(pages: Sequence[Page], chunks: Sequence[Chunk]) -> str:
    """The first characters of the first page that kept a chunk (degenerate text is left out)."""
    kept = {c.page for c in chunks}
    first = next((p for p in pages if p.number in kept), None)
    return " ".join(first.text.split())[:OPENING_CHARS] if first else ""


def page_means(chunks: Sequence[Chunk], vectors: np.ndarray) -> tuple[list[int], np.ndarray]:
    """One vector per page that kept a chunk: the normalised mean of its chunks' vectors. Embedding the
    page's text instead found the right document slightly more often (file@5 +0.015 on the benchmark) but
    made indexing 1.9x slower; the mean costs nothing."""
    numbers = sorted({c.page for c in chunks})
    if not numbers:
        return [], np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 0), dtype=np.float32)
    at = {n: i for i, n in enumerate(numbers)}
    sums = np.zeros((len(numbers), vectors.shape[1]), dtype=np.float32)
    np.add.at(sums, [at[c.page] for c in chunks], vectors)
    return numbers, sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)


def stored_once(chunks: Sequence[Chunk]) -> tuple[list[Chunk], list[tuple[Chunk, Chunk]]]:
    """A file's chunks with each text kept once (spacing aside), and the (repeat, first) pairs left out.
    Hundreds of equal passages (a form page, "this page intentionally left blank") give equal vectors, and
    the vector index's graph then leads every query into them: the rest of the collection is not found."""
    first: dict[str, Chunk] = {}
    kept, repeats = [], []
    for c in chunks:
        key = " ".join(c.text.split())
        if key in first:
            repeats.append((c, first[key]))
        else:
            first[key] = c
            kept.append(c)
    return kept, repeats


# Files are embedded and written together until this many passages or files are gathered: fuller
# embedding batches, and one Chroma and ledger write for many small files instead of one each.
BATCH_TEXTS = 128
BATCH_FILES = 32


@dataclasses.dataclass
class _Prepared:
    """A parsed file, chunked, waiting for its vectors."""
    result: ParseResult
    chunks: list[Chunk]
    junk: list[tuple[Chunk, str]]
    repeats: list[tuple[Chunk, Chunk]]
    opening: str
    texts: list[str]
    vectors: np.ndarray | None = None

    @classmethod
    def of(cls, result: ParseResult, splitter, sha: str) -> "_Prepared":
        chunks = chunk_pages(result.pages, sha, splitter)
        flags = [degenerate(c.text) for c in chunks]
        junk = [(c, why) for c, why in zip(chunks, flags) if why]
        chunks, repeats = stored_once([c for c, why in zip(chunks, flags) if not why])
        opening = opening_text(result.pages, chunks)
        return cls(result, chunks, junk, repeats, opening, [c.text for c in chunks] + [opening] * bool(opening))

    def record(self, st: os.stat_result, sha: str, ocr: OcrConfig | None) -> FileRecord:
        result = self.result
        notes = ocr_notes(result, ocr)
        if self.junk:
            notes.append(f"{len(self.junk)} passage(s) of degenerate text left out ({self.junk[0][1]}, "
                         f"first on p. {self.junk[0][0].page})")
        if self.repeats:
            notes.append(f"{len(self.repeats)} repeated passage(s) stored once (the same text as p. "
                         f"{self.repeats[0][1].page}, first repeated on p. {self.repeats[0][0].page})")
        n_pages = len(result.pages) + result.empty_pages + len(result.unreadable)
        return FileRecord(path=result.file, size=st.st_size, mtime_ns=st.st_mtime_ns, sha256=sha,
                          status="indexed", reason="; ".join(notes), pages=n_pages,
                          empty_pages=result.empty_pages, chunks=len(self.chunks), ocr=ocr_key(result, ocr),
                          ocr_pages=result.ocr_pages)


def ocr_again(rec: FileRecord, ocr: OcrConfig | None) -> bool:
    """Whether a file indexed before is read again for OCR: its scanned pages were left unread, or read
    with other OCR settings, and OCR can read them now (with `always`, every page is read by OCR)."""
    if ocr is None or not ocr.active or rec.ocr == ocr.key() or rec.status == "duplicate":
        return False
    if ocr.mode == "always":
        return True
    scanned = rec.status == "failed" and rec.reason.startswith(("image-only", "no text layer", "no readable text"))
    return rec.empty_pages > 0 or rec.ocr_pages > 0 or scanned


def ocr_key(result: ParseResult, ocr: OcrConfig | None) -> str:
    """What the ledger records of how the file's scanned pages were read ("" when none were)."""
    return ocr.key() if ocr is not None and (result.ocr_pages or result.unreadable) else ""


def ocr_notes(result: ParseResult, ocr: OcrConfig | None) -> list[str]:
    """What a file's outcome says about its scanned pages."""
    notes = []
    if result.ocr_pages:
        notes.append(f"{result.ocr_pages} page(s) read by OCR ({result.ocr_languages})")
    if result.unreadable:
        notes.append(f"{len(result.unreadable)} page(s) not indexed: {unreadable_pages(result.unreadable)}")
    if result.empty_pages:
        notes.append(f"{result.empty_pages} page(s) without text (scanned?): {without_ocr(ocr)}")
    return notes


def unreadable(e: OSError) -> str:
    """Why a listed file could not be read, as a file's reason."""
    if isinstance(e, FileNotFoundError):
        return "cannot read file: it disappeared during the run (deleted or moved); run `assistant index` again"
    return f"cannot read file: {e.strerror or e}"


def _sha256_or_none(path: str) -> str | None:
    try:
        return file_sha256(path)
    except OSError:
        return None  # unreadable now: it is parsed again, and its reading error reported there


def recover(ledger: Ledger, store: Store, collection: str) -> int:
    """Remove what a killed run left half-written: chunks of files still marked pending."""
    pending = [r.path for r in ledger.files(collection).values() if r.status == "pending"]
    for path in pending:
        store.delete_file(path)
        ledger.remove_file(collection, path)
    return len(pending)


def run_index(paths: Iterable[str], *, ledger: Ledger, store: Store, embedder: Callable[[], Embedder],
              collection: str,
              options: IndexOptions = IndexOptions(), cancel: threading.Event | None = None,
              again: str = "", notice: str = "") -> Iterator[Progress]:
    """Index `paths` into `collection`, yielding Progress after every file. The caller holds the lock.

    `embedder` is called only when a file needs embedding, so a re-scan of unchanged files loads no model.
    `again`: a reason to index unchanged files too (the chunking changed); it is the run's notice, as
    `notice` is (said once, e.g. that a damaged index is being rebuilt).
    """
    cancel = cancel or threading.Event()
    recover(ledger, store, collection)
    found = discover(paths)
    ledger.add_roots(collection, found.roots)
    known = ledger.files(collection)
    tally = _Tally(len(found.files) + len(found.missing) + len(found.skipped))
    for path in found.missing:
        tally.outcomes.append(FileOutcome(path, "failed", "no such file or folder"))
    for path, why in found.skipped:
        tally.outcomes.append(FileOutcome(path, "skipped", why))
    tally.update(files_done=len(found.missing) + len(found.skipped), notice=notice or again)

    present = set(found.files)
    for path in known:
        if under(path, found.roots) and path not in present and not os.path.exists(path):
            store.delete_file(path)
            ledger.remove_file(collection, path)
            yield tally.snapshot(FileOutcome(path, "removed", "file no longer exists"))
    known = ledger.files(collection)

    to_parse, stats, kept_duplicates, rescans = [], {}, [], []
    for path in found.files:
        try:
            st = os.stat(path)
        except OSError as e:
            yield tally.snapshot(FileOutcome(path, "failed", unreadable(e)))
            continue
        if not stat.S_ISREG(st.st_mode):  # replaced by a pipe or a device since it was listed
            yield tally.snapshot(FileOutcome(path, "skipped", not_regular(path)))
            continue
        stats[path] = st
        rec = known.get(path)
        if rec and rec.status in ("indexed", "failed", "duplicate") and not again:
            same = rec.size == st.st_size and rec.mtime_ns == st.st_mtime_ns
            if not same and rec.sha256 == _sha256_or_none(path):
                ledger.touch(collection, path, st.st_size, st.st_mtime_ns)
                same = True
            if same and ocr_again(rec, options.ocr):
                rescans.append(path)
                same = False
            if same and rec.status == "duplicate":
                kept_duplicates.append(rec)  # decided below, once the files to parse are known
                continue
            if same:
                yield tally.snapshot(FileOutcome(path, "unchanged", rec.reason, rec.pages, rec.chunks,
                                                 rec.empty_pages))
                continue
        to_parse.append(path)
    for rec in kept_duplicates:  # a copy stays one while the file indexed for it stays as it was
        of = known.get(rec.alias_of)
        if of and of.status == "indexed" and of.sha256 == rec.sha256 and rec.alias_of not in to_parse \
                and os.path.exists(rec.alias_of):
            yield tally.snapshot(FileOutcome(rec.path, "unchanged", rec.reason, rec.pages))
        else:
            to_parse.append(rec.path)
    order = {p: i for i, p in enumerate(found.files)}
    to_parse.sort(key=order.__getitem__)
    if rescans:
        said = tally.state.notice
        more = f"{len(rescans)} file(s) with scanned pages are read again by OCR ({options.ocr.label()})"
        tally.update(notice=f"{said}; {more}" if said else more)

    def failed(path: str, reason: str, sha: str = "", ocr: str = "") -> FileOutcome:
        if path in known:
            store.delete_file(path)
        st = stats[path]
        ledger.mark_failed(collection, FileRecord(path=path, size=st.st_size, mtime_ns=st.st_mtime_ns, sha256=sha,
                                                  status="failed", reason=reason, pages=0, empty_pages=0, chunks=0,
                                                  ocr=ocr))
        return FileOutcome(path, "failed", reason)

    def duplicate(path: str, of: str, sha: str, pages: int) -> FileOutcome:
        """`path` holds what `of` holds: recorded as its alias, with no chunks of its own."""
        if path in known and known[path].status != "duplicate":
            ledger.mark_pending(collection, path)
            store.delete_file(path)
        st, reason = stats[path], f"same content as {of} (indexed once)"
        ledger.mark_duplicate(collection, FileRecord(path=path, size=st.st_size, mtime_ns=st.st_mtime_ns,
                                                     sha256=sha, status="duplicate", reason=reason, pages=pages,
                                                     empty_pages=0, chunks=0, alias_of=of))
        return FileOutcome(path, "duplicate", reason, pages)

    # Identical content is indexed once: the first path (in the folder's order) unless one is indexed already.
    # Hashing first keeps that choice the same whatever order the parse workers finish in.
    first = {r.sha256: p for p, r in known.items()
             if r.status == "indexed" and r.sha256 and p not in to_parse and os.path.exists(p)}
    shas: dict[str, str] = {}
    copies: dict[str, list[str]] = {}
    parse = []
    for path in to_parse:
        try:
            sha = file_sha256(path)
        except OSError as e:
            yield tally.snapshot(failed(path, unreadable(e)))
            continue
        shas[path] = sha
        if sha not in first:
            first[sha] = path
            parse.append(path)
        elif first[sha] in shas:
            copies.setdefault(first[sha], []).append(path)
        else:
            yield tally.snapshot(duplicate(path, first[sha], sha, known[first[sha]].pages))
    tally.update(to_parse=len(parse))

    model, splitter = None, None
    batch: list[_Prepared] = []

    def write(batch: list[_Prepared], vectors: np.ndarray) -> Iterator[Progress]:
        """The batch's files into the index: all marked pending, their chunks and views written together,
        then all marked indexed (a crash in between leaves them pending: the next run mends them)."""
        ledger.mark_pending_many(collection, [b.result.file for b in batch])
        for b in batch:
            if b.result.file in known:  # a new file has nothing stored to replace
                store.delete_file(b.result.file)
        views, at = [], 0
        for b in batch:
            b.vectors = vectors[at:at + len(b.texts)]
            at += len(b.texts)
            pages, page_vectors = page_means(b.chunks, b.vectors[:len(b.chunks)])
            views.append((b.result.file, pages, page_vectors, b.vectors[-1] if b.opening else None))
        store.upsert([c for b in batch for c in b.chunks],
                     np.concatenate([b.vectors[:len(b.chunks)] for b in batch]) if batch else vectors)
        store.upsert_views_many(views)
        records = [b.record(stats[b.result.file], shas[b.result.file], options.ocr) for b in batch]
        ledger.mark_indexed_many(collection, [(rec, [c.id for c in b.chunks]) for rec, b in zip(records, batch)])
        for rec, b in zip(records, batch):
            yield tally.snapshot(FileOutcome(rec.path, "indexed", rec.reason, rec.pages, len(b.chunks),
                                             rec.empty_pages, rec.ocr_pages),
                                 pages_done=tally.state.pages_done + rec.pages,
                                 chunks_done=tally.state.chunks_done + len(b.chunks))
            for path in copies.get(rec.path, ()):
                yield tally.snapshot(duplicate(path, rec.path, rec.sha256, rec.pages))

    def flush() -> Iterator[Progress]:
        """Embed the gathered files together (fuller batches than file by file) and write them."""
        if batch and not cancel.is_set():
            texts = [t for b in batch for t in b.texts]
            yield from write(batch, model.embed_documents(texts))
        batch.clear()

    for result in parse_ahead(parse, cancel=cancel, workers=options.parse_workers,
                              timeout_s=options.parse_timeout_s, max_memory_mb=options.parse_memory_mb,
                              ocr=options.ocr, shas=shas):
        if isinstance(result, PageDone):
            yield tally.snapshot(ocr=(result.file, result.done, result.of),
                                 ocr_pages_done=tally.state.ocr_pages_done + 1,
                                 ocr_seconds=tally.state.ocr_seconds + result.seconds)
            continue
        if tally.state.ocr[0] == result.file:
            tally.update(ocr=("", 0, 0))
        tally.update(parsed=tally.state.parsed + 1)
        sha = shas[result.file]
        if result.error:
            yield tally.snapshot(failed(result.file, result.error, sha, ocr_key(result, options.ocr)))
            for path in copies.get(result.file, ()):
                yield tally.snapshot(failed(path, f"{result.error} (same content as {result.file})", sha))
            continue
        if model is None:
            model = embedder()
            chunk_tokens = max(16, min(options.chunk_tokens, model.max_tokens - 16))
            splitter = make_splitter(chunk_tokens, options.chunk_overlap_tokens, model.count_tokens)
        item = _Prepared.of(result, splitter, sha)
        if len(item.texts) <= EMBED_SLICE:
            batch.append(item)
            if sum(len(b.texts) for b in batch) >= BATCH_TEXTS or len(batch) >= BATCH_FILES:
                yield from flush()
            if cancel.is_set():
                break
            continue
        yield from flush()  # a long file goes alone, in slices, with progress within it
        parts = []
        for start in range(0, len(item.texts), EMBED_SLICE):
            parts.append(model.embed_documents(item.texts[start:start + EMBED_SLICE]))
            yield tally.snapshot(embedding=(result.file, start + len(parts[-1]), len(item.texts)))
            if cancel.is_set():
                break
        tally.update(embedding=("", 0, 0))
        if cancel.is_set():
            break  # the file is left as it was; the next run embeds it
        yield from write([item], np.concatenate(parts))
    yield from flush()
    yield tally.snapshot(cancelled=cancel.is_set(), finished=True)
