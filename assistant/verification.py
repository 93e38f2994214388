"""Each sentence of an answer checked against the passage(s) it cites: after generation, before display.

A sentence is `supported` when its numbers, dates and names occur in a cited passage and its meaning is
close to one of that passage's sentences (the e5 embedder already loaded; it works across languages),
`unsupported` when no cited passage passes both checks, `uncited` when it carries no marker. A sentence
whose cited passage fails while another given passage passes gets its marker corrected, and the
correction is recorded. What this cannot promise: that a supported sentence is true, or that the passage
says it in so many words — only that its facts appear there and it is about the same thing.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from assistant.citations import best_quote
from assistant.embedding import Embedder
from assistant.markers import MARKER, numbers, strip_markers
from assistant.types import Answer, Citation, Hit, SentenceCheck
from indexers.languages import detect

# Semantic support: the sentence's best cosine with a passage sentence (e5 query vs passage). Chosen on
# benchmarks/verification_eval.py (English sentences citing fi/sv/hu/it passages): at 0.84, 6 % of correct
# sentences were flagged and 70 % of planted errors caught; 0.82: 2 % and 54 %; 0.86: 32 % and 85 %.
SUPPORT_MIN = 0.84
SUPPORT_MIN_DEFAULT = SUPPORT_MIN
# A sentence whose numbers, dates (and, in one language, names) were all found in the passage needs less
# semantic support: its facts anchor it.
ANCHORED_MIN = 0.78
# A sentence supported by the passage it cites is re-pointed at another given passage only when that one
# supports it by this much more (cosine).
CORRECT_MARGIN = 0.05

_LEADING_MARKERS = re.compile(r"^((?:\[\d+(?:\s*,\s*\d+)*\]\s*)+)")
_NUMBER = re.compile(r"\d+(?:[.,\u00a0 ]\d{3})*(?:[.,]\d+)?")
_WORD = re.compile(r"[^\W\d_][^\W_]*", re.UNICODE)

MONTHS = {  # month names (and their stems) in the users' languages -> month number
    1: ("january", "jan", "tammikuu", "januari", "január", "gennaio"),
    2: ("february", "feb", "helmikuu", "februari", "február", "febbraio"),
    3: ("march", "mar", "maaliskuu", "mars", "március", "marzo"),
    4: ("april", "apr", "huhtikuu", "április", "aprile"),
    5: ("may", "toukokuu", "maj", "május", "maggio"),
    6: ("june", "jun", "kesäkuu", "juni", "június", "giugno"),
    7: ("july", "jul", "heinäkuu", "juli", "július", "luglio"),
    8: ("august", "aug", "elokuu", "augusti", "augusztus", "agosto"),
    9: ("september", "sep", "sept", "syyskuu", "szeptember", "settembre"),
    10: ("october", "oct", "lokakuu", "oktober", "október", "ottobre"),
    11: ("november", "nov", "marraskuu", "november", "novembre"),
    12: ("december", "dec", "joulukuu", "december", "dicembre"),
}
_MONTH_OF = {name: n for n, names in MONTHS.items() for name in names}


def fold(text: str) -> str:
    """Lower case without accents: Jyväskylä ~ jyvaskyla, Győr ~ gyor."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _pieces(text: str) -> list[list]:
    """The answer cut into [sentence as written, separator after it, start, end] (start/end: where the
    sentence is in `text`). Markers written after the full stop ("... 1921. [1]") belong to the sentence
    before them."""
    parts = re.split(r"((?<=[.!?])\s+)", text)
    pieces: list[list] = []
    at = 0
    for i in range(0, len(parts), 2):
        piece, sep = parts[i], parts[i + 1] if i + 1 < len(parts) else ""
        start = at
        at += len(piece) + len(sep)
        lead = _LEADING_MARKERS.match(piece)
        if lead and pieces:
            pieces[-1][0] += " " + lead.group(1).strip()
            pieces[-1][3] = start + len(lead.group(1).rstrip())
            piece, start = piece[lead.end():], start + lead.end()
        if piece.strip():
            pieces.append([piece, sep, start, start + len(piece.rstrip())])
        elif pieces:
            pieces[-1][1] += sep
    return pieces


def _bare(piece: str) -> str:
    return re.sub(r"\s+([.,;:!?])", r"\1", " ".join(strip_markers(piece).split()))


def split_sentences(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """The answer's sentences without their markers, each with the passage numbers it cites."""
    out = []
    for piece, *_ in _pieces(text):
        cited = tuple(dict.fromkeys(n for m in MARKER.finditer(piece) for n in numbers(m)))
        if _bare(piece):
            out.append((_bare(piece), cited))
    return out


def unsupported_line(check) -> str:
    """A sentence no cited passage supports, with where it was looked for and what was missing."""
    if not check.citations:
        return f"{check.text} — cites no passage"
    where = "".join(f"[{n}]" for n in check.citations)
    why = f" (not in the passage: {', '.join(check.missing)})" if check.missing else ""
    return f"{check.text} — not found in {where}{why}"


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each sentence of split_sentences(text) is in `text`, markers included: (start, end)."""
    return [(start, end) for piece, _, start, end in _pieces(text) if _bare(piece)]


def remark(text: str, corrections: dict[int, tuple[int, ...]]) -> str:
    """`text` with the markers of its i-th sentence (split_sentences' order) replaced by corrections[i]."""
    out, i = [], 0
    for piece, sep, *_ in _pieces(text):
        if _bare(piece):
            if i in corrections:
                marks = "".join(f"[{n}]" for n in corrections[i])
                piece = re.sub(r"\s*([.!?]*)\s*$", lambda m: f" {marks}{m.group(1)}", strip_markers(piece), count=1)
            i += 1
        out.append(piece + sep)
    return "".join(out)


def _numbers(text: str, parts: bool = False) -> set[str]:
    """Numbers without thousands separators or leading zeros (1 200 ~ 1,200 ~ 1200); with `parts`, also
    each run of digits (so 4.3.1921 holds 4, 3 and 1921)."""
    found = {re.sub(r"[.,\u00a0 ]", "", n) for n in _NUMBER.findall(text)}
    if parts:
        found |= set(re.findall(r"\d+", text))
    return {n.lstrip("0") or "0" for n in found}


def _month(word: str) -> int | None:
    """The month a word names: exactly, or as an inflected form of a long name (toukokuussa, januárban)."""
    w = fold(word)
    if w in _MONTH_OF:
        return _MONTH_OF[w]
    return next((n for name, n in _MONTH_OF.items() if len(name) >= 5 and w.startswith(fold(name)[:5])
                 and len(w) <= len(name) + 5), None)


def _months(text: str) -> set[int]:
    """Months named next to a number ("4 March", "May 1923", "toukokuussa 1923"), so that the verb "may" or
    a word that merely starts like a month does not count."""
    words = re.findall(r"\d+|[^\W\d_]+", text)
    found = set()
    for i, w in enumerate(words):
        if not w.isdigit() and (m := _month(w)) is not None:
            if any(x.isdigit() for x in words[max(0, i - 1):i + 2]):
                found.add(m)
    return found


def _dotted_months(text: str) -> set[int]:
    """4.3. / 4.3.1921 / 1921-03-04: the months of numeric dates."""
    found = {int(m) for _, m in re.findall(r"\b(\d{1,2})\.(\d{1,2})\.", text) if 1 <= int(m) <= 12}
    found |= {int(m) for m in re.findall(r"\b\d{4}-(\d{2})-\d{2}\b", text) if 1 <= int(m) <= 12}
    return found


def _names(sentence: str) -> list[str]:
    """Capitalised words that are not the sentence's first word, nor a month: the names it states."""
    words = _WORD.findall(sentence)
    return [w for w in words[1:] if w[:1].isupper() and len(w) >= 3 and fold(w) not in _MONTH_OF
            and not w.isupper()]


def missing_facts(sentence: str, passage: str, names: bool = True) -> list[str]:
    """The sentence's numbers, months and (with `names`) names that `passage` does not contain
    (normalised: 1 200 ~ 1200, "4 March" ~ 4.3., names accent-folded and matched on their first five
    letters, so inflected forms count). Across languages names are not checked: capitalised words there
    are as often translated terms (National Library, Tools - Options) as names that survive."""
    missing = []
    have = _numbers(passage, parts=True)
    for n in _numbers(sentence):
        if n not in have:
            missing.append(n)
    months = _months(passage) | _dotted_months(passage)
    for m in _months(sentence):
        if m not in months:
            missing.append(next(w for w in _WORD.findall(sentence) if _month(w) == m))
    if names:
        missing += unspelled_names(sentence, passage)
    return missing


def unspelled_names(sentence: str, passage: str) -> list[str]:
    """The sentence's names that the passage does not spell (accent-folded, first five letters). In one
    language they are missing facts; across languages not an error (they may be translated), but not
    confirmed either, so they do not anchor the sentence (World War in an answer about a Finnish town
    council's minutes)."""
    stems = {fold(w)[:5] for w in _WORD.findall(passage)}
    return [name for name in _names(sentence) if fold(name)[:5] not in stems]


def has_facts(sentence: str, names: bool) -> bool:
    return bool(_numbers(sentence) or _months(sentence) or (names and _names(sentence)))


def same_language(sentence: str, passage: str) -> bool:
    a, b = detect(sentence), detect(passage)
    return not a or not b or a == b


def passage_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"(?<=[.!?;:])\s+|\n+", text) if len(p.strip()) > 10]
    return parts or [text]


@dataclass(frozen=True)
class Verification:
    sentences: tuple[SentenceCheck, ...]
    verified: str  # all | partial | none ("none" too when nothing was cited)
    seconds: float


def verify(sentences: Sequence[tuple[str, tuple[int, ...]]], given: Sequence[Hit],
           embedder: Embedder | None) -> Verification:
    """Check each (sentence, cited numbers) against the given passages (numbered from 1). Without an
    embedder only the facts are checked."""
    t0 = time.perf_counter()
    cited_sentences = [(s, c) for s, c in sentences if c]
    scores = _semantic(cited_sentences, given, embedder)  # sentence index -> passage number -> score
    checks = []
    ci = 0
    for text, cited in sentences:
        if not cited:
            checks.append(SentenceCheck(text=text, citations=(), support="uncited"))
            continue
        sem = scores[ci] if scores else {}
        ci += 1

        def passes(n: int) -> tuple[bool, list[str], float | None]:
            passage = given[n - 1].chunk.text
            names = same_language(text, passage)
            miss = missing_facts(text, passage, names=names)
            score = sem.get(n)
            floor = ANCHORED_MIN if has_facts(text, names) and (names or not unspelled_names(text, passage)) \
                else SUPPORT_MIN
            return (not miss and (score is None or score >= floor)), miss, score

        results = {n: passes(n) for n in cited if 1 <= n <= len(given)}
        good = [n for n, (ok, _, _) in results.items() if ok]
        others = {n: passes(n) for n in range(1, len(given) + 1) if n not in results}
        if good:
            best = _best(results, good)
            rival = max((n for n, (ok, _, sc) in others.items() if ok and sc is not None), default=None,
                        key=lambda k: others[k][2])
            if best is not None and rival is not None and others[rival][2] >= best + CORRECT_MARGIN:
                checks.append(SentenceCheck(text, (rival,), "supported", others[rival][2], (), corrected_from=cited))
            else:
                checks.append(SentenceCheck(text, cited, "supported", best, ()))
            continue
        better = [n for n, (ok, _, _) in others.items() if ok]
        if better:
            n = max(better, key=lambda k: others[k][2] or 0.0)
            checks.append(SentenceCheck(text, (n,), "supported", others[n][2], (), corrected_from=cited))
            continue
        missing = tuple(dict.fromkeys(m for _, miss, _ in results.values() for m in miss))
        checks.append(SentenceCheck(text, cited, "unsupported", _best(results, list(results)), missing))
    supported = sum(c.support == "supported" for c in checks)
    verified = "all" if checks and supported == len(checks) else "partial" if supported else "none"
    return Verification(tuple(checks), verified, round(time.perf_counter() - t0, 4))


def _best(results: dict, among: list[int]) -> float | None:
    values = [results[n][2] for n in among if results[n][2] is not None]
    return round(max(values), 4) if values else None


def _semantic(cited: Sequence[tuple[str, tuple[int, ...]]], given: Sequence[Hit],
              embedder: Embedder | None) -> list[dict[int, float]]:
    """For each cited sentence, its best cosine with each given passage's sentences."""
    if embedder is None or not cited or not given:
        return []
    parts = [passage_sentences(h.chunk.text) for h in given]
    flat = [p for ps in parts for p in ps]
    owner = np.repeat(np.arange(1, len(given) + 1), [len(ps) for ps in parts])
    q = embedder.embed_queries([s for s, _ in cited])
    d = embedder.embed_documents(flat)
    sims = q @ d.T
    out = []
    for row in sims:
        best = {}
        for n in range(1, len(given) + 1):
            best[n] = round(float(row[owner == n].max()), 4)
        out.append(best)
    return out


def apply(answer: Answer, check: Verification) -> Answer:
    """The answer with its sentences' verdicts, corrected markers, and each citation's `supported`."""
    if not answer.found:
        return answer
    corrections = {i: c.citations for i, c in enumerate(check.sentences) if c.corrected_from}
    text = remark(answer.text, corrections) if corrections else answer.text
    supported: dict[int, bool] = {}
    for c in check.sentences:
        for n in c.citations:
            supported[n] = supported.get(n, False) or c.support == "supported"
    old = {c.n: c for c in answer.citations}
    citations = []
    for n in sorted(supported):
        if not 1 <= n <= len(answer.retrieved):
            continue
        hit = answer.retrieved[n - 1]
        base = old.get(n) or Citation(n=n, file=hit.chunk.file, page=hit.chunk.page,
                                      quote=best_quote(hit.chunk.text, [c.text for c in check.sentences
                                                                          if n in c.citations]),
                                      score=hit.score)
        citations.append(replace(base, supported=supported[n]))
    return replace(answer, text=text, citations=tuple(citations), sentences=check.sentences,
                   verified=check.verified)
