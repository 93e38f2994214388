"""Scanned pages -> text with word positions: each page rendered (pypdfium2) and read by Tesseract.

Tesseract runs as a program, one page per call, in the parsing worker that reads the file, so it shares
that worker's memory cap, and a cancel or a timeout that kills the worker kills the page being read (on
Linux the child is told to die with its parent). It prints TSV: one row per word with its box and
confidence; the page's text is the words joined by lines and paragraphs, and each word keeps its character
span in that text and its box in page points (origin top left, as the viewer draws), so a cited passage
can be highlighted over the scan.

A page that holds no ink is "blank"; one where the engine finds no words it is sure of (a photo, a
drawing, handwriting) is "no readable text": both are reported and never indexed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

from indexers.quality import degenerate

MODES = ("auto", "off", "always")
DPI = 300
MAX_PIXELS = 60_000_000  # a poster-sized page is read at a lower resolution
# what languages.py can tell apart, by Tesseract's names for them
TESSERACT_LANGUAGES = {"en": "eng", "fi": "fin", "sv": "swe", "hu": "hun", "it": "ita", "de": "deu",
                       "fr": "fra", "es": "spa", "nl": "nld", "et": "est"}
FORMAT = 1  # of what the cache holds per page; a change reads every scan again
MIN_CONFIDENCE = 50.0  # mean word confidence (0-100) below which a page's text is not trusted
INK = 0.0005  # share of dark pixels below which a page is blank


class OcrCancelled(Exception):
    pass


@dataclass(frozen=True)
class Engine:
    """An installed Tesseract: its program, version and language data."""

    command: str
    version: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class OcrConfig:
    """How scanned pages are read. `languages` empty: chosen per file (see `choose_languages`)."""

    mode: str = "auto"
    command: str = ""  # the Tesseract program; "" when none is installed (then nothing is OCR'd)
    version: str = ""
    languages: str = ""  # "fin+swe+eng", or "" for automatic
    installed: tuple[str, ...] = ()
    dpi: int = DPI
    cache_dir: str = ""
    problem: str = ""  # why scanned pages cannot be read here (no engine, no language data), with the fix

    @property
    def active(self) -> bool:
        return self.mode != "off" and bool(self.command)

    def key(self) -> str:
        """What the cached text depends on: engine version, languages asked for, resolution, format."""
        basis = f"{FORMAT}|{self.version}|{self.languages or 'auto:' + '+'.join(self.installed)}|{self.dpi}"
        return hashlib.sha256(basis.encode()).hexdigest()[:12]

    def label(self) -> str:
        return f"tesseract {self.version}, {self.languages or 'languages chosen per file'}, {self.dpi} dpi"


@dataclass(frozen=True)
class Word:
    start: int  # character span in the page text
    end: int
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in page points, origin top left


@dataclass(frozen=True)
class OcrPage:
    """One page as read: its text and words, or a `reason` it has none worth indexing."""

    number: int
    text: str = ""
    words: tuple[Word, ...] = ()
    confidence: float = 0.0
    languages: str = ""
    reason: str = ""
    seconds: float = 0.0
    extra: dict = field(default_factory=dict, compare=False)

    def to_json(self) -> dict:
        return {"format": FORMAT, "number": self.number, "text": self.text, "confidence": self.confidence,
                "languages": self.languages, "reason": self.reason, "seconds": round(self.seconds, 3),
                "words": [[w.start, w.end, *w.box] for w in self.words]}

    @classmethod
    def from_json(cls, data: dict) -> "OcrPage":
        words = tuple(Word(int(w[0]), int(w[1]), (float(w[2]), float(w[3]), float(w[4]), float(w[5])))
                      for w in data.get("words", ()))
        return cls(int(data["number"]), str(data.get("text", "")), words, float(data.get("confidence", 0)),
                   str(data.get("languages", "")), str(data.get("reason", "")), float(data.get("seconds", 0)))


# ---- the engine: found, described, and how to install it

_WELL_KNOWN = {
    "win32": [r"C:\Program Files\Tesseract-OCR\tesseract.exe", r"C:\Program Files (x86)\Tesseract-OCR\tesseract.exe"],
    "darwin": ["/opt/homebrew/bin/tesseract", "/usr/local/bin/tesseract", "/opt/local/bin/tesseract"],
}


_FOUND: dict[str, tuple[float, tuple]] = {}
FOUND_FOR_S = 20.0  # an engine installed while the app runs is seen within this


def find_engine(command: str = "") -> tuple[Engine | None, str]:
    """The Tesseract to use (`command`, else the one on PATH or in its usual install folder), or None and
    why not, with the command that installs one. Looked up again after FOUND_FOR_S seconds."""
    import time

    now = time.monotonic()
    seen = _FOUND.get(command)
    if seen is not None and now - seen[0] < FOUND_FOR_S:
        return seen[1]
    found = _find_engine(command)
    _FOUND[command] = (now, found)
    return found


def _find_engine(command: str) -> tuple[Engine | None, str]:
    path = shutil.which(command) if command else shutil.which("tesseract")
    if not path and not command:
        path = next((p for p in _WELL_KNOWN.get(sys.platform, ()) if os.path.isfile(p)), None)
    if not path:
        where = f"'{command}' is not a program" if command else "no OCR engine (Tesseract) is installed"
        return None, f"{where}; install one: {install_command()}"
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
        langs = subprocess.run([path, "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        return None, f"the OCR engine {path} does not run ({e}); install it again: {install_command()}"
    first = (out.stdout or out.stderr).strip().splitlines()
    match = re.search(r"(\d+\.\d+(\.\d+)?)", first[0] if first else "")
    if out.returncode != 0 or not match:
        return None, f"{path} is not Tesseract ({' '.join(first[:1]) or 'no version'}); set ocr_command"
    names = tuple(sorted(line.strip() for line in langs.stdout.splitlines()[1:]
                         if line.strip() and line.strip() not in ("osd", "equ", "snum")))
    return Engine(path, match.group(1), names), ""


def install_command(languages: tuple[str, ...] = ("fin", "swe", "hun", "ita", "eng")) -> str:
    """The one command that installs Tesseract with `languages` on this system."""
    if sys.platform == "darwin":
        return "brew install tesseract tesseract-lang"
    if sys.platform == "win32":
        return "winget install UB-Mannheim.TesseractOCR (tick the languages you need in its installer)"
    if shutil.which("apt-get"):
        return "sudo apt-get install tesseract-ocr " + " ".join(f"tesseract-ocr-{lang}" for lang in languages)
    if shutil.which("dnf"):
        return "sudo dnf install tesseract " + " ".join(f"tesseract-langpack-{lang}" for lang in languages)
    if shutil.which("pacman"):
        return "sudo pacman -S tesseract " + " ".join(f"tesseract-data-{lang}" for lang in languages)
    return "install Tesseract 4 or newer with its language data (https://tesseract-ocr.github.io)"


def language_install_command(missing: tuple[str, ...]) -> str:
    if sys.platform.startswith("linux") and shutil.which("apt-get"):
        return "sudo apt-get install " + " ".join(f"tesseract-ocr-{lang}" for lang in missing)
    return install_command(missing)


def configure(mode: str, languages: str, *, command: str = "", cache_dir: str = "", dpi: int = DPI) -> OcrConfig:
    """An OcrConfig from the settings and what is installed; `problem` says what is missing."""
    if mode == "off":
        return OcrConfig(mode="off", cache_dir=cache_dir, dpi=dpi)
    engine, why = find_engine(command)
    if engine is None:
        return OcrConfig(mode=mode, cache_dir=cache_dir, dpi=dpi, problem=why)
    wanted = tuple(lang for lang in re.split(r"[+,\s]+", languages.strip()) if lang)
    missing = tuple(lang for lang in wanted if lang not in engine.languages)
    problem = ""
    if missing:
        problem = (f"OCR language data not installed: {', '.join(missing)}; install it: "
                   f"{language_install_command(missing)}")
        wanted = tuple(lang for lang in wanted if lang in engine.languages)
        if not wanted:
            return OcrConfig(mode=mode, cache_dir=cache_dir, dpi=dpi, problem=problem)
    known = tuple(lang for lang in engine.languages if lang in TESSERACT_LANGUAGES.values())
    if not wanted and not known:
        return OcrConfig(mode=mode, cache_dir=cache_dir, dpi=dpi,
                         problem=f"the OCR engine has no language data; install some: {install_command()}")
    return OcrConfig(mode=mode, command=engine.command, version=engine.version, languages="+".join(wanted),
                     installed=known or engine.languages, dpi=dpi, cache_dir=cache_dir, problem=problem)


def choose_languages(config: OcrConfig, first_text: str = "") -> str:
    """Tesseract's -l for a page. Asked-for languages are used as they are. Otherwise the file's first
    scanned page is read with every installed language languages.py knows (about 1.8x slower than one), and
    the rest of the file with the language that page's text is in, and English."""
    if config.languages:
        return config.languages
    everything = "+".join(config.installed)
    if not first_text:
        return everything
    from indexers.languages import detect

    lang = TESSERACT_LANGUAGES.get(detect(first_text), "")
    if not lang or lang not in config.installed:
        return everything
    return "+".join(dict.fromkeys(x for x in (lang, "eng") if x in config.installed))


# ---- which pages need it

_BAD = re.compile("[\ufffd\ue000-\uf8ff\x00-\x08\x0b\x0c\x0e-\x1f]")


def needs_ocr(text: str, has_image: bool, mode: str) -> bool:
    """Whether a page is read by OCR: always; or (auto) when its text layer is missing, mostly characters no
    font maps (a broken encoding), or a few characters or junk over a picture. Junk without a picture (a
    100,000-letter word) is not: OCR would read the same junk; the chunk filter leaves it out."""
    if mode == "off":
        return False
    if mode == "always":
        return True
    stripped = "".join(text.split())
    if not stripped:
        return True
    if len(_BAD.findall(stripped)) > 0.1 * len(stripped):
        return True
    # over a picture: a scan with a stamp or a header line, or with a bad OCR layer of its own
    return has_image and (len(stripped) < 40 or bool(degenerate(text)))


def garbage_reason(text: str) -> str:
    stripped = "".join(text.split())
    if len(_BAD.findall(stripped)) > 0.1 * len(stripped):
        return "unreadable characters (a broken font encoding)"
    return degenerate(text)


# ---- reading one page

def render(document, index: int, dpi: int):
    """The page as a greyscale PIL image, and the scale from pixels to points."""
    page = document[index]
    try:
        w, h = page.get_size()
        scale = dpi / 72
        if w * h * scale * scale > MAX_PIXELS:
            scale = (MAX_PIXELS / (w * h)) ** 0.5
        return page.render(scale=scale, grayscale=True).to_pil().convert("L"), scale
    finally:
        page.close()


def _prctl():
    """libc's prctl, looked up here and not between fork and exec (where loading a library may hang)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    if _PRCTL is not None:
        _PRCTL(1, 9)  # PR_SET_PDEATHSIG, SIGKILL: a worker killed (cancel, timeout) takes its page with it


def run_tesseract(command: str, image, languages: str, dpi: int, timeout_s: float) -> str:
    """TSV of `image` (a PIL image) read with `languages`."""
    import io

    buf = io.BytesIO()
    image.save(buf, "PPM")  # uncompressed: no time spent packing what Tesseract unpacks at once
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # the workers already use every core, one page each
    kwargs = {"preexec_fn": _die_with_parent} if _PRCTL is not None else {}
    proc = subprocess.Popen([command, "stdin", "stdout", "-l", languages, "--psm", "3", "--dpi", str(dpi), "tsv"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            **kwargs)
    try:
        out, err = proc.communicate(buf.getvalue(), timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise TimeoutError(f"OCR of one page took longer than {timeout_s:g} s") from None
    if proc.returncode != 0:
        detail = " ".join(err.decode("utf-8", "replace").split())[:200]
        raise RuntimeError(f"the OCR engine failed ({detail or f'exit code {proc.returncode}'})")
    return out.decode("utf-8", "replace")


def ink(image) -> float:
    """Share of dark pixels."""
    hist = image.histogram()
    return sum(hist[:128]) / max(1, sum(hist))


def words_from_tsv(tsv: str, scale: float) -> tuple[str, tuple[Word, ...], float]:
    """The page text (words by line, lines by paragraph), its words and their mean confidence weighted by
    length. Boxes are turned from pixels into points."""
    parts: list[str] = []
    words: list[Word] = []
    confidence, weight = 0.0, 0
    at, last = 0, None
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        try:
            conf = float(cols[10])
            left, top, width, height = (int(c) for c in cols[6:10])
        except ValueError:
            continue
        if not text or conf < 0:
            continue
        line = (cols[2], cols[3], cols[4])  # block, paragraph, line
        if last is not None:
            sep = " " if line == last else ("\n" if line[:2] == last[:2] else "\n\n")
            parts.append(sep)
            at += len(sep)
        last = line
        parts.append(text)
        box = (round(left / scale, 1), round(top / scale, 1), round((left + width) / scale, 1),
               round((top + height) / scale, 1))
        words.append(Word(at, at + len(text), box))
        at += len(text)
        confidence += conf * len(text)
        weight += len(text)
    return "".join(parts), tuple(words), (confidence / weight if weight else 0.0)


def judge(text: str, confidence: float, dark: float) -> str:
    """Why a read page is not worth indexing ("" when it is)."""
    if dark < INK:
        return "blank page"
    letters = sum(ch.isalpha() for ch in text)
    if letters < 10:
        return "no text found (a picture or an empty form?)"
    if sum(len(w) for w in re.findall(r"[^\W\d_]{31,}", text)) > letters / 2:
        return "no readable text (letters without words)"
    if confidence < MIN_CONFIDENCE:
        return f"no readable text (OCR confidence {confidence:.0f} of 100: a photo, a drawing or handwriting?)"
    why = degenerate(text)
    return f"no readable text ({why})" if why else ""


def read_page(document, index: int, config: OcrConfig, languages: str, timeout_s: float) -> OcrPage:
    """OCR one page (0-based `index`) of an open pypdfium2 document."""
    import time

    start = time.monotonic()
    image, scale = render(document, index, config.dpi)
    dark = ink(image)
    if dark < INK:
        return OcrPage(index + 1, languages=languages, reason="blank page", seconds=time.monotonic() - start)
    tsv = run_tesseract(config.command, image, languages, round(scale * 72), timeout_s)
    text, words, confidence = words_from_tsv(tsv, scale)
    reason = judge(text, confidence, dark)
    if reason:
        text, words = "", ()
    return OcrPage(index + 1, text, words, round(confidence, 1), languages, reason, time.monotonic() - start)

