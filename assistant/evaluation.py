"""Measure retrieval and refusal on your own documents: a questions file -> file@k, page@5, MRR, refusals.

Each line of the questions file is a JSON object `{"question": ..., "file": "name.pdf" | null,
"page": 12 | null}`; `file` matches a collection file by path or base name, and null means the answer is
in no document, so the right outcome is a refusal. Optional "question_language" / "document_language"
override the detected languages. No language model runs: hundreds of questions a minute on 2 cores.
"""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from assistant.errors import ConfigError
from assistant.search import SearchResult
from indexers.languages import NAMES, detect

# Questions no collection of an archive or library answers, for a generated starter set: a refusal is
# the right outcome. (Not the calibration probes of assistant/refusal.py: a set scored on its own probes
# would measure nothing.)
OFF_TOPIC = (
    "Who won the Eurovision Song Contest in 2012?", "How do I make a soufflé rise?",
    "What is the top speed of a cheetah?", "How many moons does Jupiter have?",
    "Which streaming service has the most subscribers?", "How do I repair a leaking tap?",
    "What is the best age to start learning the piano?", "How long do tortoises live?",
    "Which football club has won the most Champions League titles?", "What causes hiccups?",
)


def question_prompt(passage: str, language: str) -> list[dict]:
    """Messages that ask a language model for one question the passage answers."""
    name = NAMES.get(language, language)
    return [{"role": "system", "content": "You write questions for testing a search engine over documents."},
            {"role": "user", "content": f"Passage:\n<<<\n{passage}\n>>>\n\nWrite one question in {name} that "
             "this passage answers, without quoting it word for word. Reply with the question only."}]


def clean_question(text: str) -> str:
    """The first line of a model's reply that reads as a question ("" when there is none)."""
    for line in text.strip().splitlines():
        line = line.strip().strip('"“”«»').strip()
        for prefix in ("Question:", "Q:", "Kysymys:", "Fråga:", "Kérdés:", "Domanda:"):
            if line.startswith(prefix):
                line = line[len(prefix):].strip()
        if len(line) > 8:
            return line if line.endswith("?") else line + "?"
    return ""


@dataclass(frozen=True)
class EvalQuestion:
    line: int
    question: str
    file: str | None  # as written in the questions file
    page: int | None
    expected: tuple[str, ...]  # collection paths the file names (none: the answer is absent)
    question_language: str
    document_language: str


def load_questions(path: str, files: Sequence[str], language_of: Callable[[str], str]) -> list[EvalQuestion]:
    """Parse and check a questions file against the collection's `files`; errors name the line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read questions file {path}: {getattr(e, 'strerror', None) or e}") from None
    by_name: dict[str, list[str]] = {}
    for f in files:
        by_name.setdefault(os.path.basename(f), []).append(f)
    out = []
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        where = f"{path} line {n}"
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{where}: not JSON ({e.msg}); each line must be one JSON object") from None
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: not a JSON object; write {{\"question\": ..., \"file\": ...}}")
        question = item.get("question")
        if not isinstance(question, str) or not question.strip():
            raise ConfigError(f"{where}: missing \"question\" (a non-empty string)")
        if "file" not in item:
            raise ConfigError(f"{where}: missing \"file\" (a file name, or null when no document answers)")
        file, page = item["file"], item.get("page")
        if file is not None and not isinstance(file, str):
            raise ConfigError(f"{where}: \"file\" must be a file name or null, got {file!r}")
        if page is not None and (not isinstance(page, int) or isinstance(page, bool) or page < 1):
            raise ConfigError(f"{where}: \"page\" must be a page number (1, 2, ...) or null, got {page!r}")
        expected: tuple[str, ...] = ()
        if file is not None:
            full = str(Path(file).expanduser().resolve()) if os.sep in file else None
            expected = (full,) if full in set(files) else tuple(by_name.get(os.path.basename(file), ()))
            if not expected:
                raise ConfigError(f"{where}: file {file!r} is not in the collection; check the name "
                                  "(`assistant collection files NAME` lists them)")
        q_lang = item.get("question_language") or detect(question)
        d_lang = item.get("document_language") or (language_of(expected[0]) if expected else "")
        out.append(EvalQuestion(n, question.strip(), file, page, expected, q_lang, d_lang))
    if not out:
        raise ConfigError(f"{path}: no questions; write one JSON object per line")
    return out


@dataclass(frozen=True)
class Scored:
    question: EvalQuestion
    result: SearchResult
    file_rank: int | None  # 1-based rank of the first expected file among the files, None: not found
    page_rank: int | None  # among the pages, when the question names a page

    @property
    def refused(self) -> bool:
        return not self.result.decision.answer


def score(q: EvalQuestion, result: SearchResult) -> Scored:
    files = [f.file for f in result.files]
    file_rank = next((i for i, f in enumerate(files, 1) if f in q.expected), None)
    page_rank = None
    if q.page is not None:
        pages = [(p.file, p.page) for p in result.pages]
        page_rank = next((i for i, (f, p) in enumerate(pages, 1) if f in q.expected and p == q.page), None)
    return Scored(q, result, file_rank, page_rank)


def _share(flags: Sequence[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def summarise(scored: Sequence[Scored]) -> dict:
    """The table's figures for a group of questions (None where no question applies)."""
    present = [s for s in scored if s.question.expected]
    absent = [s for s in scored if not s.question.expected]
    paged = [s for s in present if s.question.page is not None]
    ms = sorted(s.result.seconds * 1000 for s in scored)

    def at(k: int) -> float | None:
        return _share([s.file_rank is not None and s.file_rank <= k for s in present])

    return {
        "questions": len(scored), "answerable": len(present), "absent": len(absent),
        "file@1": at(1), "file@5": at(5), "file@10": at(10),
        "page@5": _share([s.page_rank is not None and s.page_rank <= 5 for s in paged]),
        "mrr@10": round(statistics.fmean([1 / s.file_rank if s.file_rank and s.file_rank <= 10 else 0.0
                                          for s in present]), 4) if present else None,
        "refused_when_absent": _share([s.refused for s in absent]),
        "refused_when_present": _share([s.refused for s in present]),
        "retrieval_ms_p50": round(ms[len(ms) // 2], 1) if ms else None,
        "retrieval_ms_p95": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 1) if ms else None,
    }


def by_language(scored: Sequence[Scored]) -> dict[str, dict]:
    """Summaries for same-language and cross-lingual questions, and per question -> document pair."""
    groups: dict[str, list[Scored]] = {}
    for s in scored:
        q, d = s.question.question_language or "?", s.question.document_language or "?"
        if not s.question.expected:
            groups.setdefault(f"absent, asked in {q}", []).append(s)
            continue
        groups.setdefault("same language" if q == d else "cross-lingual", []).append(s)
        groups.setdefault(f"{q} -> {d}", []).append(s)
    return {name: summarise(group) for name, group in sorted(groups.items())}


def report_json(scored: Sequence[Scored]) -> dict:
    return {
        "summary": summarise(scored),
        "by_language": by_language(scored),
        "questions": [{
            "line": s.question.line, "question": s.question.question, "expected_file": s.question.file,
            "expected_page": s.question.page, "question_language": s.question.question_language,
            "document_language": s.question.document_language, "file_rank": s.file_rank,
            "page_rank": s.page_rank, "files": [f.file for f in s.result.files],
            "pages": [{"file": p.file, "page": p.page, "score": p.score} for p in s.result.pages],
            "refused": (not s.result.decision.answer),
            "refusal": {"reason": s.result.decision.reason, "score": s.result.decision.score,
                        "threshold": s.result.decision.threshold},
        } for s in scored],
    }


_ROWS = [("file@1", "expected file ranked first"), ("file@5", "expected file among the first 5 files"),
         ("file@10", "... among the first 10"), ("page@5", "expected page among the first 5 pages"),
         ("mrr@10", "mean reciprocal rank of the expected file"),
         ("refused_when_absent", "answer in no document: refused (want 1.0)"),
         ("refused_when_present", "answer in a document: refused (want 0.0)"),
         ("retrieval_ms_p50", "retrieval time per question, ms, median"),
         ("retrieval_ms_p95", "... 95th percentile")]


def _cell(v) -> str:
    return "—" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))


def report_table(scored: Sequence[Scored]) -> str:
    """The summary as a text table, then one line per language group."""
    s = summarise(scored)
    lines = [f"{len(scored)} questions: {s['answerable']} answerable, {s['absent']} with no answer in the "
             "collection", ""]
    width = max(len(name) for name, _ in _ROWS)
    lines += [f"{name:<{width}}  {_cell(s[name]):>7}  {what}" for name, what in _ROWS]
    lines += ["", f"{'by language':<26} {'n':>4} {'file@1':>7} {'file@5':>7} {'file@10':>7} {'page@5':>7} "
              f"{'refused':>8}"]
    for name, g in by_language(scored).items():
        refused = g["refused_when_absent"] if g["absent"] else g["refused_when_present"]
        lines.append(f"{name:<26} {g['questions']:>4} {_cell(g['file@1']):>7} {_cell(g['file@5']):>7} "
                     f"{_cell(g['file@10']):>7} {_cell(g['page@5']):>7} {_cell(refused):>8}")
    return "\n".join(lines)
