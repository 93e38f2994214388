"""The bad-input matrix: every kind of bad file in one folder next to one good sample, indexed by the real
CLI in one run (real pypdf in worker processes, real Chroma, real MiniLM). The batch completes, each bad
file gets its own line with a reason a user understands, the good files are indexed and searchable, and
nothing hangs. `benchmarks/bad_inputs.py` runs the same matrix with the full 2,000-page file and measures it.
"""

import itertools
import json
import os
import re
import subprocess
import time

import pdfs
import pytest
from conftest import MINILM, ROOT, run_cli

from indexers.chunking import chunk_pages, make_splitter
from indexers.files import discover, file_sha256
from indexers.pdf import parse_files
from indexers.quality import degenerate
from indexers.records import Page

ENV = {"ASSISTANT_EMBEDDING_MODEL": MINILM}
REPORTED = re.compile(r"^  (failed|skipped|note): (.+?): (.*)$")
LISTED = re.compile(r"^(\w+)\s+(\d+) pages\s+(\d+) chunks  (.+?\.pdf)")


@pytest.mark.slow
def test_a_folder_of_bad_inputs_is_indexed_in_one_run_and_every_bad_file_says_why(tmp_path, data_dir):
    folder = tmp_path / "bad inputs"
    cases = pdfs.bad_input_matrix(folder, pages=200)  # the 2,000-page file is the benchmark's
    argv, hook = pdfs.index_argv(str(folder), "--collection", "bad")
    start = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **ENV, **hook},
                          cwd=str(ROOT), timeout=300, check=False)  # a hang fails here
    elapsed = time.monotonic() - start
    out = done.stdout.splitlines()
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert elapsed < 200, f"the batch took {elapsed:.0f} s"

    reported = {}
    for line in out:
        m = REPORTED.match(line)
        if m:
            reported[os.path.basename(m.group(2))] = (m.group(1), m.group(3))
    bad = [c for c in cases if c.expect != "indexed"]
    for case in cases:
        status, reason = reported.get(case.name, ("indexed", ""))
        if case.expect == "indexed":
            assert status == ("note" if case.words else "indexed"), (case.case, status, reason)
        else:
            assert status == case.expect, (case.case, status, reason)
        for word in case.words:
            assert word in reason.lower(), (case.case, word, reason)
    assert len([n for n, (s, _) in reported.items() if s != "note"]) == len(bad)
    assert out[0].startswith(f"indexed {len(cases) - len(bad)} file(s)")
    assert out[-1] == f"{len(bad)} of {len(cases)} file(s) could not be indexed (listed above); the others " \
                      "are indexed"

    listed = run_cli("collection", "files", "bad", env=ENV, timeout=120)
    assert listed.returncode == 0, listed.stderr
    files = {os.path.basename(m.group(4)): (m.group(1), int(m.group(2)), int(m.group(3)))
             for m in map(LISTED.match, listed.stdout.splitlines()) if m}
    for case in cases:
        if case.expect == "indexed":
            status, pages, chunks = files[case.name]
            assert status == "indexed" and pages >= 1, (case.case, files[case.name])
            assert chunks >= 1 or case.words, (case.case, files[case.name])  # none kept: its note says why
    assert files["many_pages.pdf"][1] == 200

    found = run_cli("search", "When was the reading room closed?", "--collection", "bad", "--json", "-k", "3",
                    env=ENV, timeout=180)
    assert found.returncode == 0, found.stderr
    top = json.loads(found.stdout)["pages"][0]  # the long word's 1,041 equal vectors hid every other page
    assert (os.path.basename(top["file"]), top["page"]) == (pdfs.GOOD, 2)


def test_objects_nested_too_deeply_say_so(tmp_path):
    """pypdf turns the RecursionError into 'Error reading PDF file.' (arrays) or reads on without the
    object (dictionaries: which looked like a page without a text layer, 'run OCR first')."""
    paths = [pdfs.deeply_nested(tmp_path / "arrays.pdf", kind="array"),
             pdfs.deeply_nested(tmp_path / "dicts.pdf", kind="dict"),
             pdfs.deeply_nested(tmp_path / "shallow.pdf", depth=20, kind="dict"),
             pdfs.deep_page_tree(tmp_path / "tree.pdf")]
    got = {os.path.basename(r.file): r for r in parse_files([str(p) for p in paths], workers=2)}
    for name in ("arrays.pdf", "dicts.pdf", "tree.pdf"):
        assert "nested too deeply" in got[name].error and "OCR" not in got[name].error, got[name].error
    assert not got["shallow.pdf"].error and "deeply nested" in got["shallow.pdf"].pages[0].text


def test_a_100k_character_word_is_chunked_without_measuring_every_character_again():
    """The splitter measures each single character of text without spaces about three times; with a
    tokenizer that was 300,000 calls (25 s on MiniLM) for one 100,000-character word."""
    import random

    rng = random.Random(1)
    word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(100_000))
    calls = []

    def count(text: str) -> int:
        calls.append(len(text))
        return len(text)

    chunks = chunk_pages([Page("w.pdf", 1, word)], "h", make_splitter(128, 32, count))
    assert all(word[c.char_start:c.char_end] == c.text and len(c.text) <= 128 for c in chunks)
    assert chunks[0].char_start == 0 and chunks[-1].char_end == len(word)
    assert all(b.char_start <= a.char_end for a, b in itertools.pairwise(chunks))  # nothing left out
    assert len(calls) < 5_000, len(calls)


def test_a_file_deleted_between_listing_and_reading_is_reported(tmp_path):
    path = pdfs.many_pages(tmp_path / "soon_gone.pdf", pages=2)
    found = discover([str(tmp_path)])
    assert found.files == (str(path),)
    path.unlink()
    [result] = list(parse_files(found.files, workers=1))
    assert "cannot read file" in result.error and "disappeared during the run" in result.error
    with pytest.raises(OSError):
        file_sha256(str(path))


def test_an_unbroken_word_is_degenerate_but_long_words_and_unspaced_scripts_are_not():
    import random

    rng = random.Random(2)
    assert "unbroken" in degenerate("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(128)))
    assert "unbroken" in degenerate("0x" + "".join(rng.choice("0123456789abcdef") for _ in range(120)))
    german = "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft"  # 79 letters
    assert not degenerate(f"Die {german} betrieb ab 1829 Dampfschiffe auf der Donau.")
    assert not degenerate("".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(300)))  # CJK: no spaces
    assert not degenerate("".join(chr(rng.randrange(0x0E01, 0x0E2F)) for _ in range(300)))  # Thai


@pytest.mark.slow
def test_a_file_of_identical_pages_does_not_hide_the_other_documents(settings_for, samples):
    """500 copies of one form page would give 500 equal vectors; HNSW links them only to each other and
    the query ends among them ('When was the reading room closed?' found no passage of the report at all).
    A file's repeated passage is stored once, and the file's note says so."""
    from assistant.engine import build_assistant
    from assistant.samples import write_pdf

    form = "Form 27B: application for a harbour permit. Name of vessel, owner, tonnage and date of arrival."
    write_pdf(samples / "forms.pdf", [form] * 500)
    a = build_assistant(settings_for())
    try:
        for last in a.index([str(samples)]):
            pass
        forms = next(o for o in last.outcomes if o.path.endswith("forms.pdf"))
        assert forms.chunks == 1 and "499 repeated passage(s) stored once (the same text as p. 1" in forms.reason
        result = a.search("When was the reading room closed?", k=5)
        assert result.pages and result.pages[0].file.endswith("harbour_archive_report_1923.pdf")
    finally:
        a.close()
