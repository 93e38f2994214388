"""The fast local embedder: a sentence-transformers model converted once to ONNX and run by ONNX Runtime.

Loading it needs neither torch nor sentence-transformers (about a second, against 10 s or more), and on a
CPU it embeds about 1.8x as fast (benchmarks/README.md). The conversion (`assistant/onnx_export.py`, in a
child process, about a minute for multilingual-e5-small) runs once per model, at `assistant models add`
or on first use, and is cached in the data dir's models/onnx/ folder, keyed by the model files' sizes and
times. A model that cannot be converted, or whose converted vectors are not within cosine 0.99 of the
original's, is embedded with sentence-transformers instead; the reason is kept, so it is not tried again
until the model changes.

The runtime is part of a collection's identity ("onnx-int8", "onnx-fp32", "torch"): passages and queries
are embedded the same way, and a collection built another way is searched as it was built, with a notice
that `assistant index` re-embeds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import numpy as np

from assistant.embedding import Embedder, EmbeddingModelInfo

CONVERTER = 5  # bump when the conversion changes the vectors: converted models are made again
_SOURCE_FILES = ("config.json", "modules.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json",
                 "sentence_bert_config.json", "1_Pooling/config.json")


def fingerprint(model_dir: str) -> str:
    """What a conversion was made from: the folder and its files' sizes and times."""
    root = Path(model_dir).resolve()
    h = hashlib.sha256(str(root).encode())
    for name in _SOURCE_FILES:
        try:
            st = (root / name).stat()
        except OSError:
            continue
        h.update(f"{name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]


def cache_dir(models_dir: Path, name: str, model_dir: str, precision: str = "fp32") -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")[-60:] or "model"
    return models_dir / "onnx" / f"{slug}-{fingerprint(model_dir)}-{precision}"


def read_manifest(folder: Path) -> dict | None:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = manifest.get("converter") == CONVERTER and (folder / "model.onnx").is_file() \
        and (folder / "model.onnx.data").is_file() and (folder / "tokenizer.json").is_file()
    return manifest if ok else None


def valid(folder: Path, model_dir: str, precision: str = "fp32") -> bool:
    """`folder` holds a current conversion of the model at `model_dir`, made for `precision`."""
    manifest = read_manifest(folder)
    return bool(manifest) and manifest.get("source") == fingerprint(model_dir) and \
        manifest.get("precision", "int8") == precision


def _failure_file(folder: Path) -> Path:
    return folder.with_name(folder.name + ".failed.json")


def failure(folder: Path) -> str:
    """Why converting the model for `folder` failed before ("" when it did not, or was never tried)."""
    try:
        data = json.loads(_failure_file(folder).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return data.get("reason", "") if data.get("converter") == CONVERTER else ""


def convert(model_dir: str, folder: Path, precision: str = "fp32", timeout_s: float = 3600) -> tuple[dict | None, str]:
    """Convert in a child process: (manifest, "") or (None, why). A failure is recorded beside `folder`."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f"{folder.name}.partial-{os.getpid()}")
    log = folder.with_name(folder.name + ".log")
    try:
        with open(log, "w", encoding="utf-8") as err:
            proc = subprocess.run([sys.executable, "-m", "assistant.onnx_export", str(model_dir), str(tmp),
                                   *(["--int8"] if precision == "int8" else [])],
                                  stdout=subprocess.PIPE, stderr=err, text=True, timeout=timeout_s,
                                  env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        result = json.loads(lines[-1]) if lines else {"error": f"the converter exited with {proc.returncode}; "
                                                                f"see {log}"}
    except subprocess.TimeoutExpired:
        result = {"error": f"the conversion took over {timeout_s:.0f} s"}
    except OSError as e:
        result = {"error": f"cannot run the converter: {e}"}
    if "error" in result:
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            _failure_file(folder).write_text(json.dumps({"converter": CONVERTER, "reason": result["error"]}),
                                             encoding="utf-8")
        except OSError:
            pass
        return None, result["error"]
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    _failure_file(folder).unlink(missing_ok=True)
    return result, ""


def ensure(models_dir: Path, name: str, model_dir: str, precision: str = "fp32",
           tell: Callable[[str], None] = lambda _: None) -> tuple[Path | None, str]:
    """The converted folder of the model at `model_dir`, converting it the first time; (None, why) when it
    cannot be converted. `tell` hears one line before a conversion starts."""
    from assistant import bundle

    folder = cache_dir(models_dir, name, model_dir, precision)
    if valid(folder, model_dir, precision):
        return folder, ""
    if why := failure(folder):
        return None, why
    if not bundle.can_convert():  # not the model's fault: nothing is recorded
        from assistant import onnx_adopt

        if onnx_adopt.export_of(model_dir) is None:
            return None, (f"{bundle.NO_TORCH}, and '{name}' has not been converted nor ships an ONNX export "
                          "(onnx/model.onnx)")
        tell(f"using the ONNX export that embedding model '{name}' ships (no conversion needed)")
        try:
            onnx_adopt.adopt(model_dir, folder, precision)
        except (ValueError, OSError) as e:
            return None, f"{bundle.NO_TORCH}, and its own ONNX export cannot be used: {e}"
        return folder, ""
    tell(f"converting embedding model '{name}' to ONNX for faster embedding (once per model, about a minute)")
    manifest, why = convert(model_dir, folder, precision)
    return (folder, "") if manifest else (None, why)


def check_variant(entry, folder: str | Path, runtime: str) -> None:
    """A collection whose vectors came from another conversion than the only one a model has (a bundled
    model ships one) is not searched with it: its vectors would not match."""
    if not runtime.startswith("onnx-") or not read_manifest(Path(entry.path)):
        return
    variant = (read_manifest(Path(folder)) or {}).get("variant", "")
    if runtime[5:9] != variant:
        from assistant.errors import ConfigError

        raise ConfigError(f"this collection was embedded with {runtime} vectors, and embedding model "
                          f"'{entry.name}' here is only its {variant} ONNX conversion; re-index the collection "
                          "(`assistant index`, or Re-index in the app) to search it")


def describe(folder: str | Path) -> str:
    """One line on a conversion: variant, how close to the original, how long it took."""
    m = read_manifest(Path(folder)) or {}
    if m.get("adopted"):
        return f"embedding model's own ONNX export ({m['adopted']}) used, with {m.get('pooling')} pooling: {folder}"
    return (f"embedding model converted to ONNX ({m.get('variant', '?')} weights, vectors within cosine "
            f"{m.get('min_cosine', 0):.3f} of the original's, {m.get('seconds', 0):.0f} s): {folder}")


def status(folder: Path, entry, runtime: str, device: str, threads: int) -> dict:
    """What `assistant status` says of the local embedder, without loading it (`folder`: where its
    conversion is or would be)."""
    if runtime == "torch":
        return {"runtime": "torch", "device": device or "automatic (cuda when torch sees a GPU, else cpu)",
                "instruction_set": instruction_set("torch"),
                **({"onnx_failed": why} if (why := failure(folder)) else {})}
    manifest = read_manifest(folder) if folder.is_dir() else None
    gpu = "CUDAExecutionProvider" in providers(device)
    return {"runtime": f"onnx-{manifest['variant']}-c{CONVERTER}" if manifest else runtime,
            "converted": bool(manifest),
            **({"min_cosine": manifest["min_cosine"], "folder": str(folder)} if manifest else {}),
            "device": "cuda" if gpu else "cpu", "threads": threads or (os.cpu_count() or 1),
            **({} if gpu else {"instruction_set": instruction_set(manifest["variant"] if manifest else "fp32")})}


# int8 matrix products run on dedicated instructions here (VNNI, AMX); without them int8 gains little over
# fp32 (1.07x on AVX2, benchmarks/README.md) and is not worth its small loss of retrieval quality
INT8_INSTRUCTIONS = {"avx512_vnni", "avx_vnni", "amx_int8"}


def precision(setting: str) -> str:
    """The ONNX precision new vectors get: the setting's, or for "auto" the one this CPU is fast at."""
    if setting != "auto":
        return setting
    from assistant.cpu import this_cpu

    return "int8" if this_cpu().flags & INT8_INSTRUCTIONS else "fp32"


def instruction_set(variant: str) -> str:
    """The kernels the CPU runtime picks on this CPU for `variant` (fp32, int8, torch): ONNX Runtime's MLAS
    and torch choose theirs at run time by the same CPUID bits (assistant/cpu.py)."""
    from assistant.cpu import this_cpu

    f = this_cpu().flags
    if variant == "torch":
        return "AVX-512" if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= f else \
            "AVX2" if {"avx2", "fma"} <= f else "default (SSE)"
    if variant.startswith("int8"):
        for name, needs in [("AMX", {"amx_tile", "amx_int8"}), ("AVX-512 VNNI", {"avx512bw", "avx512_vnni"}),
                            ("AVX-VNNI", {"avx2", "avx_vnni"}), ("AVX-512", {"avx512bw"}), ("AVX2", {"avx2"})]:
            if needs <= f:
                return f"int8 with {name}"
        return "int8 with SSE4.1" if "sse4_1" in f else "int8 with SSE2"
    return "fp32 with " + ("AVX-512" if "avx512f" in f else "AVX2+FMA" if {"avx2", "fma"} <= f else
                           "AVX" if "avx" in f else "SSE")


def fallback_notice(name: str, why: str) -> str:
    return (f"embedding model '{name}' could not be converted to ONNX ({why}); embedding with "
            "sentence-transformers instead (slower)")


def unrunnable_notice(name: str, why: str) -> str:
    """Why a model cannot embed in an installation that cannot convert it (the desktop bundle)."""
    return f"embedding model '{name}' cannot run here: {why}; pick a model converted to ONNX (Settings, or " \
           "`assistant models list`)"


def providers(device: str) -> list[str]:
    """CUDA first when ONNX Runtime sees a GPU (onnxruntime-gpu) and `device` allows it."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    if device in ("", "cuda") and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


class OnnxEmbedder(Embedder):
    """A converted model folder (model.onnx + tokenizer.json + manifest.json) run by ONNX Runtime.

    Texts are tokenized once, sorted by length and embedded in batches of similar length, so that little
    of each batch is padding (fp32; int8 runs one text at a time). `threads`: 0 = one per core."""

    def __init__(self, folder: str, name: str, prefix: str, *, device: str = "", threads: int = 0,
                 batch_size: int = 16, model_file: str = "model.onnx", max_tokens: int = 0, pad_id: int = -1,
                 side_by_side: bool = True):
        import onnxruntime as ort

        root = Path(folder)
        self.folder = root
        manifest = read_manifest(root) or {}
        self.variant = manifest.get("variant", "fp32")
        self.runtime = f"onnx-{self.variant}-c{manifest.get('converter', CONVERTER)}"  # e.g. onnx-int8-c3
        self.max_tokens = int(max_tokens or manifest.get("max_tokens") or 512)
        self.pad_id = int(pad_id if pad_id >= 0 else manifest.get("pad_id", 0))
        self._tokenizer = None
        self.query_tokenizer = None
        if "query_prefix" in manifest:
            from assistant.query_tokenizer import QueryTokenizer

            self.query_tokenizer = QueryTokenizer.load(root, manifest["query_prefix"], manifest["query_suffix"],
                                                       self.max_tokens)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(root / model_file), options, providers=providers(device))
        self.device = "cuda" if self.session.get_providers()[0] == "CUDAExecutionProvider" else "cpu"
        self.threads = options.intra_op_num_threads
        # Many batches (indexing) run side by side, one per thread, each on one core: small matrices split
        # across cores spend much of their time waiting for each other (benchmarks/embedding_speed.py).
        # A question (one batch) still gets every core.
        self._single = None
        if side_by_side and self.device == "cpu" and self.threads > 1:
            one = ort.SessionOptions()
            one.intra_op_num_threads, one.inter_op_num_threads, one.log_severity_level = 1, 1, 3
            self._single = (str(root / model_file), one)
        self._pool = None
        self._inputs = {i.name for i in self.session.get_inputs()}
        # int8 activations are quantized with one range per batch, so a text's vector would depend on its
        # neighbours: int8 runs one text at a time (measured 8% slower than batches of 16)
        self.batch_size = 1 if self.variant == "int8" else batch_size
        self.count_tokens = lambda text: len(self.tokenizer.encode(text, add_special_tokens=False).ids)
        dim = manifest.get("dim") or self._run([self.tokenizer.encode("dimension probe").ids]).shape[1]
        self.info = EmbeddingModelInfo(name=name, dim=int(dim), prefix=prefix)

    @property
    def tokenizer(self):
        """The full tokenizer, loaded when first needed (passages; a question the fast one cannot do)."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            tok.no_padding()
            tok.enable_truncation(self.max_tokens)
            self._tokenizer = tok
        return self._tokenizer

    def _run(self, rows: list[list[int]], session=None) -> np.ndarray:
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, :len(r)] = r
            mask[i, :len(r)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        return (session or self.session).run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]

    def _run_many(self, batches: list[list[list[int]]]) -> list[np.ndarray]:
        """Each batch's vectors: side by side on one-core sessions where there are cores and batches to
        share, else one after another on the session with every core (ONNX Runtime runs a session from
        several threads at once)."""
        if self._single is None or len(batches) < 2:
            return [self._run(b) for b in batches]
        if self._pool is None:
            import onnxruntime as ort
            from concurrent.futures import ThreadPoolExecutor

            session = ort.InferenceSession(self._single[0], self._single[1], providers=["CPUExecutionProvider"])
            self._pool = (ThreadPoolExecutor(self.threads, thread_name_prefix="embed"), session)
        pool, session = self._pool
        return list(pool.map(lambda b: self._run(b, session), batches))

    def _embed(self, texts: list[str], kind: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        rows = [self.query_tokenizer.encode(t) for t in texts] if kind == "query" and self.query_tokenizer \
            else [None] * len(texts)
        if any(r is None for r in rows):
            rows = [e.ids for e in self.tokenizer.encode_batch(texts)]
        order = sorted(range(len(texts)), key=lambda i: len(rows[i]))
        batches = [order[s:s + self.batch_size] for s in range(0, len(order), self.batch_size)]
        parts = list(zip(batches, self._run_many([[rows[i] for i in b] for b in batches])))
        out = np.zeros((len(texts), parts[0][1].shape[1]), dtype=np.float32)
        for batch, vectors in parts:
            out[batch] = vectors
        return out
