"""Render the desktop app's main states to PNG files, offscreen, on the bundled offline models.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py docs/screenshots

States: the empty app, indexing in progress, an answer with its sources, the PDF viewer on a cited page,
the settings dialog, the Search tab with ranked pages, Check quality with its report, and the banner of a
damaged index over the Documents tab with a duplicate file (damaged-index.png). Uses a throwaway
data dir; needs the `offline` (or `test`) extra installed.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

QUESTION = "When was the reading room closed, and why?"
SEARCH = "Who was elected director of the city archive?"
QUALITY = [  # questions with their known answer (file, page), and one that no document answers
    {"question": SEARCH, "file": "kaupunginarkisto_poytakirja_1921.pdf", "page": 2},
    {"question": QUESTION, "file": "harbour_archive_report_1923.pdf", "page": 2},
    {"question": "How much will digitising the newspaper collection cost?",
     "file": "biblioteksstyrelsen_protokoll_1998.pdf", "page": 2},
    {"question": "Who founded the national library of Hungary?", "file": "konyvtar_tortenete.pdf", "page": 1},
    {"question": "Which team won the ice hockey world championship in 1995?", "file": None, "page": None},
]


SCAN_SEARCH = "Who catalogued the photographs donated to the city archive in 1931?"


def wait(app, seconds: float, until=None) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if until is not None and until():
            return True
        time.sleep(0.02)
    return until is None


def main(out: str) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    from PySide6.QtWidgets import QApplication

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/workspace.py
    from assistant.samples import write_pdf, write_samples, write_scanned_sample
    from assistant.settings import load_settings
    from benchmarks.workspace import offline_workspace
    from ui.controller import Controller
    from ui.main_window import MainWindow

    work = Path(tempfile.mkdtemp(prefix="assistant-shots-"))
    os.environ.update(offline_workspace(work, max_answer_tokens=200))
    docs = work / "docs"
    write_samples(docs)
    write_scanned_sample(docs)  # read by OCR (Tesseract)
    for i in range(24):  # enough pages that indexing is visibly in progress
        write_pdf(docs / "extra" / f"ledger_{i:02d}.pdf",
                  [f"Ledger volume {i}, page {p}. Accessions of the harbour archive, year {1900 + i}. " * 8
                   for p in range(1, 9)])

    app = QApplication.instance() or QApplication([])
    window = MainWindow(Controller(load_settings()))
    window.resize(1400, 860)
    window.show()
    wait(app, 0.5)
    window.grab().save(str(out_dir / "1-empty.png"))

    c = window.controller
    window.create_collection("harbour-archive", [str(docs)])
    seen = []
    c.index_progress.connect(lambda p: seen.append(p))
    assert wait(app, 180, lambda: any(p.files_done >= 4 and not p.finished for p in seen)), "no progress"
    window.grab().save(str(out_dir / "2-indexing.png"))
    assert wait(app, 600, lambda: c.indexing is None and window.collection == "harbour-archive"), "indexing"
    wait(app, 0.3)

    window.chat_view.question.setText(QUESTION)
    window.chat_view.ask_button.click()
    assert wait(app, 300, lambda: c.asking is None and window.current_chat().turns), "answer"
    wait(app, 0.3)
    window.grab().save(str(out_dir / "3-answer.png"))

    window.open_source(len(window.current_chat().turns) - 1, 1)
    wait(app, 1.5)
    window.grab().save(str(out_dir / "4-evidence.png"))

    window.open_settings()
    wait(app, 0.5)
    window.settings_dialog.grab().save(str(out_dir / "5-settings.png"))
    window.settings_dialog.reject()

    window.focus_search()
    window.search_view.query.setText(SEARCH)
    searched = []
    c.search_finished.connect(searched.append)
    window.search_view.search_button.click()
    assert wait(app, 300, lambda: bool(searched)), "search"
    results = window.search_view.results
    results.itemActivated.emit(results.topLevelItem(0), 0)  # as Enter or a double-click on it does
    wait(app, 1.5)
    window.grab().save(str(out_dir / "6-search.png"))

    window.search_view.query.setText(SCAN_SEARCH)  # answered by the scanned letter: highlighted over the scan
    window.search_view.search_button.click()
    assert wait(app, 300, lambda: len(searched) == 2), "search of the scan"
    results.itemActivated.emit(results.topLevelItem(0), 0)
    wait(app, 1.5)
    window.grab().save(str(out_dir / "8-scan.png"))

    questions = work / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in QUALITY), encoding="utf-8")
    window.check_quality()
    dialog = window.quality_dialog
    dialog.path.setText(str(questions))
    dialog.run()
    assert wait(app, 300, lambda: c.evaluating is None), "quality check"
    wait(app, 0.5)
    dialog.grab().save(str(out_dir / "7-quality.png"))
    dialog.accept()

    # a copy of a report, indexed once; then the damage the engine's store check records after a killed writer
    shutil.copy(docs / "en/harbour_archive_report_1923.pdf", docs / "en/zz copy of the annual report.pdf")
    c.index("harbour-archive")
    assert wait(app, 300, lambda: c.indexing is None), "re-index"
    c.engine._ledger.begin("harbour-archive", "damaged", "link_lists.bin is truncated (18240 bytes, 20480 needed)")
    window.set_collection("harbour-archive")
    assert wait(app, 60, window.damage_bar.isVisible), "damage banner"
    window.viewer.hide()
    window.tabs.setCurrentWidget(window.documents)
    wait(app, 0.5)
    window.grab().save(str(out_dir / "damaged-index.png"))
    window.close()
    print(f"wrote {len(list(out_dir.glob('*.png')))} screenshots to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
