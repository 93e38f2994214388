"""Constrained generation: a GBNF grammar that makes every sentence of an answer end with `[n]` markers
pointing at the passages given, or the whole answer the not-found reply.

The format is a property of decoding, not a hope: llama.cpp (llama-cpp-python here, llama.cpp's server,
vLLM's `structured_outputs`) masks every token that would leave the grammar. What the grammar cannot
decide is whether a sentence is true: `assistant/verification.py` does that after generation.

Bounds, because a small model under a bare "end with a marker" grammar strings markers together
(`[2] [3] [1] [2]`) and runs one sentence to the token limit:
- each sentence is 1..MAX_SENTENCE_CHARS characters of text, then one or two markers and . ! or ?
  (either order: "... 1921 [1]." or "... 1921. [1]");
- the text holds no `[` or `]` (markers only where the grammar puts them), no line break and no full
  stop: a model that wants to end its sentence must cite first (a "." inside the text made the bundled
  model write "1.1.1.1..." to stay in the sentence);
- at most MAX_SENTENCES sentences.
"""

from __future__ import annotations

import re

from assistant.prompting import NOT_FOUND_SENTINEL

MAX_SENTENCES = 6
MAX_SENTENCE_CHARS = 300
MAX_MARKERS = 2
MIN_SENTENCE_CHARS = 12


def citation_grammar(n_passages: int, *, max_sentences: int = MAX_SENTENCES,
                     max_sentence_chars: int = MAX_SENTENCE_CHARS, max_markers: int = MAX_MARKERS) -> str:
    """The GBNF for an answer over passages 1..n_passages (n_passages >= 1)."""
    if n_passages < 1:
        raise ValueError("a citation grammar needs at least one passage")
    numbers = " | ".join(f'"{i}"' for i in range(1, n_passages + 1))
    return "\n".join([
        'root ::= notfound | answer',
        f'notfound ::= "{NOT_FOUND_SENTINEL}"',
        f'answer ::= sentence (sep sentence){{0,{max_sentences - 1}}}',
        'sep ::= " " | "\\n"',
        f'sentence ::= first char{{{MIN_SENTENCE_CHARS - 1},{max_sentence_chars - 1}}} (cites end | end cites)',
        # the first character: not a space, a marker or a sentence end
        'first ::= [^ \\t\\n\\[\\]().!?]',
        'char ::= [^\\n\\[\\].!?]',
        f'cites ::= " " marker{{1,{max_markers}}}',
        'marker ::= "[" num "]"',
        f'num ::= {numbers}',
        'end ::= [.!?]',
    ]) + "\n"


def follows(text: str, n_passages: int, *, max_sentences: int = MAX_SENTENCES,
            max_sentence_chars: int = MAX_SENTENCE_CHARS, max_markers: int = MAX_MARKERS) -> bool:
    """Whether `text` is in the grammar's language: how a server that silently ignored the grammar shows."""
    return bool(_pattern(n_passages, max_sentences, max_sentence_chars, max_markers).fullmatch(text))


def _pattern(n: int, max_sentences: int, max_chars: int, max_markers: int) -> re.Pattern:
    marker = "(?:\\[(?:" + "|".join(str(i) for i in range(n, 0, -1)) + ")\\])"
    cites = f" {marker}{{1,{max_markers}}}"
    sentence = (f"[^ \\t\\n\\[\\]().!?][^\\n\\[\\].!?]{{{MIN_SENTENCE_CHARS - 1},{max_chars - 1}}}"
                f"(?:{cites}[.!?]|[.!?]{cites})")
    return re.compile(f"{NOT_FOUND_SENTINEL}|{sentence}(?:[ \\n]{sentence}){{0,{max_sentences - 1}}}")
