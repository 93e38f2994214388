"""How responsive the desktop app's window stays from its start to the first answer, while it indexes, and
while it writes answers.

A 10 ms QTimer ticks on the UI thread; a late tick is time the window could not repaint or react (its
thread blocked, or kept from Python by another thread). Prints one table: the gaps between ticks from the
window's start until the embedding model has loaded in the background, during the first question, while
idle, while indexing a generated corpus, and while streaming answers (the model in its own process), on the
bundled offline models; then the longest stall (the goal: none over 100 ms). A child process makes the
workspace and indexes the sample PDFs first, so this one starts as the app does, with no model loaded.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_responsiveness.py [--docs 40 --pages 10]
        [--embedding-model all-MiniLM-L6-v2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS = ["When was the reading room closed, and why?", "Who was elected director of the city archive?",
             "What did the harbour board decide about the accessions?"]


def prepare(work: Path, embedding_model: str) -> None:
    """In the child process: a workspace on the bundled models, with the sample PDFs indexed into "bench";
    prints the ASSISTANT_* variables that point at it."""
    from assistant.engine import build_assistant
    from assistant.samples import write_samples
    from assistant.settings import load_settings
    from benchmarks.workspace import offline_workspace

    env = offline_workspace(work, max_answer_tokens=160, collection="bench",
                            **({"embedding_model": embedding_model} if embedding_model else {}))
    os.environ.update(env)
    write_samples(work / "docs")
    engine = build_assistant(load_settings())
    for _ in engine.index([str(work / "docs")], "bench"):
        pass
    engine.close()
    print(json.dumps(env))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--pages", type=int, default=10)
    ap.add_argument("--embedding-model", default="", help="instead of the bundled multilingual-e5-small, e.g. "
                    "all-MiniLM-L6-v2 (a far smaller tokenizer to load)")
    ap.add_argument("--prepare", help=argparse.SUPPRESS)  # the child's part
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/workspace.py
    if args.prepare:
        prepare(Path(args.prepare), args.embedding_model)
        return

    work = Path(tempfile.mkdtemp(prefix="assistant-ui-bench-"))
    child = subprocess.run([sys.executable, __file__, "--prepare", str(work), "--embedding-model",
                            args.embedding_model], capture_output=True, text=True, check=False)
    if child.returncode:
        sys.exit(f"preparing the workspace failed:\n{child.stderr}")
    os.environ.update(json.loads(child.stdout.splitlines()[-1]))
    from assistant.samples import write_pdf

    generated = work / "generated"
    for i in range(args.docs):
        write_pdf(generated / f"volume_{i:03d}.pdf",
                  [f"Volume {i}, page {p}: minutes of the harbour board, accession {i * 100 + p}. " * 10
                   for p in range(1, args.pages + 1)])

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from assistant.settings import load_settings
    from ui.controller import Controller
    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
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

    def ask(question: str) -> tuple[list[float], float | None, float]:
        """Ask in the chat; the gaps until the answer ends, and when its first piece and its end came."""
        t0, first, ended = time.perf_counter(), [], []

        def piece(_text) -> None:
            if not first:
                first.append(time.perf_counter() - t0)

        def finished(_collection, _turn) -> None:
            ended.append(time.perf_counter() - t0)

        c.answer_piece.connect(piece)
        c.answer_finished.connect(finished)
        window.chat_view.question.setText(question)
        window.chat_view.ask_button.click()
        asked = run_until(lambda: bool(ended), 600)
        c.answer_piece.disconnect(piece)
        c.answer_finished.disconnect(finished)
        return asked, first[0] if first else None, ended[0] if ended else float("nan")

    rows = []
    t0 = time.perf_counter()
    window = MainWindow(Controller(load_settings()))
    c = window.controller
    loaded: list[float] = []
    c.warm_finished.connect(lambda: loaded.append(time.perf_counter() - t0))
    window.show()
    built = time.perf_counter() - t0
    start_gaps = run_until(lambda: bool(loaded), 600)
    ready = loaded[0] if loaded else float("nan")
    rows.append(("start, the embedding model loading", start_gaps,
                 f"window built in {built:.1f} s, model loaded {ready:.1f} s after start"))
    first_gaps, first, ended = ask(QUESTIONS[0])
    rows.append(("first question", first_gaps,
                 f"first piece after {first or float('nan'):.1f} s, answer after {ended:.1f} s"))
    start_rows = list(rows)
    idle_end = time.monotonic() + 3
    rows.append(("idle, 3 s", run_until(lambda: time.monotonic() > idle_end, 5), ""))

    t0 = time.perf_counter()
    finals = []
    c.index_finished.connect(finals.append)
    window.add_paths([str(generated)])
    index_gaps = run_until(lambda: bool(finals), 1800)
    final = finals[0]
    rows.append((f"indexing {final.files_total} files, {final.pages_done} pages", index_gaps,
                 f"{time.perf_counter() - t0:.1f} s"))

    answer_gaps, t0 = [], time.perf_counter()
    for q in QUESTIONS:
        answer_gaps += ask(q)[0]
    rows.append((f"answering {len(QUESTIONS)} questions", answer_gaps, f"{time.perf_counter() - t0:.1f} s"))
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
    for label, chosen in (("from the start to the first answer", start_rows), ("in all", rows)):
        name, worst = max(((name, max(g, default=0.0)) for name, g, _ in chosen), key=lambda r: r[1])
        print(f"longest UI-thread stall {label}: {worst:.0f} ms ({name}); goal: none over 100 ms")


if __name__ == "__main__":
    main()
