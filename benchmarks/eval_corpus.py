"""A multilingual evaluation corpus of real text: the LibreOffice 7.4 help rendered to PDFs, with questions.

    .venv/bin/python benchmarks/eval_corpus.py OUT_DIR [--seed 7] [--per-language 100] [--holdout 0.2]
                                               [--cache DIR]

The source is the LibreOffice 7.4 help (MPL-2.0), which Debian ships as parallel HTML pages per language in
the libreoffice-help-* packages. They are fetched with `apt-get download` (not installed) and unpacked with
`dpkg-deb -x` into the cache folder. Each selected help topic goes into the collection exactly once, in one of
four languages (fi, sv, hu, it), as OUT_DIR/docs/<lang>/<module>_<stem>.pdf; a held-out share of topics is not
rendered and yields questions whose answer is in no document. Outputs:

    OUT_DIR/docs/<lang>/*.pdf         the collection, written by assistant.samples.write_pdf
    OUT_DIR/questions.jsonl           all questions: question, file, page, question_language,
                                      document_language, kind
    OUT_DIR/questions-<kind>.jsonl    the same, one file per kind
    OUT_DIR/documents.jsonl           one line per PDF: file, language, source page, title, pages
    OUT_DIR/README.md                 source, licence, seed and counts

Question kinds are described in KINDS. Retrieval is measured on the first three (is `file`/`page` among the
top k?), refusal on the two absent-* kinds. The same seed gives byte-identical outputs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assistant.samples import _encode, write_pdf  # _encode tells which characters the font can show

SOURCE_LANG = "en-GB"
DOC_LANGS = ("fi", "sv", "hu", "it")
PACKAGES = {lang: f"libreoffice-help-{lang.lower()}" for lang in (SOURCE_LANG, *DOC_LANGS)}
HELP_SUBDIR = Path("x/usr/share/libreoffice/help")

PAGE_CHARS = 1800       # target characters per PDF page, split at paragraph boundaries
PAGE_LINES = 48         # write_pdf starts at y=790 with 15 pt leading: about 50 lines fit on A4
WRAP_WIDTH = 88         # write_pdf's textwrap width
MIN_BODY = 200          # drop near-empty pages
MIN_OTHER = 800         # non-guide pages need this much English body text
MAX_BODY = 4 * PAGE_CHARS  # longer pages (API references, long tables) are left out: 1-4 PDF pages each
MAX_UNTRANSLATED = 0.3  # at most this share of a localized page's text may be left in English

# Characters the writer's WinAnsi font cannot show (they come out as "?"), spelt with ones it can.
TRANSLITERATE = {
    "\u2192": "->", "\u2190": "<-", "\u2191": "^", "\u2193": "v", "\u21d2": "=>", "\u2194": "<->",
    "\u2264": "<=", "\u2265": ">=", "\u2260": "!=", "\u2212": "-", "\u2011": "-", "\u2010": "-",
    "\u2248": "~", "\u221e": "infinity", "\u2032": "'", "\u2033": '"', "\u2009": " ", "\u202f": " ",
    "\u2007": " ", "\u2002": " ", "\u2003": " ", "\u200b": "", "\u200c": "", "\u200d": "", "\u00ad": "",
    "\ufe0e": "", "\ufe0f": "", "\u2060": "", "\ufeff": "", "\U0001f50e": "",
}

KINDS = {
    "title-en": "English title of the topic as a question; page 1",
    "sentence-en": "an English sentence from the middle of the topic; page of its localized paragraph",
    "title-local": "the localized title as a question, in the document's language; page 1",
    "absent-near": "English title question of a held-out topic (not in the collection); no file",
    "absent-off": "hand-written off-topic questions (history, cooking, sport, geography, ...); no file",
}

# Questions that no office-suite help answers (the refusal baseline), English first, then the four languages.
OFF_TOPIC: list[tuple[str, str]] = [(q, "en") for q in (
    "Who was the first emperor of Rome?",
    "In which year did the Berlin Wall fall?",
    "Who painted the ceiling of the Sistine Chapel?",
    "What caused the Great Fire of London in 1666?",
    "Which ship carried the Pilgrims to America in 1620?",
    "Who was the Swedish king who died at the Battle of Lützen?",
    "When was the Magna Carta sealed?",
    "How long do I boil an egg for a soft yolk?",
    "What is the traditional filling of a Karelian pasty?",
    "How do I make a sourdough starter from scratch?",
    "Which herbs go into a classic pesto alla genovese?",
    "At what temperature should I roast a chicken?",
    "How much salt goes into a litre of pasta water?",
    "Who won the football World Cup in 1966?",
    "How many players are on an ice hockey team on the ice?",
    "What is the length of a marathon in kilometres?",
    "Which country has won the most Olympic gold medals in cross-country skiing?",
    "How is a tie-break scored in tennis?",
    "What is the capital city of Australia?",
    "Which is the longest river in Europe?",
    "How many islands does the Åland archipelago have?",
    "What is the highest mountain in the Alps?",
    "Which countries border Hungary?",
    "How deep is Lake Balaton?",
    "How many bones are in the adult human body?",
    "What do bees use propolis for?",
    "How do migratory birds find their way south?",
    "Why do leaves change colour in autumn?",
    "How long does a moose pregnancy last?",
    "What is the speed of light in a vacuum?",
    "Why is the sky blue?",
    "What is the boiling point of water at the top of Mount Everest?",
    "Who wrote the Kalevala in its compiled form?",
    "Who composed the opera La traviata?",
    "Which novel begins with the line 'Call me Ishmael'?",
    "What is the chemical symbol for gold?",
    "How do I change a flat tyre on a bicycle?",
    "When should I prune apple trees?",
    "How often should a sauna stove be cleaned of soot?",
    "What is the best time of year to see the northern lights?",
)] + [
    ("Milloin Suomi itsenäistyi?", "fi"),
    ("Kuinka kauan karjalanpiirakoita paistetaan uunissa?", "fi"),
    ("Vem vann Vasaloppet första gången?", "sv"),
    ("Hur länge ska man koka kräftor?", "sv"),
    ("Milyen mély a Balaton?", "hu"),
    ("Ki írta a Himnuszt?", "hu"),
    ("Quanto è alto il Monte Bianco?", "it"),
    ("Come si prepara il risotto alla milanese?", "it"),
]


# ------------------------------------------------------------------------------------------ fetching

def ensure_help(cache: Path) -> Path:
    """The unpacked help folder under `cache`; packages that are missing are downloaded and unpacked."""
    help_root = cache / HELP_SUBDIR
    missing = [lang for lang in PACKAGES if not (help_root / lang / "text").is_dir()]
    if not missing:
        return help_root
    names = [PACKAGES[lang] for lang in missing]
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        sys.exit(f"error: apt-get/dpkg-deb not found; on Debian 12 run `apt-get download {' '.join(names)}` "
                 f"in {cache} and `dpkg-deb -x FILE.deb {cache / 'x'}` for each file")
    cache.mkdir(parents=True, exist_ok=True)
    print(f"downloading {' '.join(names)} into {cache}", file=sys.stderr)
    done = subprocess.run(["apt-get", "download", *names], cwd=cache, check=False)
    if done.returncode != 0:
        sys.exit(f"error: `apt-get download {' '.join(names)}` failed (try `apt-get update` first)")
    for name in names:
        for deb in sorted(cache.glob(f"{name}_*.deb")):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(cache / "x")], check=True)
    still = [lang for lang in PACKAGES if not (help_root / lang / "text").is_dir()]
    if still:
        sys.exit(f"error: no help pages for {', '.join(still)} under {help_root} after unpacking")
    if not package_version(cache).startswith("4:7.4."):
        print(f"warning: help version {package_version(cache)} is not 7.4 (Debian 12): "
              "the corpus will differ", file=sys.stderr)
    return help_root


def package_version(cache: Path) -> str:
    """The Debian version of the help packages, from the cached .deb names (`name_4%3a7.4.7-1_all.deb`)."""
    versions = sorted({urllib.parse.unquote(deb.name.split("_")[1])
                       for name in PACKAGES.values() for deb in cache.glob(f"{name}_*.deb")})
    return ", ".join(versions) or "unknown"


# ------------------------------------------------------------------------------------------ extraction

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "td", "th", "pre", "table", "ul", "ol",
          "dl", "dt", "dd", "blockquote", "section", "article", "caption"}
# Navigation and chrome: the header, the contents/index sidebars, the search and donation frames, the debug
# footer, and the "Related Topics" link lists at the end of a page.
_SKIP_TAGS = {"script", "style", "noscript", "header", "footer", "aside", "nav", "button", "label",
              "template"}
_SKIP_IDS = {"DEBUG", "SearchFrame", "DonationFrame", "Contents", "Index", "Bookmarks"}
_SKIP_CLASSES = {"relatedtopics", "noteicon"}
_BR = "\x00"  # a <br> inside a paragraph: kept as a line break once whitespace is collapsed


@dataclass
class Para:
    """One block of visible text; `pid`: the id of its nearest block element (the same in translations)."""
    pid: str | None
    text: str
    anchor: str | None = None
    pre: bool = False


class _HelpParser(HTMLParser):
    """Collect the visible text of a help page's DisplayArea as paragraphs, and its title.

    Switch variants (`<span hidden class="MAC|WIN|WRITER|...">`) that the help's script shows only on one
    platform or in one module are dropped; the default variant (hidden, no class) is kept.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool, str | None]] = []  # tag, skipped, in DisplayArea, block id
        self.paras: list[Para] = []
        self.buf: list[str] = []
        self.buf_pid: str | None = None
        self.buf_anchor: str | None = None
        self.buf_pre = False
        self.title_tag = ""
        self.in_title = False
        self.h1: str | None = None
        self.h1_buf: list[str] | None = None

    def _state(self) -> tuple[bool, bool, str | None]:
        return self.stack[-1][1:] if self.stack else (False, False, None)

    def _active(self) -> bool:
        skipped, display, _ = self._state()
        return display and not skipped

    def _flush(self) -> None:
        raw = "".join(self.buf)
        if self.buf_pre:
            lines = [line.rstrip() for line in raw.replace("\t", "    ").split("\n")]
            while lines and not lines[0].strip():
                lines.pop(0)
            while lines and not lines[-1].strip():
                lines.pop()
            text = "\n".join(lines)
        else:
            text = "\n".join(" ".join(line.split()) for line in raw.split(_BR) if line.strip())
        if text.strip():
            self.paras.append(Para(self.buf_pid, text, self.buf_anchor, self.buf_pre))
        self.buf, self.buf_anchor, self.buf_pre = [], None, False
        self.buf_pid = self._state()[2]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "title":
            self.in_title = True
        if tag in _VOID:
            if tag == "br" and self._active():
                self.buf.append("\n" if self.buf_pre else _BR)
            return
        skipped, display, pid = self._state()
        classes = set(a.get("class", "").split())
        skipped = (skipped or tag in _SKIP_TAGS or a.get("id") in _SKIP_IDS or bool(classes & _SKIP_CLASSES)
                   or ("hidden" in a and bool(classes)))
        display = display or a.get("id") == "DisplayArea"
        block = tag in _BLOCK
        if block and a.get("id"):
            pid = a["id"]
        self.stack.append((tag, skipped, display, pid))
        if not (display and not skipped):
            return
        if tag == "h1" and self.h1 is None and self.h1_buf is None:
            self._flush()
            self.h1_buf = []
        elif block:
            self._flush()
        if tag == "a" and a.get("name") and not "".join(self.buf).strip():
            self.buf_anchor = a["name"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in _VOID or all(t != tag for t, *_ in self.stack):
            return
        active = self._active()
        while self.stack:
            t, *_ = self.stack.pop()
            if t == tag:
                break
        if tag == "h1" and self.h1_buf is not None and self.h1 is None:
            self.h1 = " ".join("".join(self.h1_buf).split())
            self.h1_buf = None
            self.buf_pid = self._state()[2]
        elif active and tag in _BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_tag += data
        if not self._active():
            return
        if self.h1_buf is not None:
            self.h1_buf.append(data)
            return
        if any(t == "pre" for t, *_ in self.stack):
            self.buf_pre = True
        self.buf.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


@dataclass
class Page:
    """A help page as text: its title and body paragraphs."""
    rel: str
    title: str
    paras: list[Para] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(len(p.text) for p in self.paras)


def clean(text: str) -> str:
    """Spell the characters the PDF font lacks with ones it has (arrows, math signs, invisible marks)."""
    return "".join(TRANSLITERATE.get(ch, ch) for ch in text)


def parse_page(path: Path, rel: str, boilerplate: frozenset[str] = frozenset()) -> Page:
    """Read one help page; paragraphs that are user-interface strings of the help viewer are dropped."""
    parser = _HelpParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    title = clean(" ".join((parser.h1 or parser.title_tag).split())).strip()
    paras = []
    for p in parser.paras:
        text = clean(p.text).strip() if not p.pre else clean(p.text)
        if text.strip() and text.strip() not in boilerplate:
            paras.append(Para(p.pid, text, p.anchor, p.pre))
    return Page(rel, title, paras)


# The anchors of browserhelp.html that name the viewer's own strings: the header ("LibreOffice 7.4 Help",
# "Module", "Contents", "Index"), the donation footer ("Please support us!") and the search box; per language.
_UI_ANCHORS = {"module", "language", "contents", "index", "donate", "LibreOfficeHelp", "copyclip",
               "selectmodule", "selectlanguage", "searchhelpcontents", "noscriptmsg", "pholderall",
               "pholderchosen"}


def viewer_strings(help_root: Path) -> frozenset[str]:
    """The help viewer's header and footer strings in every language, read from each browserhelp.html.

    The static pages carry them outside the DisplayArea (the script fills in the donation footer), so the
    extractor skips them anyway; this set guards against a page that embeds them in its body. Single words
    ("Language", "Index") are left out of it: pages use them as real headings and table cells.
    """
    strings = {"LibreOffice 7.4 Help", "Please support us!"}
    for lang in PACKAGES:
        page = parse_page(help_root / lang / "text/shared/help/browserhelp.html", "browserhelp")
        strings |= {p.text for p in page.paras if p.anchor in _UI_ANCHORS}
    return frozenset(s for s in strings if len(s.split()) > 1 or s.endswith("!"))


# ------------------------------------------------------------------------------------------ English phrasing

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_NOT_GERUNDS = {"heading", "string", "spacing", "padding", "during", "bring", "thing", "ring", "king",
                "spring", "wing", "something", "anything", "everything", "nothing", "morning", "evening",
                "missing"}
_IMPERATIVE_EXTRA = {"choose", "click", "select", "enter", "press", "type", "open", "go", "note", "see",
                     "use", "locate", "ensure", "make", "specify", "drag", "double-click", "right-click",
                     "check", "mark", "let", "lets"}
_FUNCTION_WORDS = {"a", "an", "the", "and", "or", "with", "without", "for", "of", "in", "on", "off", "to",
                   "from", "by", "into", "as", "at", "via", "about"}
_KINDS = r"statement|function|operator|service|object|property|method|keyword|command|constant|event"
_NAMED = re.compile(rf"^(?:(?P<name>\S.*?)\s+(?P<kind>{_KINDS})|(?P<kind2>{_KINDS})\s+(?P<name2>\S+))"
                    rf"(?P<vba>\s*\[VBA\])?$", re.IGNORECASE)


class Phrasing:
    """English question phrasing from statistics of the English help text itself.

    Casing: a title word is lowercased unless the corpus capitalizes it mid-sentence more than twice as
    often as it writes it lowercase ("Cells" -> "cells", but "Calc", "LibreOffice", "PDF" stay). Gerunds:
    "Protecting" becomes the base form among {protecte, protect} that the corpus uses most often.
    """

    def __init__(self, texts: list[str]) -> None:
        self.words: Counter[str] = Counter()
        self.mid: Counter[str] = Counter()
        for text in texts:
            for sentence in re.split(r"(?<=[.!?:;])\s+|\n", text):
                tokens = _WORD.findall(sentence)
                self.words.update(t.lower() for t in tokens)
                self.mid.update(tokens[1:])

    def lower_word(self, word: str) -> str:
        core = word.strip("\"'()[],;:")
        if not core or not core[0].isupper() or any(c.isupper() for c in core[1:]) or not core.isalpha():
            return word
        return word.replace(core, core.lower()) if 2 * self.mid[core.lower()] >= self.mid[core] else word

    def lower_phrase(self, text: str) -> str:
        """Lowercase the common words of a title; a word before a name keeps its capital ("Letter Wizard")."""
        words = text.split()
        out = [self.lower_word(w) for w in words]
        for i in range(len(words) - 2, -1, -1):
            name = out[i + 1]  # kept capitalized for the corpus's sake, not for being "PDF" or "AutoCorrect"
            if (out[i] != words[i] and name == words[i + 1] and name.isalpha() and name.istitle()
                    and out[i].lower() not in _FUNCTION_WORDS and not out[i].endswith(("ing", "ly"))):
                out[i] = words[i]
        return " ".join(out)

    def base_verb(self, word: str) -> str | None:
        w = word.lower()
        if "-" in w:  # "Cross-Fading" -> "cross-fade"
            head, _, tail = w.rpartition("-")
            base = self.base_verb(tail)
            return f"{head}-{base}" if head.isalpha() and base else None
        if not w.endswith("ing") or len(w) < 5 or w in _NOT_GERUNDS or not w.isalpha():
            return None
        stem = w[:-3]
        candidates = [stem + "e", stem] + ([stem[:-1]] if len(stem) > 2 and stem[-1] == stem[-2] else [])
        best = max(candidates, key=lambda c: (self.words[c], -candidates.index(c)))
        return best if self.words[best] > 0 else None

    def is_imperative(self, word: str, min_count: int = 1) -> bool:
        """A verb's base form: "choose", or a word whose -ing form the corpus uses ("locate": "locating")."""
        w = word.lower().strip(",")
        if w in _IMPERATIVE_EXTRA:
            return True
        forms = [w + "ing", w[:-1] + "ing" if w.endswith("e") else "", w + w[-1:] + "ing"]
        return w.isalpha() and not w.endswith("s") and any(f and self.words[f] >= min_count for f in forms)

    def title_question(self, title: str) -> str:
        """"Protecting Cells from Changes" -> "How do I protect cells from changes?"; else a fallback."""
        title = title.strip().rstrip(".:")
        words = title.split()
        if not words:
            return ""
        verbs: list[str] = []
        i = 0
        while i < len(words):  # a run of gerunds: "Copying and Pasting", "Inserting, Editing, Saving Bitmaps"
            token = words[i]
            base = self.base_verb(token.rstrip(","))
            if base is None:
                break
            verbs.append(base + ("," if token.endswith(",") else ""))
            i += 1
            if i < len(words) and words[i].lower() in ("and", "or"):
                if i + 1 < len(words) and self.base_verb(words[i + 1].rstrip(",")):
                    verbs.append(words[i].lower())
                    i += 1
                else:
                    verbs = []
                    break
            elif not token.endswith(","):
                break
        if verbs and not verbs[-1].endswith(","):
            rest = self.lower_phrase(" ".join(words[i:]))
            return f"How do I {' '.join(verbs + ([rest] if rest else []))}?"
        if words[0].lower() == "about" and len(words) > 1:
            return f"What should I know about {self.lower_phrase(' '.join(words[1:]))}?"
        named = _NAMED.match(title)  # "Declare Statement" -> "the Declare statement", "Function OPT_BARRIER"
        if named:
            name, kind = (named["name"], named["kind"]) if named["name"] else (named["name2"], named["kind2"])
            return f"What does the help say about the {name} {kind.lower()}{named['vba'] or ''}?"
        if len(words) == 1:
            return f'What does the help say about "{title}"?'
        if self.is_imperative(words[0], min_count=10):  # a command or dialogue: "Format Cells"
            return f'What is "{title}" for?'
        return f"What does the help say about {self.lower_phrase(title)}?"

    def is_verb_form(self, word: str) -> bool:
        """An imperative ("Choose") or a third-person verb without subject ("Displays", on dialog pages)."""
        forms = (word, word[:-1] if word.endswith("s") else "", word[:-2] if word.endswith("es") else "",
                 word[:-3] + "y" if word.endswith("ies") else "")
        return any(self.is_imperative(w) for w in forms if w)

    def sentence_question(self, sentence: str) -> str:
        """"Protection can be ..." -> "Where does it say that protection can be ...?"."""
        body = _CONNECTIVE.sub("", sentence).rstrip(".").strip()
        first, _, rest = body.partition(" ")
        first = first if first[:1] in "\"'(" else self.lower_word(first)  # a quoted UI string keeps its case
        return f"Where does it say that {first} {rest}?"


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def sentences(text: str) -> list[tuple[int, str]]:
    """Split a paragraph into (offset, sentence)."""
    out, pos = [], 0
    for part in _SENTENCE_END.split(text):
        start = text.find(part, pos)
        out.append((start, part))
        pos = start + len(part)
    return out


# Openers dropped from a sentence before it goes after "Where does it say that".
_CONNECTIVE = re.compile(r"^(For example|For instance|However|Furthermore|Moreover|In addition|Additionally|"
                         r"Also|Alternatively|Therefore|Thus|Otherwise|In this case|Then|Now|Note that|"
                         r"That means that|This means that|That means|This means),?\s+")
# A sentence with none of these has no subject and finite verb of its own ("To sort, select the range.").
_FINITE = {"is", "are", "was", "were", "be", "been", "can", "cannot", "will", "would", "must", "may", "might",
           "should", "could", "has", "have", "had", "does", "do", "did", "you"}


def good_sentence(s: str, phr: Phrasing) -> bool:
    """An ordinary declarative prose sentence of 8-30 words: not an instruction, a list fragment or code."""
    words = s.split()
    core = _CONNECTIVE.sub("", s).split()
    return (8 <= len(words) <= 30 and s.endswith(".") and not s.endswith("..") and s[0].isupper()
            and "\n" not in s and not re.search(r"[?:;=<>{}\[\]$#|\\/*]|e\.g|i\.e|etc\.|^If \w+,", s)
            and bool(core) and not phr.is_verb_form(core[0])
            and not any(phr.is_imperative(w) for w in re.findall(r",\s+(?:then\s+)?(\w+)", s))
            and any(w.lower() in _FINITE for w in core)
            and sum(c.isalpha() or c.isspace() for c in s) > 0.9 * len(s))


# ------------------------------------------------------------------------------------------ pagination

def _wrap(text: str) -> list[str]:
    """Lines as write_pdf would wrap them, but not broken at hyphens ("URL-osoite" would come back from the
    PDF as "URL- osoite"); write_pdf leaves lines this short as they are."""
    return [out for line in text.split("\n")
            for out in textwrap.wrap(line, WRAP_WIDTH, break_on_hyphens=False) or [""]]


def _lines(text: str) -> int:
    return len(_wrap(text))


def _pieces(para: Para) -> list[str]:
    """A paragraph in pieces that each fit on a page (most paragraphs are one piece)."""
    if len(para.text) <= PAGE_CHARS and _lines(para.text) <= PAGE_LINES:
        return [para.text]
    units = para.text.split("\n") if para.pre else [s for _, s in sentences(para.text)]
    sep = "\n" if para.pre else " "
    out: list[str] = []
    for unit in units:
        if out and len(out[-1]) + len(unit) < PAGE_CHARS and _lines(out[-1] + sep + unit) <= PAGE_LINES:
            out[-1] += sep + unit
        else:
            out.append(unit[:PAGE_CHARS])
    return out


def paginate(title: str, paras: list[Para]) -> tuple[list[str], list[int]]:
    """Pages of about PAGE_CHARS characters, split at paragraph boundaries, title on top; and the page of
    each paragraph."""
    pages: list[list[str]] = [[title, ""]]
    where: list[int] = []
    for para in paras:
        for n, piece in enumerate(_pieces(para)):
            cur = pages[-1]
            size = sum(len(t) for t in cur[2 if len(pages) == 1 else 0:])
            if size and (size + len(piece) > PAGE_CHARS or _lines("\n".join(cur + [piece])) > PAGE_LINES):
                pages.append([])
            pages[-1].append(piece)
            if n == 0:
                where.append(len(pages))
    return ["\n".join(_wrap("\n".join(p))) for p in pages], where


# ------------------------------------------------------------------------------------------ corpus

@dataclass
class Topic:
    """A selected help page: the English version, and its file name in the collection."""
    en: Page
    name: str
    lang: str | None = None
    local: Page | None = None


def pdf_name(rel: str) -> str:
    """text/scalc/guide/cell_protect.html -> scalc_cell_protect.pdf."""
    parts = Path(rel).with_suffix("").parts
    return f"{parts[1]}_{parts[-1]}.pdf"


def select_topics(help_root: Path, boilerplate: frozenset[str]) -> list[Topic]:
    """Guide pages plus other pages with at least MIN_OTHER characters of English text, in path order.

    Pages missing in a language, near-empty or very long ones and repeated titles are left out, so that each
    question has one right file; file names that would clash get their sub-folder added.
    """
    en_root = help_root / SOURCE_LANG
    topics: list[Topic] = []
    titles: set[str] = set()
    names: set[str] = set()
    for path in sorted(en_root.glob("text/**/*.html")):
        rel = path.relative_to(en_root).as_posix()
        if rel == "text/shared/help/browserhelp.html":
            continue
        if not all((help_root / lang / rel).is_file() for lang in DOC_LANGS):
            continue
        page = parse_page(path, rel, boilerplate)
        guide = Path(rel).parts[2] == "guide" if len(Path(rel).parts) > 3 else False
        if (page.chars < MIN_BODY or page.chars > MAX_BODY or (not guide and page.chars < MIN_OTHER)
                or not page.title):
            continue
        key = page.title.casefold()
        if key in titles:
            continue
        titles.add(key)
        name = pdf_name(rel)
        if name in names:
            parts = Path(rel).with_suffix("").parts
            name = "_".join(parts[1:]) + ".pdf"
        names.add(name)
        topics.append(Topic(page, name))
    return topics


def _english(text: str, vocabulary: set[str]) -> bool:
    """Mostly words of the English page: untranslated text (en-US where the source is en-GB, so not equal)."""
    words = re.findall(r"\w+", text.casefold())
    return bool(words) and sum(w in vocabulary for w in words) >= 0.75 * len(words)


def translated(en: Page, local: Page) -> bool:
    """The localized page has its own title and at most MAX_UNTRANSLATED of its text is still in English."""
    vocabulary = set(re.findall(r"\w+", "\n".join([en.title, *(p.text for p in en.paras)]).casefold()))
    if local.chars < MIN_BODY or local.title == en.title or _english(local.title, vocabulary):
        return False
    same = sum(len(p.text) for p in local.paras if len(p.text.split()) > 2 and _english(p.text, vocabulary))
    return same <= MAX_UNTRANSLATED * local.chars


def assign(topics: list[Topic], help_root: Path, boilerplate: frozenset[str], seed: int, per_language: int,
           holdout: float) -> tuple[list[Topic], list[Topic]]:
    """Shuffle with the seed, deal topics to the languages in turn (skipping untranslated pages), hold out.

    Held-out topics are drawn like included ones (translated in at least one language); those whose title
    appears in the text of an included topic are passed over, so an absent-near question does not name
    something the collection does contain.
    """
    order = topics[:]
    random.Random(seed).shuffle(order)
    need = dict.fromkeys(DOC_LANGS, per_language)
    included: list[Topic] = []
    rest: list[Topic] = []
    for topic in order:
        if not any(need.values()):
            rest.append(topic)
            continue
        start = len(included) % len(DOC_LANGS)
        for lang in DOC_LANGS[start:] + DOC_LANGS[:start]:
            if not need[lang]:
                continue
            local = parse_page(help_root / lang / topic.en.rel, topic.en.rel, boilerplate)
            if translated(topic.en, local):
                topic.lang, topic.local = lang, local
                need[lang] -= 1
                included.append(topic)
                break
        else:
            rest.append(topic)
    if any(need.values()):
        print(f"warning: too few translated topics; short by {dict(need)}", file=sys.stderr)
    text = "\n".join(p.text.casefold() for t in included for p in t.en.paras)
    held: list[Topic] = []
    n_held = round(holdout * len(included))
    for topic in rest:
        if len(held) >= n_held:
            break
        if topic.en.title.casefold() not in text and any(
                translated(topic.en, parse_page(help_root / lang / topic.en.rel, topic.en.rel, boilerplate))
                for lang in DOC_LANGS):
            held.append(topic)
    included.sort(key=lambda t: (t.lang, t.name))
    held.sort(key=lambda t: t.name)
    return included, held


def pick_sentence(topic: Topic, counts: Counter[str], phr: Phrasing) -> tuple[str, int] | None:
    """The good English sentence nearest the middle of the page that no other page has; and its PDF page.

    The page is where the localized paragraph with the same element id lands in the PDF (translations keep the
    ids); without such a paragraph it is the page at the same relative position, which is approximate.
    """
    en = topic.en
    total = max(1, en.chars)
    pos, best = 0, None
    for para in en.paras:
        if not para.pre:
            for off, s in sentences(para.text):
                if counts[s] == 1 and good_sentence(s, phr):
                    dist = abs((pos + off + len(s) / 2) / total - 0.5)
                    if best is None or dist < best[0]:
                        best = (dist, s, para.pid, (pos + off) / total)
        pos += len(para.text)
    if best is None:
        return None
    _, s, pid, rel_pos = best
    pages, where = paginate(topic.local.title, topic.local.paras)
    for para, page in zip(topic.local.paras, where):
        if pid and para.pid == pid:
            return s, page
    return s, min(len(pages), 1 + int(rel_pos * len(pages)))


def question(text: str, file: str | None, page: int | None, qlang: str, dlang: str | None, kind: str) -> dict:
    """One line of questions.jsonl."""
    return {"question": text, "file": file, "page": page, "question_language": qlang,
            "document_language": dlang, "kind": kind}


def unencodable(text: str) -> Counter[str]:
    """Characters the PDF writer turns into "?"."""
    return Counter(ch for ch in text if ch != "?" and ch not in "\n" and _encode(ch) == b"?")


def build(out: Path, cache: Path, seed: int, per_language: int, holdout: float) -> None:
    """Write the corpus and the questions into `out`, and print a summary."""
    t0 = time.time()
    help_root = ensure_help(cache)
    boilerplate = viewer_strings(help_root)
    topics = select_topics(help_root, boilerplate)
    included, held = assign(topics, help_root, boilerplate, seed, per_language, holdout)
    phr = Phrasing([p.text for t in topics for p in t.en.paras] + [t.en.title for t in topics])
    counts = Counter(s for t in topics for p in t.en.paras for _, s in sentences(p.text))

    docs = out / "docs"
    if docs.exists():
        shutil.rmtree(docs)
    pages_per_lang: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    manifest = []
    questions: list[dict] = []
    for topic in included:
        local = topic.local
        pages, _ = paginate(local.title, local.paras)
        write_pdf(docs / topic.lang / topic.name, pages, title=local.title)
        pages_per_lang[topic.lang] += len(pages)
        missing.update(unencodable("\n".join(pages)))
        manifest.append({"file": topic.name, "language": topic.lang, "source": topic.en.rel,
                         "title": local.title, "title_en": topic.en.title, "pages": len(pages)})
        questions.append(question(phr.title_question(topic.en.title), topic.name, 1, "en", topic.lang,
                                  "title-en"))
        picked = pick_sentence(topic, counts, phr)
        if picked:
            questions.append(question(phr.sentence_question(picked[0]), topic.name, picked[1], "en",
                                      topic.lang, "sentence-en"))
        local_q = local.title if local.title.endswith("?") else local.title.rstrip(".:") + "?"
        questions.append(question(local_q, topic.name, 1, topic.lang, topic.lang, "title-local"))
    for topic in held:
        questions.append(question(phr.title_question(topic.en.title), None, None, "en", None, "absent-near"))
    for text, lang in OFF_TOPIC:
        questions.append(question(text, None, None, lang, None, "absent-off"))
    kinds = list(KINDS)
    questions.sort(key=lambda q: kinds.index(q["kind"]))  # stable: keeps document order within a kind

    def dump(path: Path, rows: list[dict]) -> None:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")

    out.mkdir(parents=True, exist_ok=True)
    dump(out / "questions.jsonl", questions)
    for kind in KINDS:
        dump(out / f"questions-{kind}.jsonl", [q for q in questions if q["kind"] == kind])
    dump(out / "documents.jsonl", manifest)
    per_kind = Counter(q["kind"] for q in questions)
    docs_per_lang = Counter(t.lang for t in included)
    write_readme(out, cache, (seed, per_language, holdout), len(topics), docs_per_lang, pages_per_lang,
                 per_kind)

    rows = [(lang, str(docs_per_lang[lang]), str(pages_per_lang[lang])) for lang in DOC_LANGS]
    rows.append(("total", str(sum(docs_per_lang.values())), str(sum(pages_per_lang.values()))))
    print(table(("language", "PDFs", "PDF pages"), rows))
    print()
    print(table(("kind", "questions"), [(k, str(per_kind[k])) for k in KINDS]
                + [("total", str(len(questions)))]))
    if missing:
        shown = ", ".join(f"U+{ord(c):04X} {c!r} x{n}" for c, n in missing.most_common(12))
        print(f"\ncharacters the PDF font cannot show (written as '?'): {shown}")
    print(f"\n{len(topics)} candidate topics, {len(held)} held out; wrote {out} in {time.time() - t0:.1f} s")


def table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(row: tuple[str, ...]) -> str:
        return " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    return "\n".join([line(head), "-+-".join("-" * w for w in widths), *map(line, rows)])


def write_readme(out: Path, cache: Path, args: tuple[int, int, float], candidates: int,
                 docs: Counter[str], pages: Counter[str], kinds: Counter[str]) -> None:
    """Describe the corpus: source, licence, how it was made, counts."""
    seed, per_language, holdout = args
    lang_rows = "\n".join(f"| {lang} | {docs[lang]} | {pages[lang]} |" for lang in DOC_LANGS)
    kind_rows = "\n".join(f"| {kind} | {kinds[kind]} | {desc} |" for kind, desc in KINDS.items())
    text = f"""# Multilingual evaluation corpus: LibreOffice 7.4 help

Generated by `benchmarks/eval_corpus.py OUT_DIR --seed {seed} --per-language {per_language} \
--holdout {holdout}`; the same arguments give the same files.

## Source and licence

The text is the LibreOffice 7.4 help, (c) The Document Foundation and contributors, licensed under the
Mozilla Public License 2.0 (MPL-2.0, https://mozilla.org/MPL/2.0/). It was taken from the Debian packages
{", ".join(PACKAGES.values())} (version {package_version(cache)}), which
ship the help as parallel HTML pages per language. The PDFs are a rendering of that text (the visible body
text and title of each page; navigation, scripts and related-topic link lists removed) and are covered by the
same licence.

## How it was made

- Candidates: all `text/*/guide/*.html` pages plus other pages with at least {MIN_OTHER} characters of English
  text; near-empty pages, pages over {MAX_BODY} characters and repeated titles left out: {candidates} topics.
- With seed {seed} the topics were shuffled and dealt to the document languages fi, sv, hu, it in turn,
  {per_language} per language, skipping a language whose translation of the page is missing or mostly English
  (the Finnish and Swedish help leave many reference pages untranslated, so those languages get more guide
  pages). Each topic is in the collection once, in one language.
- A further {holdout:.0%} as many topics were held out: not rendered; their English titles are the
  `absent-near` questions. A related page in the collection may still touch on such a topic.
- Each page is split into PDF pages of about {PAGE_CHARS} characters at paragraph boundaries, title on top of
  page 1, written with `assistant.samples.write_pdf` (Helvetica, WinAnsi plus Hungarian ő ű). Characters
  that font lacks (a few Cyrillic, Arabic and CJK examples) come out as "?".
- `sentence-en` pages: the page of the localized paragraph with the same element id as the English one
  (translations keep the ids), else the same relative position in the document (approximate).

## Layout

- `docs/<lang>/<module>_<stem>.pdf`; `documents.jsonl` lists each file with its source page, titles and pages.
- `questions.jsonl` and `questions-<kind>.jsonl`: `question`, `file` (base name, or null), `page` (1-based,
  or null), `question_language`, `document_language` (or null), `kind`.

| language | PDFs | PDF pages |
|---|---:|---:|
{lang_rows}

| kind | questions | meaning |
|---|---:|---|
{kind_rows}
"""
    (out / "README.md").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path, help="output folder")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--per-language", type=int, default=100, help="documents per language (fi, sv, hu, it)")
    ap.add_argument("--holdout", type=float, default=0.2, help="held-out topics, as a share of included ones")
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    ap.add_argument("--cache", type=Path, default=cache_home / "archive-assistant" / "lohelp",
                    help="where the .deb files are downloaded and unpacked (default: %(default)s)")
    args = ap.parse_args(argv)
    build(args.out, args.cache, args.seed, args.per_language, args.holdout)


if __name__ == "__main__":
    main()
