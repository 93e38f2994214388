"""Our own record of what is indexed (SQLite): collections, files, hashes, chunk ids, embedding model.

A file counts as indexed only when all its chunks are stored: it is marked `pending` before its chunks
are written and `indexed` after, so a run killed in between is repaired by the next one.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (
    name TEXT PRIMARY KEY, embed_model TEXT NOT NULL, embed_dim INTEGER NOT NULL,
    prefix TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS roots (
    collection TEXT NOT NULL, path TEXT NOT NULL, PRIMARY KEY (collection, path));
CREATE TABLE IF NOT EXISTS files (
    collection TEXT NOT NULL, path TEXT NOT NULL, size INTEGER, mtime_ns INTEGER, sha256 TEXT,
    status TEXT NOT NULL, reason TEXT DEFAULT '', pages INTEGER DEFAULT 0, empty_pages INTEGER DEFAULT 0,
    chunks INTEGER DEFAULT 0, updated REAL, alias_of TEXT NOT NULL DEFAULT '', PRIMARY KEY (collection, path));
CREATE TABLE IF NOT EXISTS chunks (
    collection TEXT NOT NULL, path TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (collection, id));
CREATE INDEX IF NOT EXISTS chunks_by_file ON chunks (collection, path);
CREATE TABLE IF NOT EXISTS journal (
    collection TEXT PRIMARY KEY, action TEXT NOT NULL, arg TEXT NOT NULL DEFAULT '', started REAL NOT NULL);
CREATE TABLE IF NOT EXISTS calibration (
    collection TEXT PRIMARY KEY, embed_model TEXT NOT NULL, chunks INTEGER NOT NULL, data TEXT NOT NULL,
    created REAL NOT NULL);
"""


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    embed_model: str
    embed_dim: int
    prefix: str
    chunking: str = ""  # "tokens/overlap" its chunks were cut with ("": before this was recorded)
    index_format: int = 1  # what its index holds: 1 chunk vectors, 2 + page and document-opening vectors
    embed_runtime: str = ""  # how its vectors were computed: onnx-int8, onnx-fp32, torch ("": torch, before)


@dataclass(frozen=True)
class FileRecord:
    path: str
    size: int
    mtime_ns: int
    sha256: str
    status: str  # indexed | failed | pending | duplicate (the same content as `alias_of`, indexed once there)
    reason: str
    pages: int
    empty_pages: int
    chunks: int
    alias_of: str = ""
    ocr: str = ""  # the OCR settings (OcrConfig.key) its scanned pages were read with; "" none were
    ocr_pages: int = 0  # pages whose text is OCR's


_COLUMNS = "name, embed_model, embed_dim, prefix, chunking, index_format, embed_runtime"
_FILE_COLUMNS = "path, size, mtime_ns, sha256, status, reason, pages, empty_pages, chunks, alias_of, ocr, ocr_pages"


class Ledger:
    def __init__(self, path: Path):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path), timeout=30, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
        except (OSError, sqlite3.OperationalError) as e:
            from assistant import storage
            from assistant.errors import StorageError

            why = storage.problem(e, path.parent)
            if why:
                raise StorageError(why) from None
            raise
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(collections)")}
        file_columns = {r[1] for r in self.db.execute("PRAGMA table_info(files)")}
        for table, have, column, sql in (  # ledgers from before these were recorded
                ("collections", columns, "chunking", "chunking TEXT NOT NULL DEFAULT ''"),
                ("collections", columns, "index_format", "index_format INTEGER NOT NULL DEFAULT 1"),
                ("collections", columns, "embed_runtime", "embed_runtime TEXT NOT NULL DEFAULT ''"),
                ("files", file_columns, "alias_of", "alias_of TEXT NOT NULL DEFAULT ''"),
                ("files", file_columns, "ocr", "ocr TEXT NOT NULL DEFAULT ''"),
                ("files", file_columns, "ocr_pages", "ocr_pages INTEGER NOT NULL DEFAULT 0"),
                ("collections", columns, "ocr", "ocr TEXT NOT NULL DEFAULT ''")):
            if column not in have:
                try:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {sql}")
                except sqlite3.OperationalError:  # another process added it first
                    pass
        self.lock = threading.RLock()

    def close(self) -> None:
        self.db.close()

    def _tx(self, statements: Iterable[tuple[str, tuple]]) -> None:
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self.db.execute(sql, args)
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def _all(self, sql: str, args: tuple = ()) -> list:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    # collections
    def collection(self, name: str) -> CollectionInfo | None:
        rows = self._all(f"SELECT {_COLUMNS} FROM collections WHERE name=?",
                         (name,))
        return CollectionInfo(*rows[0]) if rows else None

    def collections(self) -> list[CollectionInfo]:
        rows = self._all(f"SELECT {_COLUMNS} FROM collections ORDER BY name")
        return [CollectionInfo(*r) for r in rows]

    def create_collection(self, info: CollectionInfo) -> None:
        self._tx([("INSERT INTO collections (name, embed_model, embed_dim, prefix, created, chunking, "
                   "index_format, embed_runtime) VALUES (?,?,?,?,?,?,?,?)",
                   (info.name, info.embed_model, info.embed_dim, info.prefix, time.time(), info.chunking,
                    info.index_format, info.embed_runtime))])

    def set_layout(self, name: str, chunking: str, index_format: int, embed_runtime: str | None = None) -> None:
        """What every file of `name` is now indexed with (after a complete run)."""
        self._tx([("UPDATE collections SET chunking=?, index_format=?, embed_runtime=COALESCE(?, embed_runtime) "
                   "WHERE name=?", (chunking, index_format, embed_runtime, name))])

    _TABLES = (("collections", "name"), ("roots", "collection"), ("files", "collection"),
               ("chunks", "collection"), ("calibration", "collection"))

    def ocr_mode(self, name: str) -> str:
        """The collection's own OCR mode (auto, off, always), or "" to follow the `ocr` setting."""
        rows = self._all("SELECT ocr FROM collections WHERE name=?", (name,))
        return rows[0][0] if rows else ""

    def set_ocr_mode(self, name: str, mode: str) -> None:
        self._tx([("UPDATE collections SET ocr=? WHERE name=?", (mode, name))])

    def delete_collection(self, name: str) -> None:
        """Everything recorded of `name`, with its journal entry (the delete is then complete)."""
        self._tx([(f"DELETE FROM {t} WHERE {c}=?", (name,)) for t, c in self._TABLES + (("journal", "collection"),)])

    def rename_collection(self, old: str, new: str) -> None:
        """`old`'s records under `new`; its journal entry goes (the rename is then complete)."""
        self._tx([(f"UPDATE {t} SET {c}=? WHERE {c}=?", (new, old)) for t, c in self._TABLES]
                 + [("DELETE FROM journal WHERE collection=?", (old,))])

    def forget_files(self, name: str) -> None:
        """`name`'s file and chunk records, to index every file again (a rebuild); its folders stay."""
        self._tx([("DELETE FROM chunks WHERE collection=?", (name,)), ("DELETE FROM files WHERE collection=?", (name,))])

    # the journal: a change to a collection that spans Chroma, the chats and this ledger is written here
    # first, so that a run killed midway is finished by the next one (collections.settle)
    def begin(self, collection: str, action: str, arg: str = "") -> None:
        self._tx([("INSERT OR REPLACE INTO journal VALUES (?,?,?,?)", (collection, action, arg, time.time()))])

    def end(self, collection: str) -> None:
        self._tx([("DELETE FROM journal WHERE collection=?", (collection,))])

    def journal(self) -> list[tuple[str, str, str]]:
        """(collection, action, arg) of each change not finished: rename (arg: the new name), delete, repair."""
        return [tuple(r) for r in self._all("SELECT collection, action, arg FROM journal ORDER BY started")]

    # calibration of the refusal decision (assistant/refusal.py), as JSON
    def calibration(self, collection: str) -> tuple[str, int, str] | None:
        """(embedding model, chunk count, data) of the collection's last calibration."""
        rows = self._all("SELECT embed_model, chunks, data FROM calibration WHERE collection=?", (collection,))
        return tuple(rows[0]) if rows else None

    def set_calibration(self, collection: str, embed_model: str, chunks: int, data: str) -> None:
        self._tx([("INSERT OR REPLACE INTO calibration VALUES (?,?,?,?,?)",
                   (collection, embed_model, chunks, data, time.time()))])

    def add_roots(self, collection: str, roots: Iterable[str]) -> None:
        self._tx([("INSERT OR IGNORE INTO roots VALUES (?,?)", (collection, r)) for r in roots])

    def roots(self, collection: str) -> list[str]:
        return [r[0] for r in self._all("SELECT path FROM roots WHERE collection=? ORDER BY path",
                                        (collection,))]

    # files
    def files(self, collection: str) -> dict[str, FileRecord]:
        rows = self._all(f"SELECT {_FILE_COLUMNS} FROM files WHERE collection=?", (collection,))
        return {r[0]: FileRecord(*r) for r in rows}

    def mark_pending(self, collection: str, path: str) -> None:
        """Before any chunk of `path` is written: the file is no longer counted as indexed."""
        self._tx([("INSERT INTO files (collection, path, status, updated) VALUES (?,?, 'pending', ?) "
                   "ON CONFLICT (collection, path) DO UPDATE SET status='pending', updated=excluded.updated",
                   (collection, path, time.time()))])

    def mark_pending_many(self, collection: str, paths: list[str]) -> None:
        """mark_pending for several files, in one transaction."""
        now = time.time()
        self._tx([("INSERT INTO files (collection, path, status, updated) VALUES (?,?, 'pending', ?) "
                   "ON CONFLICT (collection, path) DO UPDATE SET status='pending', updated=excluded.updated",
                   (collection, path, now)) for path in paths])

    def mark_indexed_many(self, collection: str, files: list[tuple[FileRecord, list[str]]]) -> None:
        """Files whose chunks are all in the store, with their chunk ids, in one transaction."""
        stmts = []
        for rec, chunk_ids in files:
            stmts.append(("DELETE FROM chunks WHERE collection=? AND path=?", (collection, rec.path)))
            stmts += [("INSERT OR REPLACE INTO chunks VALUES (?,?,?)", (collection, rec.path, cid))
                      for cid in chunk_ids]
            stmts.append(self._upsert_file(collection, rec))
        self._tx(stmts)

    def mark_failed(self, collection: str, rec: FileRecord) -> None:
        self._tx([("DELETE FROM chunks WHERE collection=? AND path=?", (collection, rec.path)),
                  self._upsert_file(collection, rec)])

    def mark_duplicate(self, collection: str, rec: FileRecord) -> None:
        """`rec.path` holds the same content as `rec.alias_of`, whose chunks stand for both."""
        self.mark_failed(collection, rec)

    def aliases(self, collection: str) -> dict[str, list[str]]:
        """{indexed file: the other paths holding the same content}, for files that have any."""
        out: dict[str, list[str]] = {}
        for alias, of in self._all("SELECT path, alias_of FROM files WHERE collection=? AND status='duplicate' "
                                   "ORDER BY path", (collection,)):
            out.setdefault(of, []).append(alias)
        return out

    def touch(self, collection: str, path: str, size: int, mtime_ns: int) -> None:
        self._tx([("UPDATE files SET size=?, mtime_ns=? WHERE collection=? AND path=?",
                   (size, mtime_ns, collection, path))])

    def remove_file(self, collection: str, path: str) -> None:
        self._tx([("DELETE FROM chunks WHERE collection=? AND path=?", (collection, path)),
                  ("DELETE FROM files WHERE collection=? AND path=?", (collection, path))])

    @staticmethod
    def _upsert_file(collection: str, r: FileRecord) -> tuple[str, tuple]:
        return (f"INSERT OR REPLACE INTO files (collection, {_FILE_COLUMNS}, updated) VALUES ({'?,' * 13}?)",
                (collection, r.path, r.size, r.mtime_ns, r.sha256, r.status, r.reason, r.pages,
                 r.empty_pages, r.chunks, r.alias_of, r.ocr, r.ocr_pages, time.time()))

    def chunk_ids(self, collection: str) -> set[str]:
        return {r[0] for r in self._all("SELECT id FROM chunks WHERE collection=?", (collection,))}

    def totals(self, collection: str) -> dict[str, int]:
        rows = self._all("SELECT status, COUNT(*), COALESCE(SUM(pages),0), COALESCE(SUM(chunks),0), "
                         "COALESCE(SUM(ocr_pages),0), COALESCE(SUM(empty_pages),0) "
                         "FROM files WHERE collection=? GROUP BY status", (collection,))
        out = {"indexed": 0, "failed": 0, "pending": 0, "duplicate": 0, "pages": 0, "chunks": 0, "ocr_pages": 0,
               "empty_pages": 0}
        for status, n, pages, chunks, ocr_pages, empty_pages in rows:
            out[status] = n
            if status == "indexed":
                out["pages"], out["chunks"] = pages, chunks
                out["ocr_pages"], out["empty_pages"] = ocr_pages, empty_pages
        return out
