"""The same PDF under several names is indexed once; the other paths are its aliases (real pypdf, Chroma,
MiniLM, and the CLI)."""

import os
import shutil

from conftest import run_cli
from test_index import by_status, run, store_matches_ledger

from assistant.engine import build_assistant
from assistant.samples import write_pdf

REPORT = "en/harbour_archive_report_1923.pdf"


def test_identical_files_are_indexed_once_and_recorded_as_aliases(settings_for, samples):
    original = samples / REPORT
    (samples / "zz").mkdir()
    copies = [samples / "zz/copy of report.pdf", samples / "zz/report again.pdf"]
    for c in copies:
        shutil.copy(original, c)
    a = build_assistant(settings_for())
    first = run(a, [samples])
    assert by_status(first)["duplicate"] == sorted(c.name for c in copies)
    assert len(by_status(first)["indexed"]) == 5
    assert all(str(original) in o.reason for o in first.outcomes if o.status == "duplicate")
    st = store_matches_ledger(a)
    assert (st.documents, st.duplicates) == (5, 2)
    assert a.aliases("default") == {str(original): sorted(str(c) for c in copies)}
    # the copies take no slot among the results
    hits = a.store("default").query(a.embedder().embed_query("harbour archive reading room"), 20)
    assert {h.chunk.file for h in hits} & {str(c) for c in copies} == set()

    assert set(by_status(run(a, [samples]))) == {"unchanged"}

    # the indexed one goes: the first copy is indexed in its place, the other is its alias
    original.unlink()
    moved = by_status(run(a, [samples]))
    assert len(moved.pop("unchanged")) == 4
    assert moved == {"removed": [original.name], "indexed": [copies[0].name], "duplicate": [copies[1].name]}
    assert a.aliases("default") == {str(copies[0]): [str(copies[1])]}
    store_matches_ledger(a)

    # a copy changed: it is a document of its own now
    write_pdf(copies[1], ["A different report about lighthouses and their keepers."])
    changed = by_status(run(a, [samples]))
    assert changed["indexed"] == [copies[1].name] and "duplicate" not in changed
    assert a.aliases("default") == {}
    st = store_matches_ledger(a)
    assert (st.documents, st.duplicates) == (6, 0)


def test_the_copy_of_a_file_that_fails_fails_with_it(settings_for, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.pdf").write_bytes(b"not a pdf at all")
    (docs / "b.pdf").write_bytes(b"not a pdf at all")
    a = build_assistant(settings_for())
    prog = run(a, [docs])
    assert by_status(prog) == {"failed": ["a.pdf", "b.pdf"]}
    b = next(o for o in prog.outcomes if o.path.endswith("b.pdf"))
    assert "same content as" in b.reason and str(docs / "a.pdf") in b.reason


def test_cli_lists_duplicates_in_index_status_and_search(samples, data_dir):
    shutil.copy(samples / REPORT, samples / "en/zz_copy.pdf")
    env = {"ASSISTANT_EMBEDDING_MODEL": "all-MiniLM-L6-v2", "ASSISTANT_DATA_DIR": str(data_dir)}
    idx = run_cli("index", str(samples), env=env)
    assert idx.returncode == 0, idx.stderr
    assert "duplicates 1" in idx.stdout
    assert f"duplicate: {samples / 'en/zz_copy.pdf'}: same content as {samples / REPORT}" in idx.stdout
    status = run_cli("status", env=env)
    assert "5 documents" in status.stdout and "1 duplicate(s) indexed once" in status.stdout, status.stdout
    found = run_cli("search", "--json", "harbour archive report 1923", env=env)
    assert found.returncode == 0, found.stderr
    import json

    files = json.loads(found.stdout)["files"]
    top = next(f for f in files if f["file"] == str(samples / REPORT))
    assert top["also_at"] == [str(samples / "en/zz_copy.pdf")]
    assert all(f["file"] != str(samples / "en/zz_copy.pdf") for f in files)
    assert os.path.exists(samples / "en/zz_copy.pdf")
