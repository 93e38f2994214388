"""A damaged index is found, refused with the command that mends it, and rebuilt from the PDFs; renames
and deletes killed midway are finished by the next run (real Chroma, pypdf, MiniLM, the CLI)."""

import os
import shutil
import subprocess
import sys

import pytest
from conftest import MINILM, ROOT, run_cli
from test_index import run, store_matches_ledger

from assistant import store_check
from assistant.engine import build_assistant
from assistant.errors import StoreDamagedError
from assistant.samples import write_pdf
from assistant.settings import load_settings
from assistant.store import chroma_name, chroma_views_name

QUESTION = "What was the lighthouse keeper paid?"


def many_chunks(folder, pages=1050):
    """One PDF with enough chunks that Chroma writes its HNSW graph to disk (it keeps up to 1,000 vectors
    in its write-ahead log first)."""
    return write_pdf(folder / "register.pdf", [f"Register page {p}: minutes of meeting {p} about the harbour, "
                                                f"the ships {p * 3} and the cargo of {p * 7} barrels." for p in
                                                range(1, pages + 1)])


def vector_folder(data_dir, name="default", views=False):
    seg = store_check.segments(data_dir / "chroma", [(chroma_views_name if views else chroma_name)(name)])
    assert len(seg) == 1
    return seg[0].folder


def top(a, collection="default"):
    """The best page for QUESTION (the 1,050 register pages are alike, so their order among themselves
    is the approximate search's own), and how many chunks the collection holds."""
    best = a.search(QUESTION, collection=collection, k=5).pages[0]
    return os.path.basename(best.file), best.page, a.collection_status(collection, check=False).chunks


@pytest.fixture(scope="module")
def built(tmp_path_factory, model_registry):
    """One collection indexed once for the module (1,051 chunks take a while); each test gets a copy."""
    root = tmp_path_factory.mktemp("repair")
    docs, data = root / "docs", root / "data"
    many_chunks(docs)
    write_pdf(docs / "letter.pdf", ["A letter about the lighthouse keeper's salary in 1921."])
    data.mkdir()
    shutil.copy(model_registry, data / "models.json")
    a = build_assistant(load_settings({"embedding_model": MINILM, "data_dir": str(data), "parse_workers": 2}))
    run(a, [docs])
    assert store_check.segments(data / "chroma", [chroma_name("default")])[0].records > 1000
    before = top(a)
    assert before == ("letter.pdf", 1, 1051)
    a.close()
    return docs, data, before


@pytest.fixture
def indexed(built, settings_for, data_dir):
    docs, data, before = built
    shutil.copytree(data, data_dir, dirs_exist_ok=True)
    return build_assistant(settings_for()), docs, before


@pytest.mark.parametrize("damage", ["truncate link_lists.bin", "truncate header.bin", "remove the folder"])
def test_damage_is_found_refused_and_rebuilt(indexed, settings_for, data_dir, damage):
    a, docs, before = indexed
    folder = vector_folder(data_dir)
    if damage == "truncate link_lists.bin":
        links = folder / "link_lists.bin"
        os.truncate(links, links.stat().st_size - 50)
    elif damage == "truncate header.bin":
        os.truncate(folder / "header.bin", 40)
    else:
        shutil.rmtree(folder)
    b = build_assistant(settings_for())
    st = b.collection_status("default")
    assert st.damaged, st
    with pytest.raises(StoreDamagedError, match="assistant repair --collection default"):
        b.search(QUESTION)
    with pytest.raises(StoreDamagedError):
        b.ask(QUESTION)
    if damage != "truncate link_lists.bin":
        return  # rebuilt as below
    # a plain `index` of the collection rebuilds it too, and says so
    last = run(b, [])
    assert "was damaged" in last.notice and last.count("indexed") == 2, last
    assert not b.collection_status("default").damaged
    store_matches_ledger(b)
    assert top(b) == before
    assert list((data_dir / "quarantine").rglob("link_lists.bin"))  # the broken files are kept, never deleted


def test_cli_status_and_repair(indexed, data_dir):
    os.truncate(vector_folder(data_dir) / "link_lists.bin", 100)
    env = {"ASSISTANT_EMBEDDING_MODEL": "all-MiniLM-L6-v2", "ASSISTANT_DATA_DIR": str(data_dir)}
    status = run_cli("status", env=env)
    assert status.returncode == 0, status.stderr
    assert "store check: DAMAGED: link_lists.bin" in status.stdout and "assistant repair --collection default" \
        in status.stdout
    search = run_cli("search", QUESTION, env=env)
    assert search.returncode == 2 and search.stderr.count("\n") == 1 and "Traceback" not in search.stderr
    assert "is damaged (link_lists.bin" in search.stderr
    fixed = run_cli("repair", env=env)
    assert fixed.returncode == 0, fixed.stderr
    assert "indexed 2 file(s)" in fixed.stdout and "kept in" in fixed.stdout + fixed.stderr
    again = run_cli("repair", "--collection", "default", env=env)
    assert "nothing to repair" in again.stdout
    assert run_cli("search", QUESTION, env=env).returncode == 0


def test_after_a_killed_writer_the_index_is_probed_in_a_child_process(indexed, settings_for, data_dir):
    a, docs, before = indexed
    # damage no file check sees: the id map is garbage; only opening the index shows it
    (vector_folder(data_dir) / "index_metadata.pickle").write_bytes(b"\x80\x04garbage" * 10)
    assert not store_check.check(data_dir / "chroma", [chroma_name("default")])
    (data_dir / "writer.lock").write_text("pid 999999")  # a writer that never let go
    b = build_assistant(settings_for())
    with pytest.raises(StoreDamagedError, match="failed|not found again|crashed"):
        b.search(QUESTION)
    assert (data_dir / "writer.lock").read_text() == ""  # probed once; the finding is in the journal
    assert build_assistant(settings_for()).collection_status("default").damaged  # rebuilt as the others


def test_a_healthy_index_after_a_killed_writer_is_probed_and_used(indexed, settings_for, data_dir):
    a, docs, before = indexed
    (data_dir / "writer.lock").write_text("pid 999999")
    b = build_assistant(settings_for())
    assert top(b) == before
    assert not b.collection_status("default").damaged


def test_an_interrupted_rebuild_is_refused_then_goes_on(indexed, settings_for, data_dir, tmp_path):
    a, docs, before = indexed
    for i in range(4):
        write_pdf(tmp_path / "extra" / f"extra{i}.pdf", [f"Extra document {i} about customs duties."])
    run(a, [tmp_path / "extra"])
    import threading

    cancel = threading.Event()
    for prog in a.repair("default", rebuild=True, cancel=cancel):
        if prog.current and prog.current.status == "indexed":
            cancel.set()
    assert prog.cancelled and "rebuilt, as asked" in prog.notice
    b = build_assistant(settings_for())
    with pytest.raises(StoreDamagedError, match="interrupted"):
        b.search(QUESTION)
    last = run(b, [])
    assert "goes on" in last.notice and last.count("unchanged") >= 1 and last.count("indexed") >= 1
    assert not b.collection_status("default").damaged
    store_matches_ledger(b)
    assert top(b) == before[:2] + (before[2] + 4,)


KILL_MIDWAY = """
import os, sys
from pathlib import Path
from assistant.ledger import Ledger
from assistant.store import rename_collection, drop_collection
data = Path(sys.argv[1]); action = sys.argv[2]
ledger = Ledger(data / "ledger.sqlite")
if action == "rename":
    ledger.begin("default", "rename", "Pöytäkirjat 1920–1939")
    rename_collection(data / "chroma", "default", "Pöytäkirjat 1920–1939")  # Chroma done, ledger not
else:
    ledger.begin("default", "delete")
    drop_collection(data / "chroma", "default")
os.kill(os.getpid(), 9)
"""


@pytest.mark.parametrize("action", ["rename", "delete"])
def test_a_rename_or_delete_killed_midway_is_finished_by_the_next_run(indexed, settings_for, data_dir, action):
    a, docs, before = indexed
    a.close()
    killed = subprocess.run([sys.executable, "-c", KILL_MIDWAY, str(data_dir), action], cwd=str(ROOT),
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    b = build_assistant(settings_for())
    assert b.notices and f"interrupted {action}" in b.notices[0]
    if action == "rename":
        assert b.collection_names() == ["Pöytäkirjat 1920–1939"]
        assert top(b, "Pöytäkirjat 1920–1939") == before
        store_matches_ledger(b, "Pöytäkirjat 1920–1939")
    else:
        assert b.collection_names() == []
        assert not store_check.segments(data_dir / "chroma", [chroma_name("default")])
    assert docs.joinpath("register.pdf").is_file()


def test_cli_rename(indexed, data_dir):
    env = {"ASSISTANT_EMBEDDING_MODEL": "all-MiniLM-L6-v2", "ASSISTANT_DATA_DIR": str(data_dir)}
    out = run_cli("collection", "rename", "default", "Sjöfartsarkivet", env=env)
    assert out.returncode == 0 and "renamed collection 'default' to 'Sjöfartsarkivet'" in out.stdout, out.stderr
    assert "letter.pdf" in run_cli("search", QUESTION, "-c", "Sjöfartsarkivet", env=env).stdout
