"""Tokenize a question without loading the whole tokenizer: 0.05 s instead of 1 s for multilingual-e5.

A cold `assistant search` embeds one short question, but loading an XLM-R tokenizer.json (250,000
SentencePiece pieces) takes about a second on its own. For Unigram (SentencePiece) models the converter
(`assistant/onnx_export.py`) writes the pieces and scores as a flat file beside the model; a question is
then normalised and split into words by the tokenizers library itself (a copy of the tokenizer with no
vocabulary, which loads at once) and segmented here with the same Viterbi search as tokenizers' Unigram
(`encode_optimized`: best total score, ties to the first candidate in order of length, an unknown
character scored min_score - 10, consecutive unknowns fused into one). The converter checks that this
gives the same ids as the full tokenizer on its check texts; `tests/test_query_tokenizer.py` checks
thousands of strings. Anything it does not cover (another model type, a special token in the text)
returns None, and the caller uses the full tokenizer.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

FILES = ("query-tokenizer.json", "query-pieces.txt", "query-scores.npy")
UNK_PENALTY = 10.0


def write(full_json: dict, folder: Path) -> bool:
    """Write the question tokenizer's files for the tokenizer `full_json` (a parsed tokenizer.json) into
    `folder`; False when its model is not a Unigram one."""
    model = full_json.get("model") or {}
    if model.get("type") != "Unigram" or model.get("byte_fallback") or model.get("unk_id") is None:
        return False
    vocab = model["vocab"]
    if any("\n" in piece for piece, _ in vocab):
        return False
    light = json.loads(json.dumps(full_json))
    light["model"]["vocab"] = vocab[:max(int(model["unk_id"]) + 1, 1)]
    light["truncation"], light["padding"] = None, None
    (folder / FILES[0]).write_text(json.dumps(light), encoding="utf-8")
    (folder / FILES[1]).write_text("\n".join(piece for piece, _ in vocab), encoding="utf-8")
    np.save(folder / FILES[2], np.asarray([score for _, score in vocab], dtype=np.float64))
    return True


class QueryTokenizer:
    def __init__(self, folder: Path, prefix: list[int], suffix: list[int], max_tokens: int):
        from tokenizers import Tokenizer

        light = Tokenizer.from_file(str(folder / FILES[0]))
        self.normalizer, self.pre_tokenizer = light.normalizer, light.pre_tokenizer
        config = json.loads((folder / FILES[0]).read_text(encoding="utf-8"))
        self.unk_id = int(config["model"]["unk_id"])
        self.specials = [t["content"] for t in config.get("added_tokens", [])]
        pieces = (folder / FILES[1]).read_text(encoding="utf-8").split("\n")
        self.scores = np.load(folder / FILES[2]).tolist()
        self.ids = {piece: i for i, piece in enumerate(pieces)}  # the last of duplicates, as tokenizers
        self.longest = max(len(p) for p in pieces)
        self.unk_score = min(self.scores) - UNK_PENALTY
        self.prefix, self.suffix, self.max_tokens = prefix, suffix, max_tokens

    @classmethod
    def load(cls, folder: Path, prefix: list[int], suffix: list[int], max_tokens: int) -> "QueryTokenizer | None":
        if not all((folder / f).is_file() for f in FILES):
            return None
        try:
            return cls(folder, prefix, suffix, max_tokens)
        except Exception:
            return None

    def encode(self, text: str) -> list[int] | None:
        """The ids the full tokenizer gives `text` (with its special tokens, truncated), or None."""
        if any(s in text for s in self.specials):
            return None
        normalized = self.normalizer.normalize_str(text) if self.normalizer else text
        words = self.pre_tokenizer.pre_tokenize_str(normalized) if self.pre_tokenizer else [(normalized, None)]
        ids: list[int] = []
        for word, _ in words:
            ids.extend(self._segment(word))
        room = self.max_tokens - len(self.prefix) - len(self.suffix)
        return self.prefix + ids[:max(room, 0)] + self.suffix

    def _segment(self, word: str) -> list[int]:
        n = len(word)
        if n == 0:
            return []
        best = [-np.inf] * (n + 1)  # best path score ending at each position
        start = [-1] * (n + 1)
        token = [0] * (n + 1)
        best[0] = 0.0
        ids, scores, unk = self.ids, self.scores, self.unk_id
        for i in range(n):
            if start[i] < 0 and i > 0:
                continue
            here, single = best[i], False
            for j in range(i + 1, min(n, i + self.longest) + 1):
                tid = ids.get(word[i:j])
                if tid is None:
                    continue
                score = here + scores[tid]
                if start[j] < 0 or score > best[j]:
                    best[j], start[j], token[j] = score, i, tid
                if j == i + 1:
                    single = True
            if not single:
                score = here + self.unk_score
                if start[i + 1] < 0 or score > best[i + 1]:
                    best[i + 1], start[i + 1], token[i + 1] = score, i, unk
        out, end = [], n
        while end > 0:
            out.append(token[end])
            end = start[end]
        out.reverse()
        fused: list[int] = []
        for tid in out:  # consecutive unknown characters are one unknown token
            if not (tid == unk and fused and fused[-1] == unk):
                fused.append(tid)
        return fused
