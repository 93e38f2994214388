"""Crash soak, after SQLite's crash tests: `assistant index` is killed with SIGKILL at random moments while
its folder changes between runs (files added, changed, deleted); then one complete run, and the index must
be exactly what a clean index of the final folder is: the same files and hashes in the ledger, the same
chunks and vectors in the store, the same results for a fixed set of questions. 20 kills here; more with
CRASH_SOAK_KILLS=N (and CRASH_SOAK_SEED to replay one)."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from conftest import MINILM, ROOT

from assistant.engine import build_assistant
from assistant.samples import write_pdf
from assistant.settings import load_settings

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

TOPICS = ["harbour dues", "lighthouse keepers", "grain prices", "parish registers", "customs duties",
          "reading room hours", "map collection", "council minutes", "school records", "railway plans"]
QUESTIONS = ["What were the harbour dues?", "Who kept the lighthouse?", "How much did grain cost?",
             "When was the reading room open?", "What do the council minutes say about the railway?"]


def write_doc(path, rng, version):
    topic = rng.choice(TOPICS)
    pages = [f"{path.stem} version {version}, page {p}: a report on {topic}. The figure for year "
             f"{1900 + rng.randrange(100)} was {rng.randrange(10_000)}. " + f"Notes on {rng.choice(TOPICS)}. " * 20
             for p in range(1, rng.randrange(2, 5))]
    write_pdf(path, pages)


def mutate(folder, rng, step):
    files = sorted(folder.glob("*.pdf"))
    for _ in range(rng.randrange(2, 6)):
        what = rng.random()
        if what < 0.4 or len(files) < 4:
            write_doc(folder / f"doc{step:03}_{rng.randrange(10**6):06}.pdf", rng, step)
        elif what < 0.75:
            write_doc(rng.choice(files), rng, step)
        else:
            victim = rng.choice(files)
            victim.unlink()
            files.remove(victim)
        files = sorted(folder.glob("*.pdf"))


def ledger_writes(data) -> float:
    import sqlite3

    try:
        with sqlite3.connect(data / "ledger.sqlite", timeout=5) as db:
            return db.execute("SELECT COALESCE(MAX(updated), 0) FROM files").fetchone()[0]
    except sqlite3.Error:
        return 0.0


def snapshot(data):
    """What an index holds, to compare two of them exactly: the ledger, every stored chunk and page or
    opening vector (id, text, metadata, vector), and the exact top 5 chunks for each fixed question. (The
    engine's own search goes through Chroma's approximate HNSW graph, whose answers depend on the order
    vectors were inserted and deleted in; it must answer, and its ranking is checked exactly here.)"""
    import numpy as np

    a = build_assistant(load_settings({"embedding_model": MINILM, "data_dir": str(data)}))
    try:
        st = a.collection_status("default")
        assert not st.damaged and st.pending == 0 and st.missing_in_store == 0 and st.orphans_in_store == 0, st
        files = {p: (r.status, r.sha256, r.chunks) for p, r in a.files("default").items()}
        store = a.store("default")

        def held(col, documents=True):
            got = col.get(include=["embeddings", "metadatas"] + ["documents"] * documents)
            rows = {}
            for i, cid in enumerate(got["ids"]):
                rows[cid] = (got["documents"][i] if documents else None, tuple(sorted(got["metadatas"][i].items())),
                             tuple(np.round(np.asarray(got["embeddings"][i], dtype=np.float64), 5)))
            return rows

        chunks, views = held(store.collection), held(store.views, documents=False)
        ids = sorted(chunks)
        matrix = np.array([chunks[i][2] for i in ids])
        best = []
        for q in QUESTIONS:
            assert a.search(q, k=5).pages  # the engine answers through Chroma
            scores = matrix @ np.asarray(a.embedder().embed_query(q), dtype=np.float64)
            best.append([ids[i] for i in np.argsort(-scores, kind="stable")[:5]])
        return files, chunks, views, best
    finally:
        a.close()


def test_random_kills_of_index_on_a_changing_folder_match_a_clean_index(tmp_path, data_dir, model_registry):
    kills = int(os.environ.get("CRASH_SOAK_KILLS", "20"))
    seed = int(os.environ.get("CRASH_SOAK_SEED", str(random.randrange(10**6))))
    rng = random.Random(seed)
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(8):
        write_doc(docs / f"start{i}.pdf", rng, 0)
    env = {**os.environ, "ASSISTANT_EMBEDDING_MODEL": MINILM, "ASSISTANT_DATA_DIR": str(data_dir),
           "ASSISTANT_PARSE_WORKERS": "2"}
    landed, wrote = [], 0
    for step in range(1, kills + 1):
        mutate(docs, rng, step)
        last_write = ledger_writes(data_dir)
        proc = subprocess.Popen([sys.executable, "-m", "assistant", "index", str(docs)], env=env, cwd=str(ROOT),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # a quarter of the kills land at start-up; the others once the run has begun writing, at a random
        # moment after (while marking a file pending, storing its chunks, or recording it indexed)
        early = rng.random() < 0.25
        # (a run's writing lasts about half a second here: a later kill mostly finds it finished)
        delay = rng.uniform(0.2, 3.0) if early else rng.uniform(0.0, 0.6)
        deadline = time.monotonic() + 120
        while not early and proc.poll() is None and ledger_writes(data_dir) <= last_write \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            proc.wait(delay)
            landed.append("finished")
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            landed.append(f"{'start+' if early else 'write+'}{delay:.1f}s")
            wrote += ledger_writes(data_dir) > last_write  # killed while writing, not before it began
        err = proc.stderr.read().decode(errors="replace")
        assert "Traceback" not in err, f"seed {seed}, step {step}: {err}"
    final = subprocess.run([sys.executable, "-m", "assistant", "index", str(docs)], env=env, cwd=str(ROOT),
                           capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, f"seed {seed}: {final.stderr}"
    assert sum(x != "finished" for x in landed) >= kills // 2, f"seed {seed}: most runs ended before the kill: {landed}"
    assert wrote >= kills // 4, f"seed {seed}: only {wrote} kills landed after the run had written anything"

    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "models.json").write_bytes((data_dir / "models.json").read_bytes())
    fresh = subprocess.run([sys.executable, "-m", "assistant", "index", str(docs)],
                           env={**env, "ASSISTANT_DATA_DIR": str(clean)}, cwd=str(ROOT), capture_output=True,
                           text=True, timeout=600)
    assert fresh.returncode == 0, fresh.stderr
    soaked, expected = snapshot(data_dir), snapshot(clean)
    assert soaked[0] == expected[0], f"seed {seed}: ledgers differ"
    assert soaked[1] == expected[1], f"seed {seed}: stored chunks differ"
    assert soaked[2] == expected[2], f"seed {seed}: stored page and opening vectors differ"
    assert soaked[3] == expected[3], f"seed {seed}: answers differ"
    print(f"crash soak: seed {seed}, {kills} runs, killed at {landed}, {wrote} of them after writing")
