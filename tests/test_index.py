"""Indexing with real pypdf, real ChromaDB and a real sentence-transformers model (MiniLM)."""

import os
import threading
import time

import pdfs
import pytest
from conftest import E5, MINILM

from assistant.engine import build_assistant
from assistant.errors import ConfigError, EmbeddingMismatchError, IndexLockedError
from assistant.indexing import BATCH_FILES
from assistant.samples import write_pdf
from assistant.store import WriterLock


def run(assistant, paths, collection=None, cancel=None):
    last = None
    for last in assistant.index([str(p) for p in paths], collection, cancel=cancel):
        pass
    return last


def by_status(prog):
    out = {}
    for o in prog.outcomes:
        out.setdefault(o.status, []).append(os.path.basename(o.path))
    return {k: sorted(v) for k, v in out.items()}


def store_matches_ledger(assistant, name="default"):
    st = assistant.collection_status(name)
    assert st.missing_in_store == 0 and st.orphans_in_store == 0 and st.pending == 0
    assert st.store_chunks == st.chunks
    # every indexed file has its opening vector and one vector per page that kept a chunk, nothing else
    views = assistant.store(name).views.get(include=["metadatas"])["metadatas"]
    indexed = {p for p, r in assistant.files(name).items() if r.status == "indexed" and r.chunks}
    assert {m["file"] for m in views if m["view"] == "opening"} == indexed
    assert {m["file"] for m in views} == indexed
    return st


def test_index_incremental_change_delete(settings_for, samples):
    a = build_assistant(settings_for())
    first = run(a, [samples])
    assert len(by_status(first)["indexed"]) == 5 and first.finished
    st = store_matches_ledger(a)
    assert (st.documents, st.pages) == (5, 12)

    again = run(a, [samples])
    assert by_status(again) == {"unchanged": sorted(os.listdir(samples / f) [0] for f in os.listdir(samples))}

    # touched but identical: the hash confirms nothing changed
    it = samples / "it/regolamento_sala_lettura.pdf"
    os.utime(it, (time.time() + 5, time.time() + 5))
    assert "regolamento_sala_lettura.pdf" in by_status(run(a, [samples]))["unchanged"]

    # changed: old chunks replaced
    en = samples / "en/harbour_archive_report_1923.pdf"
    write_pdf(en, ["A completely new first page about lighthouses.", "And a second page."])
    changed = run(a, [samples])
    assert by_status(changed)["indexed"] == ["harbour_archive_report_1923.pdf"]
    hits = a.store("default").query(a.embedder().embed_query("reading room closed electric lighting"), 20)
    assert not any("electric lighting" in h.chunk.text for h in hits)
    assert any("lighthouses" in h.chunk.text for h in hits)
    store_matches_ledger(a)

    # deleted: its chunks go
    en.unlink()
    removed = run(a, [samples])
    assert by_status(removed)["removed"] == ["harbour_archive_report_1923.pdf"]
    st = store_matches_ledger(a)
    assert st.documents == 4
    assert all(h.chunk.file != str(en) for h in a.store("default").query(a.embedder().embed_query("x"), 50))

    # no paths: re-scan the collection's folders
    assert by_status(run(a, []))["unchanged"]
    for path in samples.rglob("*.pdf"):  # source files are never modified
        assert path.read_bytes().startswith(b"%PDF-1.4")


def test_bad_files_reported_nothing_partial_stored(settings_for, samples):
    pdfs.encrypted(samples / "secret.pdf")
    pdfs.zero_bytes(samples / "empty.pdf")
    pdfs.not_a_pdf(samples / "notes.pdf")
    pdfs.image_only(samples / "scan.pdf")
    pdfs.truncated(samples / "cut.pdf")
    a = build_assistant(settings_for())
    prog = run(a, [samples])
    status = by_status(prog)
    assert status["failed"] == ["cut.pdf", "empty.pdf", "notes.pdf", "scan.pdf", "secret.pdf"]
    assert len(status["indexed"]) == 5
    files = {os.path.basename(p): r for p, r in a.files("default").items()}
    assert files["secret.pdf"].status == "failed" and "encrypted" in files["secret.pdf"].reason
    assert files["scan.pdf"].chunks == 0
    st = store_matches_ledger(a)
    assert st.failed == 5
    # unchanged failures are not re-parsed
    assert len(by_status(run(a, [samples]))["unchanged"]) == 10


def test_cancel_keeps_finished_files_and_nothing_half_written(settings_for, tmp_path):
    docs = tmp_path / "many"  # more than one batch of files embedded and written together (BATCH_FILES)
    for i in range(BATCH_FILES + 8):
        write_pdf(docs / f"d{i:02}.pdf", [f"Document {i}, page {p}: minutes of meeting {i * 10 + p}."
                                          for p in range(1, 4)])
    a = build_assistant(settings_for(parse_workers=1))
    cancel = threading.Event()
    done = 0
    for prog in a.index([str(docs)], cancel=cancel):
        if prog.current and prog.current.status == "indexed":
            done += 1
            if done == 3:
                cancel.set()
    assert prog.cancelled and 3 <= prog.count("indexed") <= BATCH_FILES
    st = store_matches_ledger(a)
    assert st.documents == prog.count("indexed")
    final = run(a, [docs])
    assert final.count("indexed") + final.count("unchanged") == BATCH_FILES + 8
    assert store_matches_ledger(a).documents == BATCH_FILES + 8


def test_a_second_writer_is_refused_with_the_holder(settings_for, samples, data_dir):
    a = build_assistant(settings_for())
    with WriterLock(data_dir):
        with pytest.raises(IndexLockedError, match=f"pid {os.getpid()}"):
            run(a, [samples])


def test_collection_remembers_its_embedding_model(settings_for, samples):
    run(build_assistant(settings_for()), [samples])
    other = build_assistant(settings_for(embedding_model=E5))
    with pytest.raises(EmbeddingMismatchError, match=MINILM):
        run(other, [samples])
    with pytest.raises(EmbeddingMismatchError, match="--embedding-model"):
        other.ask("When was the reading room closed?")
    run(other, [samples], collection="e5-col")  # another collection is fine
    assert {c.name: c.embed_model for c in other.collections()} == {"default": MINILM, "e5-col": E5}

    # the desktop app's mode: each existing collection is searched with its own model
    app = build_assistant(settings_for(embedding_model=E5), follow_collection_model=True)
    assert run(app, [samples]).count("unchanged") == 5
    answer = app.ask("When was the reading room closed?", k=2)
    assert answer.retrieved and answer.retrieved[0].chunk.page == 2
    assert app._collection_embedder("default").info.name == MINILM
    with pytest.raises(ConfigError, match="'default' already exists"):
        app.create_collection("DEFAULT")  # would share a chat file on case-insensitive file systems


def test_delete_collection_keeps_pdfs(settings_for, samples):
    a = build_assistant(settings_for())
    run(a, [samples], collection="tmp")
    a.delete_collection("tmp")
    assert a.collections() == []
    assert len(list(samples.rglob("*.pdf"))) == 5


def test_a_new_chunk_size_indexes_every_file_again_and_says_so(settings_for, samples):
    old = build_assistant(settings_for(chunk_tokens=256, chunk_overlap_tokens=32))
    first = list(old.index([str(samples)]))[-1]
    assert first.count("indexed") == 5 and not first.notice
    before = old.collection_status("default").chunks
    old.close()
    new = build_assistant(settings_for(chunk_tokens=64, chunk_overlap_tokens=8))
    again = list(new.index([]))[-1]  # a plain re-scan: the files did not change, the chunking did
    assert again.count("indexed") == 5 and "chunked as 256/32 tokens, the settings say 64/8" in again.notice
    st = new.collection_status("default")
    assert st.chunks > before and st.store_chunks == st.chunks and st.orphans_in_store == 0
    assert list(new.index([]))[-1].count("unchanged") == 5  # recorded: the next run skips them


def test_stores_opened_on_several_threads_at_once(tmp_path):
    """The app opens a store for a search while indexing opens its own: Chroma failed ("Could not
    connect to tenant") when two threads made a client for one path at the same moment."""
    from assistant.store import Store

    errors = []

    def open_one(i):
        try:
            Store(tmp_path / "chroma", f"c{i % 2}").count()
        except Exception as e:  # noqa: BLE001 - any failure is the bug
            errors.append(repr(e))

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
