"""OCR character accuracy and speed on generated scans in five languages, through the indexing path.

    .venv/bin/python benchmarks/ocr_accuracy.py /tmp/evalcorpus [--cache /tmp/lohelp] [--pages 8] [--dpi 300]

Text: pages of the evaluation corpus (benchmarks/eval_corpus.py; LibreOffice help in fi, sv, hu, it) and
the same help topics in English (en-GB, from the corpus's --cache folder). Each page's text is typeset in
DejaVu Sans at 300 dpi (tests/scans.py) and wrapped in an image-only PDF, once clean (a JPEG pass at
quality 90) and once noisy (rotated up to 1.5 degrees, blurred, grain, dust, JPEG at quality 40). The PDFs
go through `indexers.pdf.parse_files` with OCR as `assistant index` runs it (2 workers, one page each,
languages chosen per file), with the cache off so every page is read. Character accuracy is 1 - edit
distance / characters of the typeset text, whitespace runs as one space (rapidfuzz's Levenshtein).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "tests", ROOT / "benchmarks"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import scans  # noqa: E402  (tests/scans.py)

from indexers import ocr  # noqa: E402
from indexers.pdf import ParseResult, extract, parse_files  # noqa: E402

LANGS = ("fi", "sv", "hu", "it", "en")


def corpus_pages(corpus: Path, cache: Path | None, lang: str, n: int) -> list[str]:
    """`n` page texts of `lang` with at least 300 characters, in the corpus's order."""
    docs = [json.loads(line) for line in (corpus / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    out: list[str] = []
    if lang == "en":
        from eval_corpus import HELP_SUBDIR, paginate, parse_page

        if cache is None:
            raise SystemExit("--cache (the eval corpus's help folder) is needed for English pages")
        root = cache / HELP_SUBDIR / "en-GB"
        for d in docs:
            page = parse_page(root / d["source"], d["source"])
            out += [t for t in paginate(page.title, page.paras)[0] if len(t) >= 300]
            if len(out) >= n:
                break
        return out[:n]
    for d in (d for d in docs if d["language"] == lang):
        result = extract(str(corpus / "docs" / lang / d["file"]))
        out += [p.text for p in result.pages if len(p.text) >= 300]
        if len(out) >= n:
            break
    return out[:n]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/lohelp"))
    ap.add_argument("--pages", type=int, default=8, help="pages per language and condition")
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--show-worst", action="store_true", help="print what differs on each language's worst page")
    args = ap.parse_args(argv)
    config = ocr.configure("auto", "", dpi=args.dpi)
    if not config.active:
        raise SystemExit(config.problem)
    texts = {lang: corpus_pages(args.corpus, args.cache, lang, args.pages) for lang in LANGS}
    truths = {lang: [scans.fitted(t) for t in texts[lang]] for lang in LANGS}  # what fits on the page
    rows, worst = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for noise in (False, True):
            files = {}
            for i, lang in enumerate(LANGS):
                files[lang] = str(scans.scan_pages(texts[lang], Path(tmp) / f"{lang}-{noise}.pdf", dpi=300,
                                                   noise=noise, seed=11 + i))
            start = time.monotonic()
            results = {r.file: r for r in parse_files(list(files.values()), workers=args.workers, ocr=config,
                                                      timeout_s=300) if isinstance(r, ParseResult)}
            wall = time.monotonic() - start
            pages_total = sum(len(texts[lang]) for lang in LANGS)
            for lang in LANGS:
                result = results[files[lang]]
                got = {p.number: p.text for p in result.pages}
                accs = [scans.character_accuracy(got.get(n, ""), truth) for n, truth in enumerate(truths[lang], 1)]
                worst[(lang, noise)] = min(zip(accs, range(1, len(accs) + 1), truths[lang]))[1:]
                worst[(lang, noise)] += (got.get(worst[(lang, noise)][0], ""),)
                rows.append((lang, "noisy" if noise else "clean", len(accs), statistics.mean(accs), min(accs),
                             result.ocr_seconds / max(1, len(accs)), result.ocr_languages, result.error))
            rows.append(("all", "noisy" if noise else "clean", pages_total, None, None, None,
                         f"{pages_total / wall:.2f} pages/s wall ({args.workers} workers)", ""))
    print(f"tesseract {config.version}, {args.dpi} dpi, languages chosen per file, {args.workers} workers\n")
    print("| language | scan | pages | char accuracy (mean) | min | s per page (one worker) | languages read with |")
    print("|---|---|---|---|---|---|---|")
    for lang, cond, n, mean, low, per, used, error in rows:
        if mean is None:
            print(f"| **all** | {cond} | {n} | | | | {used} |")
        else:
            print(f"| {lang} | {cond} | {n} | {mean:.2%} | {low:.2%} | {per:.2f} | {used}{' ' + error if error else ''} |")
    if args.show_worst:
        import difflib

        for (lang, noise), (number, truth, read) in worst.items():
            a, b = " ".join(truth.split()), " ".join(read.split())
            diffs = [(a[i:j], b[k:m]) for op, i, j, k, m in difflib.SequenceMatcher(None, a, b, autojunk=False)
                     .get_opcodes() if op != "equal"]
            print(f"\n{lang} {'noisy' if noise else 'clean'} p. {number}: {diffs[:25]}")


if __name__ == "__main__":
    main()
