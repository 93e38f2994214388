"""Chunks + vectors -> a ChromaDB collection (embedded PersistentClient), and the single-writer lock.

We always pass our own vectors (Chroma's default embedder would download a model) and turn telemetry off.
The ledger (assistant/ledger.py) is the record of what is indexed; this collection is an index that can be
checked against it.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.errors import IndexLockedError
from assistant.types import Chunk, Hit

_CHROMA_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,61}[a-zA-Z0-9]$")


def _chroma_safe(prefix: str, collection: str) -> str:
    """`prefix-collection` where Chroma accepts it (3-63 characters of [A-Za-z0-9._-], alphanumeric at both
    ends, no ".."), else `prefix-h` + a hash of the name (a long name, or one ending in '-')."""
    name = f"{prefix}-{collection}"
    if _CHROMA_NAME.match(name) and ".." not in name:
        return name
    return f"{prefix}-h{hashlib.sha256(collection.encode('utf-8')).hexdigest()[:32]}"


def chroma_name(collection: str) -> str:
    return _chroma_safe("col", collection)


def chroma_views_name(collection: str) -> str:
    """Where a collection's page and document-opening vectors live (index format 2)."""
    return _chroma_safe("views", collection)


def page_id(file: str, page: int) -> str:
    return f"p{page}:{file}"


def opening_id(file: str) -> str:
    return f"o:{file}"


_CLIENT_LOCK = threading.Lock()


def chroma_client(path: Path):
    """The one place a Chroma client is made: embedded, persistent, telemetry off. One at a time: two
    threads making a client for the same path at once fail in Chroma ("Could not connect to tenant")."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    with _CLIENT_LOCK:
        try:
            path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(path),
                                             settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False))
        except Exception as e:
            raise _storage_error(e, path.parent) from None


def _storage_error(e: Exception, data: Path) -> Exception:
    """`e` as the user's message when a full disk or a read-only data dir caused it, else `e` itself."""
    from assistant import storage
    from assistant.errors import StorageError

    why = storage.problem(e, data)
    return StorageError(why) if why else e


_TENANT, _DATABASE = "default_tenant", "default_database"
_READERS: dict[str, object] = {}


def _reader_bindings(path: Path):
    """Chroma's own engine (its Rust bindings) opened on `path` without its Python client, whose imports
    take 1.5 s of a cold `assistant search`. The same files, read by the same code the client calls;
    `tests/test_store_reader.py` checks that both answer alike. None when this Chroma has no such
    bindings (another version): the client is used then."""
    key = str(path)
    with _CLIENT_LOCK:
        if key in _READERS:
            return _READERS[key]
        if not (path / "chroma.sqlite3").is_file():
            return None  # nothing stored yet: the client creates it
        try:
            import chromadb_rust_bindings as rb

            try:
                import resource

                handles = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            except ImportError:  # pragma: no cover - Windows
                handles = 512
            config = rb.SqliteDBConfig(hash_type=rb.MigrationHash.MD5, migration_mode=rb.MigrationMode.Apply,
                                       url=str(path / "chroma.sqlite3"))
            bindings = rb.Bindings(allow_reset=False, sqlite_db_config=config, persist_path=str(path),
                                   hnsw_cache_size=max(16, handles // 5))
            bindings.list_collections(None, 0, _TENANT, _DATABASE)
        except Exception:
            bindings = None
        _READERS[key] = bindings
        return bindings


class _ReadCollection:
    """The part of a Chroma collection that searching uses (count, query, get), on the bindings."""

    def __init__(self, bindings, name: str):
        self.b = bindings
        found = [c for c in bindings.list_collections(None, 0, _TENANT, _DATABASE) if c.name == name]
        self.id = str(found[0].id) if found else None

    def count(self) -> int:
        return int(self.b.count(self.id, _TENANT, _DATABASE)) if self.id else 0

    def query(self, query_embeddings, n_results: int, include: list[str]) -> dict:
        vectors = [np.asarray(v, dtype=np.float32).tolist() for v in query_embeddings]
        r = self.b.query(self.id, None, vectors, n_results, None, None, list(include), _TENANT, _DATABASE)
        return {"ids": r.ids, "documents": r.documents, "metadatas": r.metadatas, "distances": r.distances}

    def get(self, ids=None, where=None, limit=None, offset=None, include=("metadatas", "documents")) -> dict:
        if self.id is None:
            return {"ids": [], "documents": [], "metadatas": [], "embeddings": []}
        import json

        r = self.b.get(self.id, list(ids) if ids is not None else None, json.dumps(where) if where else None,
                       limit, offset or 0, None, list(include), _TENANT, _DATABASE)
        return {"ids": r.ids, "documents": r.documents, "metadatas": r.metadatas, "embeddings": r.embeddings}


# Candidates Chroma's HNSW search keeps (ef_search). Its default, 100, missed the nearest passage of a
# 397-vector collection with 24 near-identical filler documents (cosine 0.827, next 0.774: not in the first
# 100 results, found at n_results=300); 200 found it. Costs a few milliseconds per question.
SEARCH_EF = 256


class Store:
    """One collection's vectors: its chunks (upsert/query/delete; ids are the chunk ids), and beside them
    one vector per page and one per document opening ("views"), looked up by id to rerank chunks.

    `reader`: for a process that only searches (the CLI's search, ask and eval), Chroma's engine without
    its Python client (`_reader_bindings`); never in a process that also writes to the same data dir,
    whose client keeps caches of its own."""

    def __init__(self, path: Path, collection: str, reader: bool = False):
        bindings = _reader_bindings(path) if reader else None
        if bindings is not None:
            self.client = None
            self.collection = _ReadCollection(bindings, chroma_name(collection))
            self.views = _ReadCollection(bindings, chroma_views_name(collection))
            return
        self.client = chroma_client(path)
        self.collection = self._searching_wide(self.client.get_or_create_collection(
            chroma_name(collection), embedding_function=None, metadata={"hnsw:space": "cosine"}))
        self.views = self._searching_wide(self.client.get_or_create_collection(
            chroma_views_name(collection), embedding_function=None, metadata={"hnsw:space": "cosine"}))

    def _searching_wide(self, col):
        """`col` searched with SEARCH_EF candidates (set once, kept in Chroma's own records, so search-only
        processes reading it through the engine use it too)."""
        try:
            ef = ((col.configuration_json or {}).get("hnsw") or {}).get("ef_search", SEARCH_EF)
            if ef < SEARCH_EF:
                col.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
                return self.client.get_collection(col.name, embedding_function=None)
        except Exception:  # an older Chroma or a server that does not take it: its default stands
            pass
        return col

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, batch: int = 1000) -> None:
        for i in range(0, len(chunks), batch):
            part = chunks[i:i + batch]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=np.asarray(vectors[i:i + batch], dtype=np.float32),
                documents=[c.text for c in part],
                metadatas=[{"file": c.file, "page": c.page, "char_start": c.char_start,
                            "char_end": c.char_end} for c in part])

    def upsert_views_many(self, views: Sequence[tuple[str, Sequence[int], np.ndarray, np.ndarray | None]]) -> None:
        """Files' page vectors (one per page in `pages`) and their openings' vectors: (file, pages, page
        vectors, opening vector or None) each, written together."""
        ids, metas, vectors = [], [], []
        for file, pages, page_vectors, opening_vector in views:
            ids += [page_id(file, p) for p in pages]
            metas += [{"file": file, "page": int(p), "view": "page"} for p in pages]
            vectors += [np.asarray(v, dtype=np.float32) for v in page_vectors]
            if opening_vector is not None:
                ids.append(opening_id(file))
                metas.append({"file": file, "page": 0, "view": "opening"})
                vectors.append(np.asarray(opening_vector, dtype=np.float32))
        for i in range(0, len(ids), 1000):
            self.views.upsert(ids=ids[i:i + 1000], embeddings=np.stack(vectors[i:i + 1000]),
                              metadatas=metas[i:i + 1000])

    def view_scores(self, vector: np.ndarray, pages: Sequence[tuple[str, int]]) -> tuple[dict, dict]:
        """Cosine of `vector` with each of these (file, page)s' page vectors and with their files' openings:
        ({(file, page): score}, {file: score}); what is not stored is left out."""
        files = sorted({f for f, _ in pages})
        ids = [page_id(f, p) for f, p in dict.fromkeys(pages)] + [opening_id(f) for f in files]
        if not ids:
            return {}, {}
        got = self.views.get(ids=ids, include=["embeddings", "metadatas"])
        if not got["ids"]:
            return {}, {}
        scores = np.asarray(got["embeddings"], dtype=np.float32) @ np.asarray(vector, dtype=np.float32)
        by_page, by_file = {}, {}
        for meta, score in zip(got["metadatas"], scores.tolist()):
            if meta["view"] == "page":
                by_page[(meta["file"], int(meta["page"]))] = score
            else:
                by_file[meta["file"]] = score
        return by_page, by_file

    def delete_file(self, file: str) -> None:
        self.collection.delete(where={"file": file})
        self.views.delete(where={"file": file})

    def query(self, vector: np.ndarray, k: int) -> list[Hit]:
        if self.count() == 0:
            return []
        res = self.collection.query(query_embeddings=[np.asarray(vector, dtype=np.float32)],
                                    n_results=k, include=["documents", "metadatas", "distances"])
        hits = []
        for cid, text, meta, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0],
                                         res["distances"][0]):
            chunk = Chunk(id=cid, file=meta["file"], page=int(meta["page"]),
                          char_start=int(meta["char_start"]), char_end=int(meta["char_end"]), text=text)
            hits.append(Hit(chunk=chunk, score=round(1.0 - float(dist), 4)))
        return hits

    def chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """The stored chunks with these ids (in the store's order)."""
        got = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        return [Chunk(id=cid, file=m["file"], page=int(m["page"]), char_start=int(m["char_start"]),
                      char_end=int(m["char_end"]), text=t)
                for cid, t, m in zip(got["ids"], got["documents"], got["metadatas"])]

    def sample_text(self, file: str, limit: int = 4) -> str:
        """Some of `file`'s stored text (a few chunks), e.g. to tell its language."""
        got = self.collection.get(where={"file": file}, limit=limit, include=["documents"])
        return "\n".join(got["documents"] or [])

    def count(self) -> int:
        return self.collection.count()

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset, step = 0, 5000
        while True:
            got = self.collection.get(include=[], limit=step, offset=offset)["ids"]
            ids.update(got)
            if len(got) < step:
                return ids
            offset += step


def drop_collection(path: Path, collection: str) -> None:
    client = chroma_client(path)
    for name in (chroma_name(collection), chroma_views_name(collection)):
        try:
            client.delete_collection(name)
        except Exception:
            pass


def rename_collection(path: Path, old: str, new: str) -> None:
    client = chroma_client(path)
    for name in (chroma_name, chroma_views_name):
        try:
            collection = client.get_collection(name(old))
        except Exception:
            continue  # nothing stored yet
        collection.modify(name=name(new))


class WriterLock:
    """An OS file lock: one process at a time writes to a data dir (embedded Chroma is not process-safe)."""

    def __init__(self, data_dir: Path):
        self.path = data_dir / "writer.lock"
        self.fh = None
        self.after_kill = ""  # the last holder's "pid N" when it never let go (killed or crashed)

    def __enter__(self) -> "WriterLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(self.path, "a+")
        except OSError as e:
            raise _storage_error(e, self.path.parent) from None
        try:
            _lock(fh)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise IndexLockedError(
                f"another assistant process ({holder}) is writing to {self.path.parent}; wait for it to "
                "finish or stop it, then run again") from None
        fh.seek(0)
        self.after_kill = fh.read().strip()
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        self.fh = fh
        return self

    def __exit__(self, *exc) -> None:
        if self.fh:
            self.fh.seek(0)
            self.fh.truncate()
            _unlock(self.fh)
            self.fh.close()
            self.fh = None


def writer_killed(data_dir: Path) -> bool:
    """Whether the last writer of `data_dir` never let go of its lock (killed, or crashed) and no process
    writes now: its index may be half-written."""
    path = data_dir / "writer.lock"
    try:
        if not path.read_text().strip():
            return False
        with open(path, "a+") as fh:
            _lock(fh)
            _unlock(fh)
        return True
    except OSError:
        return False


def _lock(fh) -> None:
    try:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)


def _unlock(fh) -> None:
    try:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    except ImportError:  # pragma: no cover
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
