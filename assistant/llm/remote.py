"""Any OpenAI-compatible chat server (vLLM, llama.cpp server, ...): base URL + model + API key."""

from __future__ import annotations

from typing import Iterator

from assistant.errors import BackendError, ConfigError
from assistant.llm import ChatBackend, GenerationOptions, Message
from assistant.openai_client import describe_error, make_client


class RemoteBackend(ChatBackend):
    name = "remote"

    def __init__(self, url: str, model: str, *, api_key: str = "", connect_timeout_s: float = 5.0,
                 read_timeout_s: float = 120.0, max_retries: int = 1, n_ctx: int = 8192):
        if not url:
            raise ConfigError("the remote backend needs a server URL: set ASSISTANT_REMOTE_URL or remote_url "
                              "in the config file (e.g. http://gpu-server:8000/v1)")
        if not model:
            raise ConfigError("the remote backend needs a model name: set ASSISTANT_REMOTE_MODEL or "
                              "remote_model in the config file")
        self.url, self.model, self.n_ctx = url, model, n_ctx
        self._client_args = (url, api_key, connect_timeout_s, read_timeout_s, max_retries)
        self.client = make_client(*self._client_args)

    def stream(self, messages: list[Message], options: GenerationOptions) -> Iterator[str]:
        try:
            response = self.client.chat.completions.create(
                model=self.model, messages=messages, stream=True, max_tokens=options.max_tokens,
                temperature=options.temperature, top_p=options.top_p, seed=options.seed)
            finished = False
            for chunk in response:
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
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
            raise BackendError(f"remote server {self.url}: {describe_error(e)}") from None

    def check(self) -> str:
        """One cheap request, for 'Test connection': the server's model list."""
        try:
            models = [m.id for m in self.client.models.list()]
        except Exception as e:
            raise BackendError(f"remote server {self.url}: {describe_error(e)}") from None
        note = "" if not models or self.model in models else f" (it does not list '{self.model}')"
        return f"connected to {self.url}; models: {', '.join(models) or '(none listed)'}{note}"
