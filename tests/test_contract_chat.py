"""One contract for every ChatBackend: what the engine relies on, run against each implementation.

local: llama.cpp in this process; isolated: llama.cpp in a child process; remote: RemoteBackend against
llama-cpp-python's own server on 127.0.0.1; scripted: the fake of tests/fakes.py. The real ones all run
the packaged SmolLM2 GGUF, each loaded once per module.
"""

import sys
import threading
from collections.abc import Generator
from importlib.util import find_spec
from pathlib import Path

import pytest
from conftest import SMOLLM, free_port, start_server, stop_server
from fakes import ScriptedBackend

from assistant.errors import BackendError
from assistant.llm import ChatBackend, GenerationOptions
from assistant.llm.isolated import IsolatedLlamaCppBackend
from assistant.llm.local import LlamaCppBackend
from assistant.llm.remote import RemoteBackend
from assistant.models import PACKAGED

N_CTX = 512
KEY = "contract-key-not-secret"
STORY = [{"role": "system", "content": "You are a storyteller."},
         {"role": "user", "content": "Write a long story about a cat who lives in a library."}]
OTHER = [{"role": "user", "content": "Describe the harbour of an old trading town."}]
# a story that never ends within the tests' max_tokens, so the fake behaves like a model that keeps writing
SCRIPT = [f"word{i} " for i in range(64)]


def options(max_tokens: int) -> GenerationOptions:
    return GenerationOptions(max_tokens=max_tokens, temperature=0.0, seed=1)


def smollm_path() -> str:
    pkg, rel = PACKAGED[SMOLLM]
    return str(Path(list(find_spec(pkg).submodule_search_locations)[0]) / rel)


@pytest.fixture(scope="module", params=["local", "isolated", "remote", "scripted"])
def chat_backend(request):
    """Each implementation, built once per module, on the same model and context window where real."""
    server = None
    if request.param == "local":
        backend = LlamaCppBackend(smollm_path(), SMOLLM, n_ctx=N_CTX, n_gpu_layers=0)
    elif request.param == "isolated":
        backend = IsolatedLlamaCppBackend(smollm_path(), SMOLLM, n_ctx=N_CTX, n_gpu_layers=0)
    elif request.param == "remote":
        port = free_port()
        server = start_server([sys.executable, "-m", "assistant.llm.server", "--model", smollm_path(),
                               "--host", "127.0.0.1", "--port", str(port), "--api_key", KEY,
                               "--n_ctx", str(N_CTX), "--model_alias", "smollm2"],
                              f"http://127.0.0.1:{port}/v1/models")
        backend = RemoteBackend(f"http://127.0.0.1:{port}/v1", "smollm2", api_key=KEY, max_retries=0,
                                n_ctx=N_CTX)
    else:
        backend = ScriptedBackend(SCRIPT, n_ctx=N_CTX)
    yield backend
    backend.close()
    if server is not None:
        stop_server(server)


def test_describes_itself(chat_backend):
    """The answer records backend and model; the prompt budget is computed against n_ctx."""
    assert isinstance(chat_backend, ChatBackend)
    assert isinstance(chat_backend.name, str) and chat_backend.name
    assert isinstance(chat_backend.model, str) and chat_backend.model
    assert isinstance(chat_backend.n_ctx, int) and chat_backend.n_ctx == N_CTX


def test_streams_non_empty_text_pieces(chat_backend):
    """The engine iterates the stream, counts pieces as tokens and closes it in a finally."""
    stream = chat_backend.stream(STORY, options(16))
    assert isinstance(stream, Generator)
    pieces = list(stream)
    assert 1 < len(pieces) <= 16
    assert all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces).strip()


def test_max_tokens_is_honoured(chat_backend):
    """max_answer_tokens bounds the answer: fewer tokens asked, fewer pieces, the same beginning."""
    short = list(chat_backend.stream(STORY, options(3)))
    long = list(chat_backend.stream(STORY, options(16)))
    assert 0 < len(short) <= 3 < len(long) <= 16
    assert "".join(long).startswith("".join(short))


def test_temperature_zero_is_repeatable(chat_backend):
    """temperature 0 with a seed gives the same answer twice (benchmarks and screenshots rely on it)."""
    first = list(chat_backend.stream(OTHER, options(12)))
    second = list(chat_backend.stream(OTHER, options(12)))
    assert first and "".join(first) == "".join(second)


def test_closing_the_stream_early_leaves_the_backend_ready(chat_backend):
    """Stop closes the stream after some pieces; the next request must answer as if nothing happened."""
    reference = list(chat_backend.stream(OTHER, options(12)))
    count = chat_backend.count_tokens(OTHER)
    stream = chat_backend.stream(STORY, options(64))
    first = next(stream)
    assert isinstance(first, str) and first
    stream.close()  # what Stop does
    assert chat_backend.count_tokens(OTHER) == count  # e.g. no leftover pieces in the child's pipe
    assert list(chat_backend.stream(OTHER, options(12))) == reference


def test_count_tokens_is_positive_and_grows(chat_backend):
    """build_prompt drops passages until count_tokens fits the window, so it must grow with the text."""
    short = chat_backend.count_tokens(OTHER)
    more = [{"role": "user", "content": "The harbour board met every Tuesday in the old customs house. " * 5}]
    longer = chat_backend.count_tokens(OTHER + more)
    assert isinstance(short, int) and short > 0
    assert isinstance(longer, int) and longer > short + 20


def test_a_prompt_that_count_tokens_says_fits_is_accepted(chat_backend):
    """build_prompt trusts count_tokens: prompt + answer within n_ctx by its count must not be refused.

    With a system message, as build_prompt always sends: without one SmolLM2's template inserts its own
    (~22 tokens) and the local count falls short of it."""
    answer_tokens = 8
    filler = "The harbour board met every Tuesday in the old customs house. "
    text = ""
    for _ in range(chat_backend.n_ctx):  # the longest prompt count_tokens still lets through
        candidate = [STORY[0], {"role": "user", "content": "Summarise: " + text + filler}]
        if chat_backend.count_tokens(candidate) + answer_tokens > chat_backend.n_ctx:
            break
        text += filler
    messages = [STORY[0], {"role": "user", "content": "Summarise: " + text}]
    assert chat_backend.count_tokens(messages) > chat_backend.n_ctx - 100  # the test really fills the window
    pieces = list(chat_backend.stream(messages, options(answer_tokens)))
    assert 0 < len(pieces) <= answer_tokens


def test_a_prompt_beyond_the_context_window_is_a_backend_error(chat_backend):
    """The CLI and the UI show BackendError as one line; a raw ValueError or HTTP error would be a crash,
    an empty answer a silent failure. Afterwards the backend still answers."""
    reference = list(chat_backend.stream(OTHER, options(8)))
    huge = [{"role": "user", "content": "The harbour board met every Tuesday. " * (chat_backend.n_ctx // 2)}]
    assert chat_backend.count_tokens(huge) > 2 * chat_backend.n_ctx
    with pytest.raises(BackendError):
        for _ in chat_backend.stream(huge, options(8)):
            pass
    assert chat_backend.count_tokens(OTHER) > 0
    assert list(chat_backend.stream(OTHER, options(8))) == reference


def test_interrupt_when_idle_is_harmless(chat_backend):
    """Stop may come from another thread when nothing runs (or just after the end): a no-op.

    (What interrupt does while a prompt is being read differs on purpose: the isolated backend ends its
    child and the scripted one ends a stalled stream; local and remote cannot, and test nothing here.)"""
    reference = list(chat_backend.stream(OTHER, options(8)))
    t = threading.Thread(target=chat_backend.interrupt)
    t.start()
    t.join(10)
    assert not t.is_alive()
    chat_backend.interrupt()
    assert chat_backend.count_tokens(OTHER) > 0
    assert list(chat_backend.stream(OTHER, options(8))) == reference
