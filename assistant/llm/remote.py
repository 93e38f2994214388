"""Any OpenAI-compatible chat server (vLLM, llama.cpp server, ...): base URL + model + API key."""

from __future__ import annotations

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
            for chunk in response:
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                    shown += 1
                    yield chunk.choices[0].delta.content
                finished = finished or bool(chunk.choices and chunk.choices[0].finish_reason)
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
