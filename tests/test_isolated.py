"""The local model in a child process (real SmolLM2 GGUF): streams, stops, survives its child's death."""

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, SMOLLM

from assistant.engine import build_assistant
from assistant.errors import BackendError
from assistant.llm import GenerationOptions
from assistant.llm.isolated import IsolatedLlamaCppBackend
from assistant.models import Registry
from assistant.types import Answer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

STORY = [{"role": "user", "content": "Write a long story about a cat who lives in a library."}]
SHORT = GenerationOptions(max_tokens=16, temperature=0.0, seed=1)
LONG = GenerationOptions(max_tokens=200, temperature=0.0, seed=1)  # still going when the tests interrupt it


@pytest.fixture
def gguf(data_dir) -> str:
    return Registry(data_dir).resolve(SMOLLM, "llm").path


@pytest.fixture
def backend(gguf):
    b = IsolatedLlamaCppBackend(gguf, SMOLLM, n_ctx=1024, n_gpu_layers=0)
    yield b
    b.close()


def gone(pid: int, within_s: float = 10.0) -> bool:
    """True once `pid` no longer runs (reaped, or a zombie left to init)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def test_streams_from_a_child_process(backend):
    assert backend.pid and backend.pid != os.getpid()
    assert backend.n_ctx == 1024 and backend.n_gpu_layers == 0
    assert backend.count_tokens(STORY) > 8
    pieces = list(backend.stream(STORY, SHORT))
    assert len(pieces) > 1 and "".join(pieces).strip()


def test_ask_with_isolated_model(settings_for, samples):
    a = build_assistant(settings_for(max_answer_tokens=48), isolate_model=True)
    try:
        for _ in a.index([str(samples)]):
            pass
        backend = a.backend()
        assert isinstance(backend, IsolatedLlamaCppBackend)
        items = list(a.ask_stream("When was the reading room closed?"))
        answer = items[-1]
        assert isinstance(answer, Answer) and answer.backend == "local" and answer.model == SMOLLM
        assert any(isinstance(i, str) for i in items[:-1]) and answer.text.strip()
        assert answer.retrieved[0].chunk.file.endswith("harbour_archive_report_1923.pdf")
        pid = backend.pid
    finally:
        a.close()
    assert gone(pid)


def test_closing_the_stream_early_leaves_the_child_ready(backend):
    stream = backend.stream(STORY, LONG)
    assert next(stream)
    stream.close()  # what Stop does
    assert backend.count_tokens(STORY) > 8  # no leftover pieces in the pipe
    again = list(backend.stream(STORY, SHORT))
    assert len(again) > 1 and "".join(again).strip()


def test_killed_child_raises_then_a_new_one_starts(backend):
    first = backend.pid
    stream = backend.stream(STORY, LONG)
    assert next(stream)
    os.kill(first, signal.SIGKILL)
    with pytest.raises(BackendError, match="model process stopped.*SIGKILL"):
        for _ in stream:
            pass
    assert gone(first)
    pieces = list(backend.stream(STORY, SHORT))  # the user retries
    assert "".join(pieces).strip()
    assert backend.pid not in (None, first)


@pytest.mark.timeout(120)  # a hang guard, not a speed check
def test_invalid_gguf_fails_in_the_constructor(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + bytes(range(256)) * 16)
    with pytest.raises(BackendError, match="broken.gguf"):
        IsolatedLlamaCppBackend(str(bad), "broken", n_ctx=512, n_gpu_layers=0)


def test_close_ends_the_child(backend):
    pid = backend.pid
    backend.close()
    assert gone(pid)
    with pytest.raises(BackendError, match="closed"):
        backend.count_tokens(STORY)


def test_child_does_not_outlive_a_killed_parent(gguf):
    code = ("import sys, time\n"
            "from assistant.llm.isolated import IsolatedLlamaCppBackend\n"
            f"b = IsolatedLlamaCppBackend({gguf!r}, 'smollm', n_ctx=512, n_gpu_layers=0)\n"
            "print(b.pid, flush=True)\n"
            "time.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=str(ROOT), stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
    finally:
        parent.kill()
        parent.wait()
    assert gone(child)


def test_interrupt_while_reading_the_prompt_ends_quietly(backend):
    """Stop before the first piece: the child is ended, the stream ends without text or error."""
    import threading

    long_prompt = [{"role": "user", "content": "Summarise these minutes. " + "The harbour board met. " * 160}]  # ~900 tokens
    first_pid, pieces, errors = backend.pid, [], []

    def run() -> None:
        try:
            pieces.extend(backend.stream(long_prompt, SHORT))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.3)  # sent, still reading ~1,500 tokens on the CPU
    backend.interrupt()
    t.join(30)  # not stuck until the prompt is read and the answer written
    assert not t.is_alive() and not errors and pieces == []
    assert gone(first_pid)
    assert "".join(backend.stream(STORY, SHORT))  # the next request starts a new child
    assert backend.pid != first_pid
