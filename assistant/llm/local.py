"""llama.cpp on a GGUF file, via llama-cpp-python; the chat template comes from the GGUF itself."""

from __future__ import annotations

import threading
from typing import Iterator

from assistant.errors import BackendError, ConfigError
from assistant.llm import ChatBackend, GenerationOptions, Message
from assistant.llm.cpu_variant import ensure_loaded


def gpu_offload_supported(cpu_variant: str = "auto") -> bool:
    """Whether the installed llama.cpp was built with a GPU backend (CUDA, Metal, Vulkan ...)."""
    try:
        import llama_cpp

        ensure_loaded(cpu_variant)
        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:
        return False


def resolve_gpu_layers(setting: int, cpu_variant: str = "auto") -> int:
    """-2 (auto): all layers when llama.cpp here can offload, else none."""
    if setting == -2:
        return -1 if gpu_offload_supported(cpu_variant) else 0
    return setting


class LlamaCppBackend(ChatBackend):
    name = "local"
    grammar = "llama.cpp"

    def __init__(self, model_path: str, model_name: str, *, n_ctx: int = 8192, n_gpu_layers: int = -2,
                 n_threads: int = 0, cpu_variant: str = "auto"):
        try:
            import llama_cpp
        except ImportError:
            raise ConfigError("llama-cpp-python is not installed: run `bash scripts/setup.sh` "
                              "(with CMAKE_ARGS=\"-DGGML_CUDA=on\" for an NVIDIA GPU)") from None
        # llama.cpp's CPU library for this CPU, registered before anything asks llama.cpp for a device
        self.cpu_variant = ensure_loaded(cpu_variant).variant
        self.model, self.n_gpu_layers = model_name, resolve_gpu_layers(n_gpu_layers, cpu_variant)
        try:
            import os

            # llama-cpp-python's default is half the cores for both; reading the prompt scales with all
            self.llm = llama_cpp.Llama(model_path=model_path, n_ctx=n_ctx, n_gpu_layers=self.n_gpu_layers,
                                       n_threads=n_threads or None, n_threads_batch=n_threads or os.cpu_count(),
                                       verbose=False)
        except Exception as e:
            raise BackendError(f"cannot load {model_path} with llama.cpp ({e}); check the file is a "
                                 "complete GGUF and that there is enough memory (lower n_ctx or "
                                 "n_gpu_layers)") from None
        self.n_ctx = self.llm.n_ctx()
        self.lock = threading.Lock()  # a Llama object must not be used by two threads at once

    def count_tokens(self, messages: list[Message]) -> int:
        n = 0
        for m in messages:
            n += len(self.llm.tokenize(m["content"].encode("utf-8"), add_bos=False, special=False)) + 8
        return n

    def stream(self, messages: list[Message], options: GenerationOptions) -> Iterator[str]:
        with self.lock:
            try:
                chunks = self.llm.create_chat_completion(
                    messages=messages, stream=True, max_tokens=options.max_tokens,
                    temperature=options.temperature, top_p=options.top_p, seed=options.seed,
                    grammar=_grammar(options.grammar))
                for chunk in chunks:
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            except ValueError as e:  # e.g. "Requested tokens (N) exceed context window of M"
                raise BackendError(f"local model: {e}; lower top_k or raise n_ctx") from None

    def close(self) -> None:
        self.llm.close() if hasattr(self.llm, "close") else None


def _grammar(text: str | None):
    if not text:
        return None
    from llama_cpp import LlamaGrammar

    try:
        return LlamaGrammar.from_string(text, verbose=False)
    except ValueError as e:  # llama.cpp could not parse it: a defect of ours, named as such
        raise BackendError(f"local model: the answer grammar does not parse ({e})") from None
