"""Collections: their names, their state (ledger against store), and create / rename / delete.

The name rule lives here only; the CLI and the desktop app check names through `check_name`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ConfigError
from assistant.indexing import INDEX_FORMAT
from assistant.ledger import CollectionInfo, Ledger
from assistant.store import Store, WriterLock, drop_collection, rename_collection

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def check_name(name: str) -> str:
    """`name` if it can name a collection, else ConfigError saying the rule."""
    if not _NAME.match(name):
        raise ConfigError(f"invalid collection name {name!r}: use letters, digits, '.', '_' or '-' "
                          "(at most 63, starting with a letter or digit)")
    return name


def suggest_name(path: str) -> str:
    """A valid name for a collection made from a folder (or a file's folder)."""
    p = Path(path)
    base = p.name if p.is_dir() else p.parent.name
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-._")
    return (name or "documents")[:63]


def check_new_name(ledger: Ledger, name: str, old: str = "") -> None:
    """Names that differ only in case would share files on macOS and Windows."""
    check_name(name)
    for c in ledger.collections():
        if c.name.casefold() == name.casefold() and c.name != old:
            raise ConfigError(f"a collection named '{c.name}' already exists; pick another name")


def existing(ledger: Ledger, name: str) -> CollectionInfo:
    info = ledger.collection(name)
    if info is None:
        raise ConfigError(f"no collection named '{name}'")
    return info


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
    chunking: str = ""  # "tokens/overlap" its chunks were cut with ("": not recorded, an older index)
    index_format: int = INDEX_FORMAT
    reindex: str = ""  # why `assistant index` should index it again ("": its index is current)


def reindex_reason(ledger: Ledger, name: str, chunking: str) -> str:
    """Why every file of `name` is to be indexed again ("" when its index is current): its index format is
    older than what indexing writes now, or its chunks were cut otherwise than `chunking` ("tokens/overlap")
    says. `assistant index` does it, and says why."""
    info = ledger.collection(name)
    if info is None or not ledger.files(name):
        return ""
    if info.index_format < INDEX_FORMAT:
        return f"'{name}' was indexed before page and document vectors were added to the index"
    if info.chunking != chunking:
        return f"'{name}' was chunked as {info.chunking or '256/32'} tokens, the settings say {chunking}"
    return ""


def reindex_advice(reason: str, name: str) -> str:
    """What a user reads when `name` should be indexed again (search, ask, status, the app)."""
    return (f"{reason}: re-index needed for the best results, `assistant index --collection {name}` "
            "indexes every file again") if reason else ""


def status(ledger: Ledger, store: Store | None, name: str, chunking: str = "") -> CollectionStatus:
    """The ledger's figures, checked against `store` when one is given (None: the ledger alone, cheap
    enough for a list refreshed often); `chunking` ("tokens/overlap", from the settings) to say whether
    it needs indexing again."""
    info = existing(ledger, name)
    totals = ledger.totals(name)
    common = dict(name=name, embed_model=info.embed_model, embed_dim=info.embed_dim, documents=totals["indexed"],
                  failed=totals["failed"], pages=totals["pages"], chunks=totals["chunks"], pending=totals["pending"],
                  chunking=info.chunking, index_format=info.index_format,
                  reindex=reindex_advice(reindex_reason(ledger, name, chunking), name) if chunking else "")
    if store is None:
        return CollectionStatus(**common, store_chunks=totals["chunks"], missing_in_store=0, orphans_in_store=0)
    ledger_ids, store_ids = ledger.chunk_ids(name), store.all_ids()
    return CollectionStatus(**common, store_chunks=len(store_ids), missing_in_store=len(ledger_ids - store_ids),
                            orphans_in_store=len(store_ids - ledger_ids))


def rename(data: Path, ledger: Ledger, old: str, new: str) -> None:
    check_name(new)
    with WriterLock(data):
        existing(ledger, old)
        check_new_name(ledger, new, old)
        rename_collection(data / "chroma", old, new)
        ledger.rename_collection(old, new)


def delete(data: Path, ledger: Ledger, name: str) -> None:
    """The collection's index and record; the PDFs are never touched."""
    with WriterLock(data):
        existing(ledger, name)
        drop_collection(data / "chroma", name)
        ledger.delete_collection(name)
