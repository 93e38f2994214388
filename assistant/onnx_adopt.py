"""Use a model's own ONNX export where it ships one, without torch (the desktop bundle has none).

Model hub repositories of sentence-transformers models often carry `onnx/model.onnx`, the transformer
alone: it gives each token's vector (`last_hidden_state`). Here the pooling the model's
`1_Pooling/config.json` names (mean or CLS) and, where `modules.json` lists it, the L2 normalisation are
appended to that graph, and the result is laid out like a conversion of assistant/onnx_export.py
(model.onnx with its weights beside it, tokenizer.json, manifest.json), so OnnxEmbedder runs it as it
runs those. Nothing is compared with torch here (there is none): the manifest says "adopted".
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

EXPORTS = ("onnx/model.onnx", "model.onnx")


def export_of(model_dir: str | Path) -> Path | None:
    """The model folder's own ONNX export of its transformer, if it has one."""
    root = Path(model_dir)
    return next((root / name for name in EXPORTS if (root / name).is_file()), None)


def _pooling(root: Path) -> tuple[str, bool]:
    try:
        pool = json.loads((root / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pool = {"pooling_mode_mean_tokens": True}
    mode = "cls" if pool.get("pooling_mode_cls_token") else "mean" if pool.get("pooling_mode_mean_tokens") else ""
    if not mode:
        raise ValueError("its pooling is neither mean nor CLS, which the ONNX runtime does not run")
    try:
        modules = json.loads((root / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        modules = []
    normalize = any(str(m.get("type", "")).endswith("Normalize") for m in modules)
    return mode, normalize


def adopt(model_dir: str, folder: Path, precision: str = "fp32") -> dict:
    """Write `folder` from the model's own export; returns the manifest (ValueError: why it cannot). The
    weights stay fp32 whatever `precision` asked for (it is recorded, so the folder is found for it)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from assistant.onnx_embedding import CONVERTER, fingerprint

    t0 = time.perf_counter()
    root = Path(model_dir)
    source = export_of(root)
    if source is None or not (root / "tokenizer.json").is_file():
        raise ValueError("it has no ONNX export (onnx/model.onnx) and tokenizer.json of its own")
    mode, normalize = _pooling(root)
    model = onnx.load(str(source))
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset < 13:
        raise ValueError(f"its ONNX export is opset {opset}; 13 or newer is needed")
    g = model.graph
    inputs = {i.name for i in g.input}
    if not {"input_ids", "attention_mask"} <= inputs:
        raise ValueError("its ONNX export does not take input_ids and attention_mask")
    hidden = g.output[0].name
    g.initializer.extend([numpy_helper.from_array(np.array([1], np.int64), "adopt_axis1"),
                          numpy_helper.from_array(np.array([2], np.int64), "adopt_axis2"),
                          numpy_helper.from_array(np.array(0, np.int64), "adopt_first"),
                          numpy_helper.from_array(np.array(1e-9, np.float32), "adopt_tiny")])
    pooled = "adopt_pooled"
    if mode == "mean":
        nodes = [helper.make_node("Cast", ["attention_mask"], ["adopt_mask"], to=TensorProto.FLOAT),
                 helper.make_node("Unsqueeze", ["adopt_mask", "adopt_axis2"], ["adopt_mask3"]),
                 helper.make_node("Mul", [hidden, "adopt_mask3"], ["adopt_masked"]),
                 helper.make_node("ReduceSum", ["adopt_masked", "adopt_axis1"], ["adopt_sum"], keepdims=0),
                 helper.make_node("ReduceSum", ["adopt_mask3", "adopt_axis1"], ["adopt_count"], keepdims=0),
                 helper.make_node("Max", ["adopt_count", "adopt_tiny"], ["adopt_count1"]),
                 helper.make_node("Div", ["adopt_sum", "adopt_count1"], [pooled])]
    else:
        nodes = [helper.make_node("Gather", [hidden, "adopt_first"], [pooled], axis=1)]
    out = "embedding"
    nodes.append(helper.make_node("LpNormalization", [pooled], [out], axis=-1, p=2) if normalize
                 else helper.make_node("Identity", [pooled], [out]))
    g.node.extend(nodes)
    while len(g.output):
        g.output.pop()
    g.output.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, ["batch", None]))

    config = {}
    try:
        config = json.loads((root / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    try:
        st = json.loads((root / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        st = {}
    max_tokens = int(st.get("max_seq_length") or min(int(config.get("max_position_embeddings", 514)) - 2, 512))
    work = folder.with_name(folder.name + ".partial-adopt")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        onnx.save_model(model, str(work / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                        location="model.onnx.data", size_threshold=1024)
        shutil.copy2(root / "tokenizer.json", work / "tokenizer.json")
        from assistant.onnx_export import _query_tokenizer

        query_ids = _query_tokenizer(work, max_tokens)
        from assistant.onnx_embedding import OnnxEmbedder

        probe = OnnxEmbedder(str(work), "check", "none", max_tokens=max_tokens,
                             pad_id=int(config.get("pad_token_id") or 0)).embed_documents(["dimension probe"])
        manifest = {"converter": CONVERTER, "source": fingerprint(model_dir), "precision": precision,
                    "variant": "fp32", "adopted": str(source.relative_to(root)), "min_cosine": None,
                    "pooling": mode, "normalize": normalize, "max_tokens": max_tokens,
                    "pad_id": int(config.get("pad_token_id") or 0), "dim": int(probe.shape[1]),
                    **({"query_prefix": query_ids[0], "query_suffix": query_ids[1]} if query_ids else {}),
                    "seconds": round(time.perf_counter() - t0, 1)}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        work.rename(folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest
