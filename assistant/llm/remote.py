"""Any OpenAI-compatible chat server (vLLM, llama.cpp server, ...): base URL + model + API key."""

from __future__ import annotations

import queue
import socket
import threading
from typing import Iterator

from assistant.errors import BackendError, ConfigError
from assistant.llm import ChatBackend, GenerationOptions, Message
from assistant.openai_client import describe_error, make_client

# How each kind of server takes a GBNF grammar in a chat request (extra fields of the OpenAI API).
GRAMMAR_FIELDS = {
    "llama.cpp": lambda g: {"grammar": g},  # llama.cpp's server and llama-cpp-python's
    "vllm": lambda g: {"structured_outputs": {"grammar": g}},  # vLLM's field since guided_* were removed (0.12)
    "vllm-legacy": lambda g: {"guided_grammar": g},  # older vLLM
}
GRAMMAR_MODES = ("auto", "off", *GRAMMAR_FIELDS)
_END, _ABANDONED = object(), object()


class _Request:
    """One answer in flight: its pieces cross from the thread that reads them, and `abandon` ends the
    stream at once, whatever that read is waiting for."""

    def __init__(self) -> None:
        self.items: queue.Queue = queue.Queue()
        self.abandoned = threading.Event()
        self.response = None  # the HTTP response while its body is read

    def abandon(self) -> None:
        self.abandoned.set()
        self.items.put(_ABANDONED)
        response = self.response  # before the headers came there is no socket to shut
        stream = response.extensions.get("network_stream") if response is not None else None
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            try:  # wakes the read, and the server sees the client go
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, also under TLS
            except OSError:
                pass  # already closed


class RemoteBackend(ChatBackend):
    """`grammar_mode` says how the server takes a grammar; "auto" asks its model list once (vLLM names
    itself as owner) and otherwise uses llama.cpp's field. A server that rejects the grammar (HTTP
    400/422 before any text) is asked again without it, and not sent one again: the prompt alone then
    asks for the markers, and `notice` says so."""

    name = "remote"

    def __init__(self, url: str, model: str, *, api_key: str = "", connect_timeout_s: float = 5.0,
                 read_timeout_s: float = 120.0, max_retries: int = 1, n_ctx: int = 8192,
                 grammar_mode: str = "auto"):
        if not url:
            raise ConfigError("the remote backend needs a server URL: set ASSISTANT_REMOTE_URL or remote_url "
                              "in the config file (e.g. http://gpu-server:8000/v1)")
        if not model:
            raise ConfigError("the remote backend needs a model name: set ASSISTANT_REMOTE_MODEL or "
                              "remote_model in the config file")
        self.url, self.model, self.n_ctx = url, model, n_ctx
        self._client_args = (url, api_key, connect_timeout_s, read_timeout_s, max_retries)
        self.client = make_client(*self._client_args)
        if grammar_mode not in GRAMMAR_MODES:
            raise ConfigError(f"remote_grammar '{grammar_mode}' is not one of {', '.join(GRAMMAR_MODES)}")
        self._grammar_mode = grammar_mode
        self.grammar = "" if grammar_mode == "off" else (grammar_mode if grammar_mode != "auto" else "")
        self.notice = ""
        self._requests: set[_Request] = set()

    def _grammar_fields(self, grammar: str | None) -> dict:
        if not grammar or self._grammar_mode == "off":
            return {}
        if self._grammar_mode == "auto" and not self.grammar and not self.notice:
            self.grammar = self._detect()
        return GRAMMAR_FIELDS[self.grammar](grammar) if self.grammar else {}

    def _detect(self) -> str:
        try:
            owners = {getattr(m, "owned_by", "") or "" for m in self.client.models.list()}
        except Exception:
            owners = set()  # the request itself will say what is wrong with the server
        return "vllm" if "vllm" in owners else "llama.cpp"

    def stream(self, messages: list[Message], options: GenerationOptions) -> Iterator[str]:
        """Read on a thread of its own, so that `interrupt` (Stop) ends the answer at once, also while the
        server has sent nothing yet (the read would otherwise wait out remote_read_timeout_s)."""
        request = _Request()
        self._requests.add(request)
        threading.Thread(target=self._read, args=(messages, options, request), daemon=True).start()
        ended = False  # read to its end or its error
        try:
            while (item := request.items.get()) is not _ABANDONED:
                ended = item is _END or isinstance(item, BaseException)
                if item is _END:
                    return
                if ended:
                    raise item
                yield item
        finally:
            self._requests.discard(request)
            if not ended:
                request.abandon()  # closed early (Stop after a piece), or interrupted

    def interrupt(self) -> None:
        """Stop, from another thread: each answer in flight ends now, as a stopped one, with or without
        pieces; its reading thread ends at the next piece or error, and does not touch the next answer."""
        for request in list(self._requests):
            request.abandon()

    def close(self) -> None:
        self.interrupt()
        self.client.close()

    def _read(self, messages: list[Message], options: GenerationOptions, request: _Request) -> None:
        try:
            for piece in self._pieces(messages, options, request):
                if request.abandoned.is_set():
                    return
                request.items.put(piece)
            request.items.put(_END)
        except BaseException as e:  # raised where the answer is read
            request.items.put(e)

    def _pieces(self, messages: list[Message], options: GenerationOptions, request: _Request) -> Iterator[str]:
        import openai

        fields = self._grammar_fields(options.grammar)
        shown = 0  # pieces yielded: after the first, a failure is in the middle of the answer
        try:
            try:
                response = self._create(messages, options, fields)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as e:
                if not fields:
                    raise
                self.notice = (f"remote server {self.url} refused the answer grammar ({describe_error(e)}); "
                               "answering without it: the markers are asked for by the prompt only "
                               "(set remote_grammar to match the server, or \"off\")")
                self.grammar = ""
                response = self._create(messages, options, {})
            finished = False
            request.response = response.response
            try:
                if request.abandoned.is_set():  # Stop came with the headers: not a byte more is read
                    return
                for chunk in response:
                    if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                        shown += 1
                        yield chunk.choices[0].delta.content
                    finished = finished or bool(chunk.choices and chunk.choices[0].finish_reason)
            finally:
                request.response = None
                response.close()
            if request.abandoned.is_set():
                return
            if not finished:  # llama.cpp's server ends a stream this way when the prompt does not fit
                self.client.close()  # and leaves its connection unusable: start a fresh pool
                self.client = make_client(*self._client_args)
                raise BackendError(f"remote server {self.url}: the answer ended before the server said it was "
                                   "complete (a prompt longer than its context, or the server stopped); lower "
                                   "top_k, or see the server's log")
        except BackendError:
            raise
        except Exception as e:
            _, _, connect_s, read_s, _ = self._client_args
            raise BackendError(f"remote server {self.url}: "
                               f"{describe_error(e, midway=shown > 0, connect_s=connect_s, read_s=read_s)}") from None

    def _create(self, messages: list[Message], options: GenerationOptions, fields: dict):
        raw = self.client.chat.completions.with_raw_response.create(
            model=self.model, messages=messages, stream=True, max_tokens=options.max_tokens,
            temperature=options.temperature, top_p=options.top_p, seed=options.seed,
            extra_body=fields or None)
        kind = raw.headers.get("content-type", "")
        if "event-stream" not in kind:  # e.g. a proxy's login or error page, sent with 200
            raise BackendError(f"remote server {self.url}: {not_a_stream(raw.status_code, kind, raw.http_response)}")
        return raw.parse()

    def check(self) -> str:
        """One cheap request, for 'Test connection': the server's model list."""
        try:
            models = [m.id for m in self.client.models.list()]
        except Exception as e:
            raise BackendError(f"remote server {self.url}: {describe_error(e)}") from None
        note = "" if not models or self.model in models else f" (it does not list '{self.model}')"
        return f"connected to {self.url}; models: {', '.join(models) or '(none listed)'}{note}"


def not_a_stream(status: int, kind: str, response) -> str:
    """What came back instead of the API's event stream, in one line (never a statement about documents)."""
    import re

    try:
        body = response.read()[:4000].decode("utf-8", errors="replace")
    except Exception:
        body = ""
    title = re.search(r"<title[^>]*>(.*?)</title>", body, re.IGNORECASE | re.DOTALL)
    seen = " ".join((title.group(1) if title else re.sub(r"<[^>]+>", " ", body)).split())[:120]
    return (f"answered HTTP {status} with {kind.split(';')[0] or 'no content type'}"
            f"{f' ({seen!r})' if seen else ''} instead of an OpenAI-compatible answer stream; is remote_url the "
            "API's address (ending in /v1), not a web page or a proxy's login page?")
