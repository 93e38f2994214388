"""The ONNX Runtime embedder against the sentence-transformers reference, its question tokenizer against
the full tokenizer, a model that cannot be converted, and the runtime a collection is searched with.

The session's registry (conftest.model_registry) holds the real conversions of the packaged
multilingual-e5-small (fp32 and int8) and all-MiniLM-L6-v2 (fp32), made once by assistant/onnx_export.py."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from conftest import E5, MINILM, run_cli

from assistant.embedding import SentenceTransformerEmbedder
from assistant.models import Registry
from assistant.onnx_embedding import OnnxEmbedder, read_manifest
from assistant.samples import SAMPLES

QUESTIONS = ["When was the reading room closed, and why?", "Who was elected director of the city archive in 1921?",
             "Milloin uusi lukusali avataan?", "Vad kostar digitaliseringen av tidningssamlingen?",
             "Hány nyomtatványt őrzött az alapító gyűjtemény?", "Quante unità si possono richiedere al giorno?",
             "How are the manuscripts kept today?", "How many volumes of customs records did the archive receive?"]


def passages() -> list[str]:
    """The sample documents' paragraphs: five languages."""
    return [p.strip() for pages in SAMPLES.values() for page in pages for p in page.split("\n") if len(p) > 40]


@pytest.fixture(scope="module")
def e5(model_registry) -> dict:
    """multilingual-e5-small three ways: ONNX fp32 (the default), ONNX int8, sentence-transformers."""
    entry = Registry(model_registry.parent).resolve(E5, "embedding")
    assert read_manifest(Path(entry.onnx["fp32"]))["variant"] == "fp32"
    assert read_manifest(Path(entry.onnx["int8"]))["variant"] == "int8"
    return {"fp32": OnnxEmbedder(entry.onnx["fp32"], entry.name, entry.prefix),
            "int8": OnnxEmbedder(entry.onnx["int8"], entry.name, entry.prefix),
            "torch": SentenceTransformerEmbedder(entry.path, entry.name, entry.prefix)}


@pytest.mark.parametrize("precision,least", [("fp32", 0.9999), ("int8", 0.99)])
def test_fast_path_matches_the_reference(e5, precision, least):
    """Every vector within cosine 0.9999 (fp32) or 0.99 (int8) of sentence-transformers' fp32 one; each
    question's best passage the same, and its best three the same three."""
    fast, reference = e5[precision], e5["torch"]
    docs = passages()
    assert len(docs) >= 12
    d_fast, d_ref = fast.embed_documents(docs), reference.embed_documents(docs)
    q_fast, q_ref = fast.embed_queries(QUESTIONS), reference.embed_queries(QUESTIONS)
    assert np.min(np.sum(d_fast * d_ref, axis=1)) >= least
    assert np.min(np.sum(q_fast * q_ref, axis=1)) >= least
    for i in range(len(QUESTIONS)):
        top_fast = np.argsort(-(d_fast @ q_fast[i]))[:3]
        top_ref = np.argsort(-(d_ref @ q_ref[i]))[:3]
        assert top_fast[0] == top_ref[0], QUESTIONS[i]
        assert set(top_fast) == set(top_ref), QUESTIONS[i]
    assert fast.runtime.startswith(f"onnx-{precision}-c") and reference.runtime == "torch" and fast.device == "cpu"


def test_a_question_is_tokenized_as_the_full_tokenizer_does(e5):
    """The question tokenizer (no 250k-piece load) gives the full tokenizer's ids on thousands of strings:
    the samples, questions, and random mixes of letters with diacritics, digits, spaces and symbols."""
    fast = e5["fp32"]
    assert fast.query_tokenizer is not None
    rng = random.Random(7)
    alphabet = "aáäåöőűàèéíìóòúù ÉÖÅ  \t\n-–—.,;:!?()[]'\"0123456789§%€日本語☃𝔘ßæøœ"
    texts = ["query: " + q for q in QUESTIONS] + passages() + ["", " ", "query:", "a  b   c"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(2000)]
    texts += ["query: " + " ".join(rng.sample(passages()[0].split(), 6)) for _ in range(200)]
    full = fast.tokenizer
    mismatched = [t for t in texts if fast.query_tokenizer.encode(t) != full.encode(t).ids]
    assert not mismatched, mismatched[:3]
    long_text = "query: " + " ".join(passages()) * 3  # truncated at the model's limit, as the full one does
    assert fast.query_tokenizer.encode(long_text) == full.encode(long_text).ids
    assert len(full.encode(long_text).ids) == fast.max_tokens
    assert fast.query_tokenizer.encode("query: <s> inside") is None  # a special token: the full one decides


def test_a_vector_depends_only_on_its_text(e5):
    """int8 activations are quantized per run, so int8 embeds one text at a time: a chunk's vector is the
    same whatever it is batched with (re-indexing, the crash soak and the fast question path rely on it)."""
    fast = e5["int8"]
    docs = passages()[:6]
    together = fast.embed_documents(docs)
    alone = np.stack([fast.embed_documents([d])[0] for d in docs])
    assert np.array_equal(together, alone)
    assert np.array_equal(fast.embed_queries(QUESTIONS)[2], fast.embed_query(QUESTIONS[2]))


def _dense_model(tmp_path: Path, model_registry) -> Path:
    """A real sentence-transformers model whose pipeline has a Dense layer after pooling (as LaBSE has),
    which the ONNX export does not cover."""
    from sentence_transformers import SentenceTransformer, models

    base = Registry(model_registry.parent).resolve(MINILM, "embedding").path
    st = SentenceTransformer(base, device="cpu")
    dense = models.Dense(in_features=384, out_features=384)
    out = tmp_path / "minilm-dense"
    SentenceTransformer(modules=[st[0], st[1], dense, models.Normalize()], device="cpu").save(str(out))
    return out


@pytest.mark.slow
def test_a_model_that_cannot_be_converted_falls_back_with_one_line(tmp_path, data_dir, samples, model_registry):
    """The conversion fails (a Dense module): one line says so and why, sentence-transformers embeds, the
    failure is kept (not tried again at the next run), and status says which runtime runs and why."""
    model = _dense_model(tmp_path, model_registry)
    env = {"ASSISTANT_EMBEDDING_MODEL": str(model), "ASSISTANT_LLM_MODEL": "smollm2-135m-instruct-q4_1"}
    first = run_cli("index", str(samples), "--collection", "dense", env=env)
    assert first.returncode == 0, first.stderr
    notes = [ln for ln in first.stderr.splitlines() if "could not be converted to ONNX" in ln]
    assert len(notes) == 1 and "Dense" in notes[0] and "sentence-transformers instead" in notes[0], first.stderr
    assert "Traceback" not in first.stderr and "indexed 5 file(s)" in first.stdout
    again = run_cli("search", "When was the reading room closed?", "--collection", "dense", env=env)
    assert again.returncode == 0 and "harbour_archive_report_1923.pdf" in again.stdout
    assert "converting" not in again.stderr  # the failure was remembered
    status = run_cli("status", "--json", env=env)
    embedding = json.loads(status.stdout)["embedding"]
    assert embedding["runtime"] == "torch" and "Dense" in embedding["onnx_failed"]
    info = json.loads(status.stdout)["collections"][0]
    assert info["embed_runtime"] == "torch" and not info["reindex"]


@pytest.mark.slow
def test_a_collection_is_searched_as_it_was_embedded(data_dir, samples):
    """A collection embedded with torch is searched with torch (the same vectors) and told to re-index;
    `assistant index` re-embeds it with ONNX and records that."""
    env = {"ASSISTANT_EMBEDDING_MODEL": MINILM, "ASSISTANT_LLM_MODEL": "smollm2-135m-instruct-q4_1"}
    built = run_cli("index", str(samples), env={**env, "ASSISTANT_EMBEDDING_RUNTIME": "torch"})
    assert built.returncode == 0, built.stderr
    status = json.loads(run_cli("status", "--json", env=env).stdout)
    assert status["collections"][0]["embed_runtime"] == "torch"
    assert "embedded with sentence-transformers, the settings say ONNX fp32" in status["collections"][0]["reindex"]
    found = run_cli("search", "--json", "When was the reading room closed?", env=env)
    result = json.loads(found.stdout)
    assert "re-index needed" in result["notice"] and result["files"][0]["file"].endswith("harbour_archive_report_1923.pdf")
    again = run_cli("index", env=env)
    assert "every file of 'default' is indexed again" in again.stdout + again.stderr, again.stdout + again.stderr
    status = json.loads(run_cli("status", "--json", env=env).stdout)
    assert status["collections"][0]["embed_runtime"].startswith("onnx-fp32-c") and not status["collections"][0]["reindex"]
    assert status["embedding"]["runtime"].startswith("onnx-fp32-c") and status["embedding"]["converted"]
    found = json.loads(run_cli("search", "--json", "When was the reading room closed?", env=env).stdout)
    assert "notice" not in found and found["files"][0]["file"].endswith("harbour_archive_report_1923.pdf")


def test_the_gpu_is_used_when_onnx_runtime_sees_one(monkeypatch):
    """CUDA first when the installed ONNX Runtime has it (onnxruntime-gpu) unless the settings say cpu;
    this machine has no GPU, so only the choice is tested here."""
    import onnxruntime

    from assistant.onnx_embedding import providers

    monkeypatch.setattr(onnxruntime, "get_available_providers",
                        lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert providers("") == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert providers("cuda")[0] == "CUDAExecutionProvider"
    assert providers("cpu") == ["CPUExecutionProvider"]
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    assert providers("") == ["CPUExecutionProvider"]
