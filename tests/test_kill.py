"""An `assistant index` process killed with SIGKILL midway; the next run indexes every file exactly once."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from assistant.engine import build_assistant
from assistant.samples import write_pdf

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def indexed_count(db) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as con:
            return con.execute("SELECT COUNT(*) FROM files WHERE status='indexed'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_sigkill_midway_then_resume(settings_for, tmp_path, data_dir):
    docs = tmp_path / "corpus"
    n = 30
    for i in range(n):
        # distinct sentences, so that no passage is a repeat stored once: files are embedded and written
        # in batches of about 128 passages (BATCH_TEXTS), so these 30 files take several batches
        write_pdf(docs / f"doc{i:02}.pdf", [f"Record {i}, page {p}. " + " ".join(
            f"On day {k} the committee met and decided item {i * 1000 + p * 100 + k}." for k in range(40))
                                            for p in range(1, 6)])
    settings = settings_for(parse_workers=2)
    env = {**os.environ, "ASSISTANT_EMBEDDING_MODEL": settings.embedding_model, "ASSISTANT_PARSE_WORKERS": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "index", str(docs)], env=env, cwd=str(ROOT),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    db = str(data_dir / "ledger.sqlite")
    deadline = time.monotonic() + 300
    while indexed_count(db) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = indexed_count(db)
    assert 3 <= killed_at < n, f"kill landed at {killed_at} of {n} files"
    # its parse workers end quietly with it: nothing of theirs in the user's terminal
    os.set_blocking(proc.stderr.fileno(), False)
    time.sleep(3)
    left = (proc.stderr.read() or b"").decode(errors="replace")
    assert "Traceback" not in left and "Error" not in left, left

    rerun = subprocess.run([sys.executable, "-m", "assistant", "index", str(docs)], env=env, cwd=str(ROOT),
                           capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"unchanged {killed_at}," in rerun.stdout, rerun.stdout

    a = build_assistant(settings)
    st = a.collection_status("default")
    assert st.documents == n and st.pending == 0
    assert st.missing_in_store == 0 and st.orphans_in_store == 0 and st.store_chunks == st.chunks
    col = a.store("default").collection
    for path, rec in a.files("default").items():
        stored = col.get(where={"file": path}, include=[])["ids"]
        assert len(stored) == rec.chunks > 0, path  # each file exactly once
