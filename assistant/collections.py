"""Collections: their names, their state (ledger against store), and create / rename / delete.

The name rule lives here only; the CLI and the desktop app check names through `check_name`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ConfigError
from assistant.indexing import INDEX_FORMAT
from assistant.ledger import CollectionInfo, Ledger
from assistant.onnx_embedding import CONVERTER
from assistant.store import Store, WriterLock, drop_collection, rename_collection

MAX_NAME = 64
# characters that cannot be in a file name on some system, or that would read as a path
_FORBIDDEN = set('/\\:*?"<>|')


def check_name(name: str) -> str:
    """`name` as a collection is called (trimmed, Unicode NFC), or ConfigError saying the rule. People
    name collections in their own languages: any printable characters but a few, at most 64; the store
    and files use a safe id made from it (`store.chroma_name`, `chats.ChatStore`)."""
    import unicodedata

    clean = unicodedata.normalize("NFC", name.strip()) if isinstance(name, str) else ""
    bad = sorted({c for c in clean if c in _FORBIDDEN or not c.isprintable()})
    if not clean or len(clean) > MAX_NAME or bad or clean[0] in ".-":
        why = ("it is empty" if not clean else f"it is longer than {MAX_NAME} characters" if len(clean) > MAX_NAME
               else f"it holds {' '.join(repr(c) for c in bad)}" if bad else "it starts with '.' or '-'")
        raise ConfigError(f"invalid collection name {name!r}: {why}; any letters, digits, spaces and "
                          f"punctuation but / \\ : * ? \" < > | work (at most {MAX_NAME}, not starting with . or -)")
    return clean


def suggest_name(path: str) -> str:
    """A valid name for a collection made from a folder (or a file's folder)."""
    p = Path(path)
    base = p.name if p.is_dir() else p.parent.name
    name = "".join(c if c.isprintable() and c not in _FORBIDDEN else "-" for c in base).strip().lstrip(".-")
    return (name or "documents")[:MAX_NAME].strip()


def check_new_name(ledger: Ledger, name: str, old: str = "") -> None:
    """Names that differ only in case would share files on macOS and Windows."""
    name = check_name(name)
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
    duplicates: int = 0  # files holding the same content as an indexed one (indexed once, there)
    damaged: str = ""  # what is wrong with its index ("": nothing found); `assistant repair` rebuilds it
    embed_runtime: str = ""  # how its vectors were computed (onnx-int8, onnx-fp32, torch, remote; "": torch)
    ocr: str = ""  # its own OCR mode (auto, off, always); "": the `ocr` setting's
    ocr_pages: int = 0  # pages of indexed files whose text is OCR's
    unread_pages: int = 0  # pages of indexed files without text that OCR did not read


def reindex_reason(ledger: Ledger, name: str, chunking: str, runtime: str = "") -> str:
    """Why every file of `name` is to be indexed again ("" when its index is current): its index format is
    older than what indexing writes now, its chunks were cut otherwise than `chunking` ("tokens/overlap")
    says, or its vectors were computed by another embedding runtime than `runtime` ("torch", "onnx-fp32",
    "onnx-int8"; "": not asked). `assistant index` does it, and says why."""
    info = ledger.collection(name)
    if info is None or not ledger.files(name):
        return ""
    if info.index_format < INDEX_FORMAT:
        return f"'{name}' was indexed before page and document vectors were added to the index"
    if info.chunking != chunking:
        return f"'{name}' was chunked as {info.chunking or '256/32'} tokens, the settings say {chunking}"
    built = info.embed_runtime[:9] if info.embed_runtime.startswith("onnx-") else info.embed_runtime or "torch"
    if runtime and built != "remote" and built != runtime:
        return f"'{name}' was embedded with {_RUNTIMES.get(built, built)}, the settings say {_RUNTIMES.get(runtime, runtime)}"
    if runtime.startswith("onnx") and not info.embed_runtime.endswith(f"-c{CONVERTER}"):
        return f"'{name}' was embedded by an older ONNX conversion of its model"
    return ""


_RUNTIMES = {"torch": "sentence-transformers", "onnx-fp32": "ONNX fp32", "onnx-int8": "ONNX int8"}


def reindex_advice(reason: str, name: str) -> str:
    """What a user reads when `name` should be indexed again (search, ask, status, the app)."""
    return (f"{reason}: re-index needed for the best results, `assistant index --collection {name}` "
            "indexes every file again") if reason else ""


def status(ledger: Ledger, store: Store | None, name: str, chunking: str = "", damaged: str = "",
           runtime: str = "", ocr: str = "") -> CollectionStatus:
    """The ledger's figures, checked against `store` when one is given (None: the ledger alone, cheap
    enough for a list refreshed often); `chunking` ("tokens/overlap", from the settings) to say whether
    it needs indexing again."""
    info = existing(ledger, name)
    totals = ledger.totals(name)
    common = dict(name=name, embed_model=info.embed_model, embed_dim=info.embed_dim, documents=totals["indexed"],
                  failed=totals["failed"], pages=totals["pages"], chunks=totals["chunks"], pending=totals["pending"],
                  chunking=info.chunking, index_format=info.index_format, duplicates=totals["duplicate"],
                  reindex=reindex_advice(reindex_reason(ledger, name, chunking, runtime), name) if chunking else "",
                  damaged=damaged, embed_runtime=info.embed_runtime, ocr=ocr, ocr_pages=totals["ocr_pages"],
                  unread_pages=totals["empty_pages"])
    if store is None:
        return CollectionStatus(**common, store_chunks=totals["chunks"], missing_in_store=0, orphans_in_store=0)
    ledger_ids, store_ids = ledger.chunk_ids(name), store.all_ids()
    return CollectionStatus(**common, store_chunks=len(store_ids), missing_in_store=len(ledger_ids - store_ids),
                            orphans_in_store=len(store_ids - ledger_ids))


def rename(data: Path, ledger: Ledger, old: str, new: str) -> None:
    """`old` is called `new` in Chroma, the chats and the ledger. The change is journalled first, so a run
    killed midway is finished by the next one (`settle`); the ledger, written last, ends it."""
    new = check_name(new)
    with WriterLock(data):
        settle_locked(data, ledger)
        existing(ledger, old)
        check_new_name(ledger, new, old)
        ledger.begin(old, "rename", new)
        _carry_out(data, ledger, old, "rename", new)


def delete(data: Path, ledger: Ledger, name: str) -> None:
    """The collection's index, chats and record; the PDFs are never touched. Journalled as `rename` is."""
    with WriterLock(data):
        settle_locked(data, ledger)
        existing(ledger, name)
        ledger.begin(name, "delete")
        _carry_out(data, ledger, name, "delete", "")


def _carry_out(data: Path, ledger: Ledger, name: str, action: str, arg: str) -> None:
    """Each step can be done again: what a killed run already did is skipped."""
    from assistant.chats import ChatStore

    if action == "rename":
        rename_collection(data / "chroma", name, arg)
        ChatStore(data).rename(name, arg)
        ledger.rename_collection(name, arg)
    elif action == "delete":
        drop_collection(data / "chroma", name)
        ChatStore(data).delete(name)
        ledger.delete_collection(name)


def settle_locked(data: Path, ledger: Ledger) -> list[str]:
    """Finish the renames and deletes a killed run left midway (the caller holds the writer lock);
    what was finished, in words. Repairs are finished by `assistant repair` (they need the models)."""
    done = []
    for name, action, arg in ledger.journal():
        if action in ("rename", "delete"):
            _carry_out(data, ledger, name, action, arg)
            done.append(f"the interrupted {action} of collection '{name}'"
                        + (f" to '{arg}'" if arg else "") + " was finished")
    return done


def settle(data: Path, ledger: Ledger) -> list[str]:
    """`settle_locked` when there is anything to finish and no other process is writing (that one
    finishes it); cheap when there is nothing."""
    from assistant.errors import IndexLockedError

    if not any(action in ("rename", "delete") for _, action, _ in ledger.journal()):
        return []
    try:
        with WriterLock(data):
            return settle_locked(data, ledger)
    except IndexLockedError:
        return []
