"""A damaged collection is found, its broken files moved aside, and it is rebuilt from the PDFs.

Found: by the file checks of `store_check` (every read and write), and after a writer was killed by
querying every collection in a child process. A damaged collection is written in the ledger's journal
("damaged", with what is wrong), so every reader refuses it with the one command that mends it, instead of
a raw Chroma error or quietly different passages. Rebuilt by the next `assistant index` or `assistant
repair` of it: the broken segment folders go to `quarantine/` in the data dir (never deleted), the
Chroma collections and the ledger's file records are dropped in that order, and the journal says
"rebuilding" until a complete run of the collection's folders ends it. A rebuild killed midway goes on
where it stopped, as any indexing run does.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from assistant import store_check
from assistant.ledger import Ledger
from assistant.store import chroma_name, chroma_views_name, drop_collection

DAMAGED, REBUILDING = "damaged", "rebuilding"
ASKED = "a rebuild was asked for"  # the reason of a rebuild a user asked for (`assistant repair --rebuild`)


def _names(collection: str) -> list[str]:
    return [chroma_name(collection), chroma_views_name(collection)]


def advice(name: str, problem: str) -> str:
    return (f"the index of collection '{name}' is damaged ({problem}): run `assistant repair --collection "
            f"{name}` to rebuild it from your PDFs (the broken files are kept aside)")


def journalled(ledger: Ledger, name: str) -> tuple[str, str] | None:
    """(state, what is wrong) when `name` is known damaged or is being rebuilt."""
    for collection, action, arg in ledger.journal():
        if collection == name and action in (DAMAGED, REBUILDING):
            return action, arg
    return None


def problem(data: Path, ledger: Ledger, name: str) -> str:
    """Why `name` cannot be read as it is ("" when it can): journalled, or found by the file checks."""
    known = journalled(ledger, name)
    if known:
        state, why = known
        return why if state == DAMAGED else f"a rebuild after '{why}' was interrupted and is not finished"
    return store_check.check(data / "chroma", _names(name))


def probe_all(data: Path, ledger: Ledger, names: list[str]) -> dict[str, str]:
    """After a writer was killed (the caller holds the writer lock): each collection is opened and queried
    in a child process; the damaged ones are journalled. {name: what is wrong}."""
    found = {}
    for name in names:
        if journalled(ledger, name):
            continue
        written = [s for s in store_check.segments(data / "chroma", _names(name)) if (s.folder / "header.bin").exists()]
        if not written and not store_check.check(data / "chroma", _names(name)):
            continue  # its vectors are all in Chroma's SQLite write-ahead log, which a kill cannot tear
        why = store_check.check(data / "chroma", _names(name)) or store_check.probe(data / "chroma", _names(name))
        if why:
            ledger.begin(name, DAMAGED, why)
            found[name] = why
    return found


def begin(data: Path, ledger: Ledger, name: str, why: str) -> str:
    """Start (or go on with) rebuilding `name` (the caller holds the writer lock): what the run's notice
    says. Its broken vector folders are moved to quarantine/, never deleted."""
    known = journalled(ledger, name)
    if known and known[0] == REBUILDING:
        return f"the rebuild of '{name}' after '{known[1]}' goes on: the files not yet indexed again are indexed"
    ledger.begin(name, DAMAGED, why)
    kept = _quarantine(data, name)
    drop_collection(data / "chroma", name)
    ledger.forget_files(name)
    ledger.begin(name, REBUILDING, why)
    if why == ASKED:
        where = f"; its earlier vector files are kept in {kept}" if kept else ""
        return f"'{name}' is rebuilt, as asked: every file is indexed again from the PDFs{where}"
    where = f"; the damaged files are kept in {kept}" if kept else ""
    return f"the index of '{name}' was damaged ({why}): every file is indexed again from the PDFs{where}"


def end(ledger: Ledger, name: str) -> None:
    """After a complete run of `name`: its rebuild, if any, is done."""
    if journalled(ledger, name):
        ledger.end(name)


def _quarantine(data: Path, name: str) -> Path | None:
    segments = [s for s in store_check.segments(data / "chroma", _names(name)) if s.folder.is_dir()]
    if not segments:
        return None
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:40]
    target = data / "quarantine" / f"{time.strftime('%Y%m%d-%H%M%S')}-{safe}"
    target.mkdir(parents=True, exist_ok=True)
    for s in segments:
        shutil.move(str(s.folder), str(target / f"{s.collection}-{s.folder.name}"))
    return target
