"""Real pypdf on generated PDFs, in worker processes: good files, and every kind of bad file."""

from pathlib import Path

import pdfs
import pytest

from assistant.samples import SAMPLES, write_pdf
from indexers.pdf import parse_files


def test_pages_keep_numbers_and_text(samples):
    path = samples / "hu/konyvtar_tortenete.pdf"
    [result] = list(parse_files([str(path)], workers=1))
    assert not result.error
    assert [p.number for p in result.pages] == [1, 2]
    assert "Széchényi Ferenc" in result.pages[0].text
    assert "gyűjteményét" in result.pages[0].text  # Hungarian double acute survives
    assert "őrzik" in result.pages[1].text


def test_bad_files_are_reported_and_the_batch_completes(tmp_path):
    bad = {
        "encrypted.pdf": (pdfs.encrypted, "encrypted"),
        "truncated.pdf": (pdfs.truncated, "broken"),
        "zero.pdf": (pdfs.zero_bytes, "empty file"),
        "renamed.pdf": (pdfs.not_a_pdf, "not a PDF"),
        "scan.pdf": (pdfs.image_only, "image-only"),
        "bomb.pdf": (pdfs.decompression_bomb, "too large"),
        "slow.pdf": (pdfs.slow_to_parse, "timeout"),
    }
    files = {name: make(tmp_path / name) for name, (make, _) in bad.items()}
    good = [write_pdf(tmp_path / f"good{i}.pdf", pages) for i, pages in enumerate(SAMPLES.values())]
    paths = [str(p) for p in files.values()] + [str(p) for p in good]
    results = {Path(r.file).name: r for r in parse_files(paths, workers=2, timeout_s=1.0, max_memory_mb=1024)}
    assert len(results) == len(paths)
    for name, (_, reason) in bad.items():
        assert reason in results[name].error, (name, results[name].error)
        assert not results[name].pages
    for p in good:
        assert not results[p.name].error and results[p.name].pages


def test_memory_cap_stops_a_runaway_parser(tmp_path):
    # with a cap below what inflating the stream needs, the worker fails cleanly instead of the machine
    path = pdfs.decompression_bomb(tmp_path / "bomb.pdf", megabytes=300)
    [result] = list(parse_files([str(path)], workers=1, max_memory_mb=200))
    assert result.error.startswith(("too large", "crashed"))


def test_missing_file(tmp_path):
    [result] = list(parse_files([str(tmp_path / "gone.pdf")], workers=1))
    assert "cannot read file" in result.error


@pytest.mark.parametrize("workers", [1, 3])
def test_many_files_in_parallel(tmp_path, workers):
    paths = [str(write_pdf(tmp_path / f"d{i}.pdf", [f"Document {i} page {j}" for j in range(1, 4)]))
             for i in range(7)]
    results = list(parse_files(paths, workers=workers))
    assert sorted(r.file for r in results) == sorted(paths)
    assert all(len(r.pages) == 3 for r in results)
