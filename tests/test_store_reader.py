"""The search-only store (Chroma's engine without its Python client) answers as the client does.

A cold `assistant search` reads the index through chromadb_rust_bindings, the engine Chroma's own client
calls; this checks, on a real collection, that both give the same counts, neighbours, distances, texts,
metadata and stored vectors, and that a Chroma without such bindings falls back to the client."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from assistant import store as store_module
from assistant.engine import build_assistant
from assistant.store import Store, chroma_name


@pytest.fixture
def indexed(settings_for, samples):
    assistant = build_assistant(settings_for())
    for _ in assistant.index([str(samples)], "archive"):
        pass
    emb = assistant.embedder()
    assistant.close()
    store_module._READERS.clear()
    return assistant.data / "chroma", emb


def test_the_reader_answers_as_the_client(indexed):
    path, emb = indexed
    client, reader = Store(path, "archive"), Store(path, "archive", reader=True)
    assert reader.client is None and client.client is not None  # the reader really is the other path
    assert reader.count() == client.count() > 10
    for question in ("When was the reading room closed?", "Ki alapította a könyvtárat?", "zzz"):
        v = emb.embed_query(question)
        a, b = client.query(v, 8), reader.query(v, 8)
        assert [h.chunk for h in a] == [h.chunk for h in b]
        assert [h.score for h in a] == [h.score for h in b]
        pages = [(h.chunk.file, h.chunk.page) for h in a]
        assert client.view_scores(v, pages) == reader.view_scores(v, pages)
    ids = sorted(client.all_ids())[:5]
    assert client.chunks(ids) == reader.chunks(ids)
    file = client.chunks(ids[:1])[0].file
    assert client.sample_text(file) == reader.sample_text(file)


def test_a_collection_not_stored_yet_reads_as_empty(indexed):
    path, emb = indexed
    reader = Store(path, "never-indexed", reader=True)
    assert reader.client is None and reader.count() == 0
    assert reader.query(emb.embed_query("anything"), 5) == []
    assert reader.view_scores(emb.embed_query("anything"), [("a.pdf", 1)]) == ({}, {})
    assert chroma_name("never-indexed") not in [c.name for c in Store(path, "archive").client.list_collections()]


def test_without_the_bindings_the_client_reads(indexed, monkeypatch):
    """Another Chroma version without chromadb_rust_bindings: the client is used, with the same answers."""
    path, emb = indexed
    monkeypatch.setitem(sys.modules, "chromadb_rust_bindings", None)  # the import fails
    store_module._READERS.clear()
    fallback = Store(path, "archive", reader=True)
    assert fallback.client is not None
    v = emb.embed_query("When was the reading room closed?")
    assert [h.chunk.id for h in fallback.query(v, 3)] == [h.chunk.id for h in Store(path, "archive").query(v, 3)]
    assert np.isfinite([h.score for h in fallback.query(v, 3)]).all()


def test_collections_are_searched_with_more_hnsw_candidates_than_chromas_default(tmp_path):
    """Chroma's default ef_search (100) missed the nearest passage of a 397-vector collection; a new
    collection gets SEARCH_EF, and one made before is raised to it when a writer opens it."""
    from assistant.store import SEARCH_EF, chroma_client

    path = tmp_path / "chroma"
    client = chroma_client(path)
    client.get_or_create_collection(chroma_name("old"), embedding_function=None, metadata={"hnsw:space": "cosine"})
    assert client.get_collection(chroma_name("old")).configuration_json["hnsw"]["ef_search"] == 100
    for name in ("old", "new"):
        store = Store(path, name)
        for col in (store.collection, store.views):
            assert col.configuration_json["hnsw"]["ef_search"] == SEARCH_EF, (name, col.name)
            assert col.configuration_json["hnsw"]["space"] == "cosine"
