"""A full disk and a read-only data dir while indexing: one clear line, what was indexed before stays
readable, and the next run goes on where it stopped (a small tmpfs as the data dir; real Chroma, SQLite,
pypdf, MiniLM and the CLI). Mounting needs root with CAP_SYS_ADMIN: skipped with the reason elsewhere."""

import random
import shutil
import subprocess
import sys

import pytest
from conftest import MINILM, run_cli

from assistant.samples import write_pdf

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tmpfs mounts are Linux's")


@pytest.fixture
def small_disk(tmp_path, model_registry):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'not root'})")

    def remount(options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(mnt)], check=True)

    data = mnt / "data"
    data.mkdir()
    shutil.copy(model_registry, data / "models.json")
    try:
        yield data, remount, {"ASSISTANT_EMBEDDING_MODEL": MINILM, "ASSISTANT_DATA_DIR": str(data)}
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def one_line_error(out, words):
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert "Traceback" not in out.stderr and words in lines[-1], out.stderr


def test_a_full_disk_stops_indexing_cleanly_and_the_next_run_goes_on(small_disk, samples, tmp_path):
    data, remount, env = small_disk
    assert run_cli("index", str(samples), env=env).returncode == 0
    rng = random.Random(3)
    docs = tmp_path / "more"
    words = ["harbour", "ship", "grain", "council", "minutes", "tax", "road", "school"]
    for i in range(24):
        write_pdf(docs / f"d{i:02}.pdf", [" ".join(f"{rng.choice(words)}{rng.randrange(1000)}" for _ in range(300))
                                          for _ in range(2)])
    full = run_cli("index", str(docs), env=env)
    one_line_error(full, "is full")
    assert "run `assistant index` again" in full.stderr
    # what was indexed before is still there
    found = run_cli("search", "--json", "When was the reading room closed?", env=env)
    assert found.returncode == 0, found.stderr
    assert "harbour_archive_report_1923.pdf" in found.stdout
    remount("size=64m")
    again = run_cli("index", str(docs), env=env)
    assert again.returncode == 0, again.stderr
    status = run_cli("status", env=env)
    assert "collection default: 29 documents" in status.stdout and "store check: ok" in status.stdout, status.stdout


def test_a_read_only_data_dir_is_said_in_one_line(small_disk, samples):
    data, remount, env = small_disk
    assert run_cli("index", str(samples), env=env).returncode == 0
    remount("ro")
    one_line_error(run_cli("index", str(samples), env=env), "cannot be written (read-only")
    one_line_error(run_cli("search", "reading room", env=env), "cannot be written (read-only")
    remount("rw")
    assert run_cli("search", "reading room", env=env).returncode == 0
    assert "unchanged 5" in run_cli("index", str(samples), env=env).stdout
