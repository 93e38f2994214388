"""Chat backends: messages (OpenAI chat dicts) -> streamed text. Local and remote differ only in transport."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from assistant.types import Message

__all__ = ["ChatBackend", "GenerationOptions", "Message"]


@dataclass(frozen=True)
class GenerationOptions:
    max_tokens: int = 512
    temperature: float = 0.1
    top_p: float = 0.9
    seed: int | None = None
    grammar: str | None = None  # GBNF the answer must follow (assistant/citation_grammar.py); None: free text


class ChatBackend:
    """Implement `stream`; `count_tokens` has a conservative default for backends without a tokenizer."""

    name: str = ""
    model: str = ""
    n_ctx: int = 8192
    # how this backend constrains decoding to a grammar ("llama.cpp", "vllm" ...); "" when it cannot, in
    # which case `options.grammar` is ignored and the prompt alone asks for the format
    grammar: str = ""

    def stream(self, messages: list[Message], options: GenerationOptions) -> Iterator[str]:
        raise NotImplementedError

    def count_tokens(self, messages: list[Message]) -> int:
        # ~3 characters a token errs on the long side for European languages; 8 per message for the template
        return sum(len(m["content"]) // 3 + 8 for m in messages)

    def interrupt(self) -> None:
        """Called from another thread on Stop: end a generation still reading its prompt, where the
        backend can (a stream that is producing pieces is stopped by closing it)."""

    def close(self) -> None:
        pass
