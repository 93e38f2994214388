"""Render the desktop app's main states to PNG files, offscreen, on the bundled offline models.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py docs/screenshots

States: the empty app, indexing in progress, an answer with its sources, the PDF viewer on a cited page,
and the settings dialog. Uses a throwaway data dir; needs the `offline` (or `test`) extra installed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

QUESTION = "When was the reading room closed, and why?"


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
    from assistant.samples import write_pdf, write_samples
    from assistant.settings import load_settings
    from benchmarks.workspace import offline_workspace
    from ui.controller import Controller
    from ui.main_window import MainWindow

    work = Path(tempfile.mkdtemp(prefix="assistant-shots-"))
    os.environ.update(offline_workspace(work, max_answer_tokens=80))
    docs = work / "docs"
    write_samples(docs)
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
    window.close()
    print(f"wrote {len(list(out_dir.glob('*.png')))} screenshots to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
