"""How responsive the desktop app's window stays while it indexes and while it writes answers.

A 10 ms QTimer ticks on the UI thread; a late tick is time the window could not repaint or react.
Prints one table: the gaps between ticks while idle, while indexing a generated corpus in the background,
and while streaming answers (the model in its own process), on the bundled offline models.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_responsiveness.py [--docs 40 --pages 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS = ["When was the reading room closed, and why?", "Who was elected director of the city archive?",
             "What did the harbour board decide about the accessions?"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--pages", type=int, default=10)
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/workspace.py
    from assistant.samples import write_pdf, write_samples
    from assistant.settings import load_settings
    from benchmarks.workspace import offline_workspace
    from ui.controller import Controller
    from ui.main_window import MainWindow

    work = Path(tempfile.mkdtemp(prefix="assistant-ui-bench-"))
    os.environ.update(offline_workspace(work, max_answer_tokens=160))
    docs = work / "docs"
    write_samples(docs)
    for i in range(args.docs):
        write_pdf(docs / "generated" / f"volume_{i:03d}.pdf",
                  [f"Volume {i}, page {p}: minutes of the harbour board, accession {i * 100 + p}. " * 10
                   for p in range(1, args.pages + 1)])

    app = QApplication.instance() or QApplication([])
    window = MainWindow(Controller(load_settings()))
    window.show()
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)

    def run_until(done, limit_s: float) -> list[float]:
        gaps.clear()
        last[0] = time.perf_counter()
        end = time.monotonic() + limit_s
        while not done() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.001)
        return list(gaps)

    rows = []
    idle_end = time.monotonic() + 3
    rows.append(("idle, 3 s", run_until(lambda: time.monotonic() > idle_end, 5), ""))

    c = window.controller
    t0 = time.perf_counter()
    window.create_collection("bench")  # loads the embedding model (torch and all) on a worker thread
    rows.append(("new collection: embedding model loads", run_until(
        lambda: c.has_collection("bench") and not c._jobs, 600),
        f"{time.perf_counter() - t0:.1f} s"))
    t0 = time.perf_counter()
    finals = []
    c.index_finished.connect(finals.append)
    window.add_paths([str(docs)])
    index_gaps = run_until(lambda: bool(finals), 1800)
    final = finals[0]
    rows.append((f"indexing {final.files_total} files, {final.pages_done} pages", index_gaps,
                 f"{time.perf_counter() - t0:.1f} s"))

    pieces = []
    c.answer_piece.connect(pieces.append)
    answer_gaps, t0 = [], time.perf_counter()
    for q in QUESTIONS:
        done = []
        c.answer_finished.connect(lambda _c, t, done=done: done.append(t))
        window.chat_view.question.setText(q)
        window.chat_view.ask_button.click()
        answer_gaps += run_until(lambda done=done: bool(done), 600)
    rows.append((f"answering {len(QUESTIONS)} questions", answer_gaps,
                 f"{len(pieces)} pieces streamed in {time.perf_counter() - t0:.1f} s"))
    window.close()

    print(f"UI thread responsiveness (10 ms timer; gap = time between ticks), {os.cpu_count()} CPUs")
    print(f"| {'phase':40} | {'ticks':>6} | {'median ms':>9} | {'p99 ms':>7} | {'max ms':>7} | "
          f"{'> 100 ms':>8} | notes")
    print(f"|{'-' * 42}|{'-' * 8}|{'-' * 11}|{'-' * 9}|{'-' * 9}|{'-' * 10}|------")
    for name, g, note in rows:
        g = sorted(g) or [0.0]
        p99 = g[min(len(g) - 1, int(len(g) * 0.99))]
        print(f"| {name:40} | {len(g):6d} | {statistics.median(g):9.1f} | {p99:7.1f} | {g[-1]:7.1f} | "
              f"{sum(1 for x in g if x > 100):8d} | {note}")


if __name__ == "__main__":
    main()
