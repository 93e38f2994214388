"""Is this text worth indexing? Degenerate text (a run of one letter, a few characters repeated, mostly
unprintable bytes) scores deceptively high against any question and crowds real passages out."""

from __future__ import annotations

import re
import zlib

_RUN = re.compile(r"([^\W_])\1{19,}")  # a letter or digit 20 times in a row
_WORD = re.compile(r"[^\W_]{100,}")  # 100 letters or digits without a space, hyphen or punctuation
_SPACED = "\u0e00"  # scripts before Thai write spaces between words; Thai, CJK and others do not


def degenerate(text: str) -> str:
    """Why `text` is junk ("" when it is not)."""
    stripped = "".join(text.split())
    if not stripped:
        return ""
    printable = sum(ch.isalnum() or ch in ".,;:!?'\"()[]-–—/%&+*=<>#@€$§°" for ch in stripped)
    if printable / len(stripped) < 0.7:
        return "mostly unprintable characters"
    if sum(len(m.group(0)) for m in _RUN.finditer(stripped)) > len(stripped) / 2:
        return "a long run of one character"
    data = stripped.encode("utf-8")
    if len(data) >= 200 and len(zlib.compress(data, 6)) / len(data) < 0.12:
        return "the same few characters repeated"
    if len(stripped) >= 60 and len(set(stripped)) <= 3:
        return "the same few characters repeated"
    if sum(len(w) for w in _WORD.findall(text) if max(w) < _SPACED) > len(stripped) / 2:
        # no word is this long: a code, a blob, or text that lost its spaces; an embedder reads such a
        # run as one unknown token, and a few hundred equal vectors hide every other passage in the index
        return "an unbroken 'word' of over 100 letters"
    return ""
