"""Chats kept per collection (JSON in the data dir), so conversations survive a restart; Markdown export.

A turn stores what the user saw: the question, the answer text with its [n] markers, the cited sources
(or, when the model cited nothing, the passages it was given), and how it ended (stopped, failed).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from assistant.collections import check_name
from assistant.errors import ConfigError
from assistant.types import Answer, Citation
from assistant.verification import sentence_spans, unsupported_line


@dataclass(frozen=True)
class Turn:
    question: str
    text: str
    found: bool = True
    cited: bool = True  # False: `sources` are the retrieved passages (numbered 1..k), not citations
    sources: tuple[Citation, ...] = ()
    model: str = ""
    error: str = ""
    stopped: bool = False
    at: float = 0.0
    verified: str = ""  # all | partial | none; "" when not checked (assistant/verification.py)
    unsupported: tuple[str, ...] = ()  # the sentences no cited passage supports, as the user reads them
    record: dict | None = None  # the answer's audit record (assistant/audit.py), exported with the chat as JSON
    # (start, end, why) of each sentence in `text` that no cited passage supports (the app underlines them)
    marks: tuple[tuple[int, int, str], ...] = ()
    incomplete: str = ""  # why the answer broke off midway, when it did

    @classmethod
    def from_answer(cls, answer: Answer, stopped: bool = False, record: dict | None = None) -> "Turn":
        flagged = [(c, span) for c, span in zip(answer.sentences, sentence_spans(answer.text))
                   if c.support == "unsupported" or (c.support == "uncited" and answer.citations)]
        if answer.citations:
            sources = tuple(Citation(c.n, c.file, c.page, c.quote, round(c.score, 4), c.supported)
                            for c in answer.citations)
        else:
            sources = tuple(Citation(i, h.chunk.file, h.chunk.page, h.chunk.text, round(h.score, 4))
                            for i, h in enumerate(answer.retrieved, 1))
        return cls(question=answer.question, text=answer.text, found=answer.found,
                   cited=bool(answer.citations), sources=sources if answer.found else (),
                   model=f"{answer.backend}: {answer.model}", stopped=stopped, at=time.time(),
                   verified=answer.verified if answer.found else "",
                   unsupported=tuple(unsupported_line(c) for c, _ in flagged), record=record,
                   marks=tuple((a, b, unsupported_line(c)) for c, (a, b) in flagged) if answer.found else (),
                   incomplete=answer.incomplete)

    @classmethod
    def failed(cls, question: str, error: str) -> "Turn":
        return cls(question=question, text="", found=False, error=error, at=time.time())


@dataclass
class Chat:
    id: str
    title: str
    created: float
    turns: list[Turn] = field(default_factory=list)

    def history(self) -> list[tuple[str, str]]:
        """(question, answer) pairs a follow-up question builds on; failed and empty turns left out."""
        return [(t.question, t.text) for t in self.turns if t.text and not t.error]


class ChatStore:
    """`chats/<collection>.json` under the data dir: that collection's chats, newest last."""

    def __init__(self, data_dir: Path):
        self.dir = data_dir / "chats"

    def _file(self, collection: str) -> Path:
        name = check_name(collection)
        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}", name):  # the names of earlier versions: as they were
            return self.dir / f"{name}.json"
        return self.dir / f"u-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:24]}.json"  # any other name

    def load(self, collection: str) -> list[Chat]:
        path = self._file(collection)
        if not path.is_file():
            return []
        known = {f.name for f in fields(Turn)}  # a newer version's extra fields are left out, not fatal
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return [Chat(c["id"], c["title"], c["created"],
                         [Turn(**{**{k: v for k, v in t.items() if k in known},
                                  "sources": tuple(Citation(**s) for s in t["sources"]),
                                  "unsupported": tuple(t.get("unsupported", ())),
                                  "marks": tuple(tuple(m) for m in t.get("marks", ()))}) for t in c["turns"]])
                    for c in raw["chats"]]
        except (ValueError, KeyError, TypeError) as e:
            kept = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(path, kept)  # never overwritten by the next save
            raise ConfigError(f"{path}: unreadable chat history ({e}); it was kept as {kept.name} and this "
                              "collection starts a new one") from None

    def save(self, collection: str, chats: list[Chat]) -> None:
        path = self._file(collection)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        data = {"chats": [{"id": c.id, "title": c.title, "created": c.created,
                           "turns": [asdict(t) for t in c.turns]} for c in chats]}
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)

    def delete(self, collection: str) -> None:
        self._file(collection).unlink(missing_ok=True)

    def rename(self, old: str, new: str) -> None:
        if self._file(old).is_file():
            os.replace(self._file(old), self._file(new))


def new_chat(title: str = "") -> Chat:
    return Chat(id=uuid.uuid4().hex[:12], title=title, created=time.time())


LABELS = {"q": "Q:", "error": "Error:", "none": "(no answer)", "stopped": "(stopped before the end)",
          "sources": "Sources:", "retrieved": "Retrieved passages (not citations):", "page": "p.",
          "chat": "Chat", "collection": "Collection:",
          "unsupported": "Not found in the passages they cite (unverified):",
          "incomplete": "Incomplete, the answer broke off:"}


def turn_to_markdown(turn: Turn, labels: dict[str, str] = LABELS) -> str:
    """One question and its answer with sources, as Markdown a user can paste into notes.

    `labels` are the fixed words, so the desktop app can pass them translated.
    """
    L = {**LABELS, **labels}
    lines = [f"**{L['q']}** {turn.question}", ""]
    if turn.error:
        lines += [f"*{L['error']}* {turn.error}", ""]
    else:
        lines += [turn.text.strip() or f"*{L['none']}*", ""]
        if turn.stopped:
            lines += [f"*{L['stopped']}*", ""]
        if turn.incomplete:
            lines += [f"*{L['incomplete']} {turn.incomplete}*", ""]
        if turn.unsupported:
            lines += [f"*{L['unsupported']}*", "", *(f"- {u}" for u in turn.unsupported), ""]
        if turn.sources:
            lines += [f"**{L['sources'] if turn.cited else L['retrieved']}**", ""]
            for s in turn.sources:
                quote = " ".join(s.quote.split())
                lines.append(f"{s.n}. {Path(s.file).name}, {L['page']} {s.page} — “{quote}”  ")
                lines.append(f"   `{s.file}`")
            lines.append("")
    return "\n".join(lines)


def chat_to_records(chat: Chat, collection: str) -> dict:
    """The chat as JSON for an archive's files: every answer's audit record, in order (`assistant show`
    reads it). Turns from before records were kept, and failed ones, have none and are left out."""
    return {"kind": "assistant-chat-export", "title": chat.title, "collection": collection,
            "records": [t.record for t in chat.turns if t.record]}


def chat_to_markdown(chat: Chat, collection: str, labels: dict[str, str] = LABELS) -> str:
    L = {**LABELS, **labels}
    parts = [f"# {chat.title or L['chat']}", "", f"{L['collection']} {collection}", ""]
    for turn in chat.turns:
        parts += [turn_to_markdown(turn, labels), "---", ""]
    return "\n".join(parts)
