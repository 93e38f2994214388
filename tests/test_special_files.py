"""Folders hold more than PDFs: named pipes, links to devices, broken links, unreadable files. Only
regular files are read; the rest is listed as skipped with its reason and the batch completes, quickly.
Real pypdf, Chroma and MiniLM through the CLI; the special files are real ones made here."""

import json
import os
import shutil

import pytest
from conftest import run_cli

from indexers.files import discover, file_sha256

ENV = {"ASSISTANT_EMBEDDING_MODEL": "all-MiniLM-L6-v2"}


@pytest.fixture
def odd_folder(samples, tmp_path):
    folder = tmp_path / "odd"
    shutil.copytree(samples / "en", folder)
    os.mkfifo(folder / "fifo.pdf")
    os.symlink("/dev/zero", folder / "zero.pdf")
    os.symlink(folder / "gone.pdf", folder / "broken.pdf")
    return folder


def test_discover_lists_only_regular_files_and_says_why_the_rest_is_skipped(odd_folder):
    found = discover([str(odd_folder)])
    assert [os.path.basename(f) for f in found.files] == ["harbour_archive_report_1923.pdf"]
    why = {os.path.basename(p): r for p, r in found.skipped}
    assert "named pipe" in why["fifo.pdf"] and "device" in why["zero.pdf"] and "/dev/zero" in why["zero.pdf"]
    assert why["broken.pdf"].startswith("broken link")
    with pytest.raises(OSError):  # never blocks on a pipe, even when asked directly
        file_sha256(str(odd_folder / "fifo.pdf"))


def test_index_skips_pipes_devices_and_broken_links_and_completes(odd_folder, data_dir):
    done = run_cli("index", "--json", str(odd_folder), env=ENV, timeout=300)
    assert done.returncode == 0, done.stderr
    files = {os.path.basename(f["path"]): f for f in json.loads(done.stdout)["files"]}
    assert {n for n, f in files.items() if f["status"] == "indexed"} == {
        n for n in os.listdir(odd_folder) if n.endswith(".pdf") and os.path.isfile(odd_folder / n)
        and not os.path.islink(odd_folder / n)}
    assert {n for n, f in files.items() if f["status"] == "skipped"} == {"fifo.pdf", "zero.pdf", "broken.pdf"}
    text = run_cli("index", str(odd_folder), env=ENV, timeout=300)
    assert text.returncode == 0
    assert "skipped 3" in text.stdout and "skipped: " in text.stdout and "named pipe" in text.stdout
    assert text.stdout.strip().splitlines()[-1].startswith("3 of 4 file(s) could not be indexed")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_an_unreadable_file_is_reported(samples, tmp_path, data_dir):
    folder = tmp_path / "locked"
    shutil.copytree(samples / "en", folder)
    locked = folder / sorted(os.listdir(folder))[0]
    locked.chmod(0)
    try:
        done = run_cli("index", "--json", str(folder), env=ENV)
        assert done.returncode == 0
        status = {os.path.basename(f["path"]): f for f in json.loads(done.stdout)["files"]}[locked.name]
        assert status["status"] == "failed" and "ermission" in status["reason"]
    finally:
        locked.chmod(0o644)


def test_a_batch_where_nothing_can_be_read_exits_non_zero(tmp_path, data_dir):
    out = run_cli("index", str(tmp_path / "no" / "such" / "path"), env=ENV)
    assert out.returncode == 1
    assert "no such file or folder" in out.stdout and "nothing was indexed" in out.stderr
    os.mkfifo(tmp_path / "only.pdf")
    assert run_cli("index", "--json", str(tmp_path / "only.pdf"), env=ENV).returncode == 1
