"""A long PDF's progress keeps moving while it is embedded, and a cancel stops it within a slice, leaving
the file for the next run (real pypdf, ONNX Runtime, Chroma)."""

from __future__ import annotations

import threading

from pdfs import many_pages

from assistant.engine import build_assistant
from assistant.indexing import EMBED_SLICE


def test_a_long_file_reports_its_passages_as_they_are_embedded(settings_for, tmp_path):
    folder = tmp_path / "long"
    folder.mkdir()
    many_pages(folder / "ledger.pdf", 300)
    assistant = build_assistant(settings_for())
    events = list(assistant.index([str(folder)], "long"))
    slices = [e.embedding for e in events if e.embedding[2]]
    assert len(slices) >= 300 // EMBED_SLICE  # one event per slice of passages, while the file is embedded
    done = [d for _, d, _ in slices]
    assert done == sorted(done) and slices[-1][1] == slices[-1][2]
    assert all(path.endswith("ledger.pdf") for path, _, _ in slices)
    assert events[-1].finished and events[-1].count("indexed") == 1 and events[-1].embedding == ("", 0, 0)
    assistant.close()


def test_a_cancel_stops_a_long_file_within_a_slice(settings_for, tmp_path):
    folder = tmp_path / "long"
    folder.mkdir()
    many_pages(folder / "ledger.pdf", 300)
    assistant = build_assistant(settings_for())
    cancel = threading.Event()
    events = []
    for e in assistant.index([str(folder)], "long", cancel=cancel):
        events.append(e)
        if e.embedding[2]:
            cancel.set()  # after the first slice
    assert events[-1].cancelled and events[-1].count("indexed") == 0
    assert sum(1 for e in events if e.embedding[2]) == 1  # no slice after the cancel
    assert assistant.collection_status("long").chunks == 0  # nothing of the file was stored
    again = list(assistant.index([str(folder)], "long"))
    assert again[-1].count("indexed") == 1 and assistant.collection_status("long").chunks > EMBED_SLICE
    assistant.close()
