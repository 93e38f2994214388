"""Convert a sentence-transformers folder to ONNX, once: fused graph, int8 weights, checked against torch.

Run as a child process by `assistant/onnx_embedding.py` (`python -m assistant.onnx_export SRC OUT`), so
that torch, its memory and any crash of the exporter stay out of the caller. Prints one JSON line: the
manifest written to OUT/manifest.json, or {"error": "..."}.

Steps, each measured on this project's 2-core machine (benchmarks/README.md, "Embedding runtime"):
1. export the transformer and its pooling with torch.onnx (eager attention, so ONNX Runtime can fuse it);
2. fuse attention, GELU and layer norms with ONNX Runtime's transformer optimizer (skipped if it fails);
3. quantize the matrix multiplications' weights to int8 per channel (dynamic; reduce_range, as CPUs
   without VNNI saturate otherwise), and keep it only if every check vector is within cosine MIN_COSINE of torch's fp32 one;
   else the fused fp32 graph, if it is within FP32_COSINE; else the conversion fails, and the caller
   goes on with sentence-transformers.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

MIN_COSINE = 0.99
FP32_COSINE = 0.999
MAX_ONNX_BYTES = 1_900_000_000  # one protobuf file holds under 2 GB

# Passages and questions in the languages the assistant is used for; the check compares each vector.
CHECK_TEXTS = [
    "passage: The reading room was closed from 4 March to 30 April 1923 while electric lighting was installed.",
    "passage: Kaupunginvaltuusto valitsi arkiston johtajaksi filosofian maisteri Aino Lehtisen vuonna 1921.",
    "passage: Styrelsen beslöt att digitalisera tidningssamlingen från åren 1890 till 1910.",
    "passage: Az Országos Széchényi Könyvtárat 1802-ben alapította gróf Széchényi Ferenc.",
    "passage: La sala di lettura è aperta dal lunedì al venerdì, dalle 8.30 alle 17.30.",
    "passage: Die Akten des Stadtarchivs wurden 1944 in ein Bergwerk ausgelagert und 1946 zurückgebracht.",
    "passage: Les registres paroissiaux antérieurs à 1792 sont conservés aux Archives départementales.",
    "passage: Lukusalissa on tilaa kolmellekymmenelle tutkijalle, ja se avataan yleisölle vuoden 1922 alussa.",
    "passage: Originalen flyttas därefter till ett klimatanpassat magasin i källaren.",
    "passage: A kéziratokat ma légkondicionált raktárban őrzik, tizennyolc fokon.",
    "passage: I manoscritti possono essere consultati solo con guanti di cotone forniti dal personale.",
    "passage: Table 3. Customs revenue by year (1788-1923), in thousands of marks: 412, 530, 618, 702.",
    "passage: To protect cells from changes, choose Tools - Protect Sheet and enter a password.",
    "passage: " + "Archive catalogue entry, fonds 12, series B, file 7; " * 12,
    "query: When was the reading room closed, and why?",
    "query: Who was elected director of the city archive in 1921?",
    "query: Milloin lukusali avattiin?",
    "query: När ska digitaliseringen vara klar?",
    "query: Ki alapította a nemzeti könyvtárat?",
    "query: Quando è aperta la sala di lettura?",
    "query: How many goals did Pelé score in 1958?",
    "query: How do I protect cells from changes?",
    "When was the reading room closed?",
    "Hur många ledamöter var närvarande?",
]


def _cosines(a, b):
    import numpy as np

    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def _pooling(st) -> str:
    names = [type(m).__name__ for m in st]
    extra = [n for n in names if n not in ("Transformer", "Pooling", "Normalize")]
    if extra or not names or names[0] != "Transformer":
        raise ValueError(f"its pipeline has modules the ONNX runtime does not run ({', '.join(extra or names)})")
    pools = [m for m in st if type(m).__name__ == "Pooling"]
    mode = getattr(pools[0], "pooling_mode", "") if pools else ""
    if not mode and pools:  # older sentence-transformers
        mode = pools[0].get_pooling_mode_str()
    if mode not in ("mean", "cls"):
        raise ValueError(f"its pooling '{mode or 'none'}' is not supported by the ONNX runtime (mean or cls)")
    return mode


def _query_tokenizer(work: Path, max_tokens: int) -> tuple[list[int], list[int]] | None:
    """Write the fast question tokenizer (assistant/query_tokenizer.py) when it gives the full tokenizer's
    ids on every check text: the ids it puts before and after a text, or None (then it is not written)."""
    from tokenizers import Tokenizer

    from assistant import query_tokenizer

    full = Tokenizer.from_file(str(work / "tokenizer.json"))
    full.no_padding()
    full.enable_truncation(max_tokens)
    if not query_tokenizer.write(json.loads((work / "tokenizer.json").read_text(encoding="utf-8")), work):
        return None
    probe = full.encode("a")
    content = [i for i, special in enumerate(probe.special_tokens_mask) if not special]
    prefix, suffix = probe.ids[:content[0]] if content else [], probe.ids[content[-1] + 1:] if content else []
    fast = query_tokenizer.QueryTokenizer.load(work, prefix, suffix, max_tokens)
    texts = CHECK_TEXTS + [t.lower() for t in CHECK_TEXTS] + ["", "  spaced   out  ", "1.2.3 §4 – ☃ 𝔘 日本語の文書"]
    if fast is None or any(fast.encode(t) != full.encode(t).ids for t in texts):
        for name in query_tokenizer.FILES:
            (work / name).unlink(missing_ok=True)
        return None
    return prefix, suffix


def convert(src: str, out: str, keep: bool = False, int8: bool = False) -> dict:
    """Write OUT/model.onnx, OUT/tokenizer.json and OUT/manifest.json for the model folder `src`
    (`keep`: also the intermediate fp32.onnx, fused.onnx and int8.onnx, for benchmarks/embedding_speed.py)."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel, AutoTokenizer
    from transformers import logging as hf_logging

    from assistant.onnx_embedding import OnnxEmbedder

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    t0 = time.perf_counter()
    st = SentenceTransformer(src, device="cpu", local_files_only=True)
    pooling = _pooling(st)
    max_tokens = int(st.max_seq_length or 512)
    reference = st.encode(CHECK_TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    hf = AutoModel.from_pretrained(src, attn_implementation="eager", local_files_only=True).eval()
    n_bytes = sum(p.numel() * p.element_size() for p in hf.parameters())
    if n_bytes > MAX_ONNX_BYTES:
        raise ValueError(f"its {n_bytes / 1e9:.1f} GB of weights do not fit one ONNX file")
    del st

    class Pooled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            if pooling == "cls":
                return hidden[:, 0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    work = Path(out)
    work.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(src, local_files_only=True)
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError("it has no fast tokenizer (tokenizer.json), which the ONNX runtime needs")
    tokenizer.backend_tokenizer.save(str(work / "tokenizer.json"))
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    query_ids = _query_tokenizer(work, max_tokens)
    ids = torch.ones(2, 16, dtype=torch.long)
    exported = work / "fp32.onnx"
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(Pooled(hf), (ids, torch.ones_like(ids)), str(exported),
                          input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                        "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}},
                          opset_version=17, dynamo=False)
    config = hf.config
    del hf
    t_export = time.perf_counter() - t0

    def check(path: Path) -> float:
        emb = OnnxEmbedder(str(work), "check", "none", model_file=path.name, max_tokens=max_tokens, pad_id=pad_id)
        vectors = emb._embed(list(CHECK_TEXTS), "passage")
        return float(np.min(_cosines(reference, vectors)))

    steps, fused = {"export_s": round(t_export, 1)}, exported
    t = time.perf_counter()
    try:
        from onnxruntime.transformers import optimizer

        opt = optimizer.optimize_model(str(exported), model_type="bert", opt_level=0,
                                       num_heads=int(getattr(config, "num_attention_heads", 0) or 0),
                                       hidden_size=int(getattr(config, "hidden_size", 0) or 0))
        candidate = work / "fused.onnx"
        opt.save_model_to_file(str(candidate))
        fused_ops = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
        if check(candidate) >= FP32_COSINE:
            fused, steps["fused"] = candidate, fused_ops
        else:
            steps["fused"] = "rejected (vectors changed)"
    except Exception as e:  # an architecture the optimizer does not know: the plain graph runs too
        steps["fused"] = f"skipped ({type(e).__name__}: {str(e)[:200]})"
    steps["fuse_s"] = round(time.perf_counter() - t, 1)

    if not int8:  # fp32: the fused graph, the same vectors as torch
        cos_fp32 = check(fused)
        if cos_fp32 < FP32_COSINE:
            raise ValueError(f"the ONNX vectors differ from torch's (cosine {cos_fp32:.4f})")
        return _finish(work, src, fused, "fp32", cos_fp32, None, pooling, max_tokens, pad_id, reference,
                       query_ids, steps, t0, keep, exported, torch.__version__)
    t = time.perf_counter()
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantized = work / "int8.onnx"
    # the feed-forward and projection matrices only: the fused attention stays fp32 (as fast, and closer:
    # mean cosine 0.9967 against 0.9962 with it quantized too, on 300 chunks of the evaluation corpus)
    quantize_dynamic(str(fused), str(quantized), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                     op_types_to_quantize=["MatMul"], extra_options={"DefaultTensorType": TensorProto.FLOAT})
    steps["quantize_s"] = round(time.perf_counter() - t, 1)
    cos_int8 = check(quantized)
    if cos_int8 >= MIN_COSINE:
        variant, chosen, cosine = "int8", quantized, cos_int8
    else:
        cos_fp32 = check(fused)
        if cos_fp32 < FP32_COSINE:
            raise ValueError(f"the ONNX vectors differ from torch's (cosine {cos_fp32:.4f})")
        variant, chosen, cosine = "fp32", fused, cos_fp32
    return _finish(work, src, chosen, variant, cosine, cos_int8, pooling, max_tokens, pad_id, reference, query_ids,
                   steps, t0, keep, exported, torch.__version__)


def _finish(work: Path, src: str, chosen: Path, variant: str, cosine: float, cos_int8: float | None, pooling: str,
            max_tokens: int, pad_id: int, reference, query_ids, steps: dict, t0: float, keep: bool,
            exported: Path, torch_version: str) -> dict:
    """Keep the chosen graph as model.onnx (and the others only with `keep`); write the manifest."""
    import onnx
    import onnxruntime

    from assistant.onnx_embedding import CONVERTER, fingerprint

    # the weights in a file of their own, which ONNX Runtime maps into memory instead of copying: the
    # session opens in 0.14 s instead of 1.4 s, at a quarter of the memory (fp32 multilingual-e5-small)
    onnx.save_model(onnx.load(str(chosen)), str(work / "model.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="model.onnx.data", size_threshold=1024)
    if not keep:
        for p in (exported, work / "fused.onnx", work / "int8.onnx"):
            if p.exists():
                p.unlink()
    manifest = {"converter": CONVERTER, "source": fingerprint(src), "precision": "int8" if cos_int8 is not None
                else "fp32", "variant": variant, "min_cosine": round(cosine, 5),
                **({"int8_min_cosine": round(cos_int8, 5)} if cos_int8 is not None else {}), "pooling": pooling,
                "max_tokens": max_tokens, "pad_id": int(pad_id), "dim": int(reference.shape[1]),
                **({"query_prefix": query_ids[0], "query_suffix": query_ids[1]} if query_ids else {}),
                "onnxruntime": onnxruntime.__version__, "torch": torch_version,
                "seconds": round(time.perf_counter() - t0, 1), "steps": steps}
    (work / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def main(argv: list[str]) -> int:
    src, out = argv[:2]
    try:
        print(json.dumps(convert(src, out, keep="--keep" in argv, int8="--int8" in argv or "--keep" in argv)))
        return 0
    except Exception as e:
        shutil.rmtree(out, ignore_errors=True)
        reason = str(e).splitlines()[0][:300] if str(e) else type(e).__name__
        print(json.dumps({"error": reason}))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
