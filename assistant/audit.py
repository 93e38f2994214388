"""The audit record of an answer: everything needed to say later how it was made, as one JSON file.

What it holds: the question and the answer (with its markers), when, which program; the language model
(name, GGUF file and its SHA-256, or the remote server's URL and model name), the embedding model, the
collection; every passage given to the model (chunk id, file, page, text, score) and the SHA-256 each
file had when it was indexed; the SHA-256 of the exact prompt sent; the settings that shaped the answer;
the refusal decision, the verification of each sentence, the citations; the timings.

`check_files` hashes the files again, so a record shows whether its sources changed since. A chat
export in JSON is a list of these records (`{"records": [...]}`); `load_records` reads either.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError
from assistant.types import Answer, Message

FORMAT = 1
KIND = "assistant-answer-record"
# The settings that shape an answer, kept in its record.
SHAPING = ("top_k", "temperature", "top_p", "max_answer_tokens", "n_ctx", "min_score", "refusal_margin",
           "constrained_citations", "chunk_tokens", "chunk_overlap_tokens", "backend", "remote_grammar")


def prompt_hash(messages: list[Message]) -> str:
    """SHA-256 of the messages as sent (role and content, in order), canonical JSON."""
    canonical = json.dumps([{"role": m["role"], "content": m["content"]} for m in messages],
                           ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def build_record(answer: Answer, *, collection: str, settings: dict[str, Any], language_model: dict,
                 embedding_model: dict, file_hashes: dict[str, str], version: str) -> dict:
    t = answer.timings
    refused = answer.refused
    return {
        "kind": KIND, "format": FORMAT, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "program": {"name": "assistant", "version": version},
        "question": answer.question, "answer": answer.text, "found": answer.found,
        "collection": collection,
        "language_model": language_model, "embedding_model": embedding_model,
        "prompt_sha256": answer.prompt_hash or None,
        "constrained": answer.constrained or None, "notice": answer.notice or None,
        "incomplete": answer.incomplete or None,
        "passages": [{"n": i, "chunk_id": h.chunk.id, "file": h.chunk.file, "page": h.chunk.page,
                      "file_sha256": file_hashes.get(h.chunk.file), "score": round(h.score, 4),
                      "text": h.chunk.text} for i, h in enumerate(answer.retrieved, 1)],
        "citations": [asdict(c) for c in answer.citations],
        "verified": answer.verified or None,
        "sentences": [{"text": c.text, "citations": list(c.citations), "support": c.support, "score": c.score,
                       "missing": list(c.missing), "corrected_from": list(c.corrected_from) or None}
                      for c in answer.sentences],
        "refused": None if refused is None or refused.answer else {
            "reason": refused.reason, "score": refused.score, "threshold": round(refused.threshold, 4)},
        "settings": {k: settings[k] for k in SHAPING if k in settings},
        "timings": asdict(t),
    }


def save_record(record: dict, directory: str | Path) -> Path:
    """Write `record` into `directory` as <time>-<hash>.json, whole or not at all."""
    folder = Path(directory).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"cannot create the record folder {folder}: {e.strerror}; give a folder you can "
                          "write to with --record") from None
    text = json.dumps(record, ensure_ascii=False, indent=2)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    path = folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{digest}.json"
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"cannot write the answer record to {folder}: {e.strerror}") from None
    return path


def load_records(path: str | Path) -> list[dict]:
    """The records in a record file, or in a chat exported as JSON."""
    p = Path(path).expanduser()
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file; give a record written by `assistant ask --record DIR` or a "
                          "chat exported as JSON from the app") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    except ValueError as e:
        raise ConfigError(f"{p}: not JSON ({e}); give a record written by `assistant ask --record DIR`") from None
    records = data.get("records") if isinstance(data, dict) and "records" in data else [data]
    if not isinstance(records, list) or not all(isinstance(r, dict) and r.get("kind") == KIND for r in records):
        raise ConfigError(f"{p}: not an answer record (no \"kind\": \"{KIND}\"); give a record written by "
                          "`assistant ask --record DIR` or a chat exported as JSON from the app")
    newer = [r for r in records if not isinstance(r.get("format"), int) or r["format"] > FORMAT]
    if newer:
        raise ConfigError(f"{p}: record format {newer[0].get('format')!r} is newer than this program reads "
                          f"({FORMAT}); update the assistant to show it")
    return records


@dataclass(frozen=True)
class FileCheck:
    file: str
    status: str  # unchanged | changed | missing | unreadable | unknown (the record has no hash for it)
    recorded: str | None
    now: str | None = None


def check_files(record: dict) -> list[FileCheck]:
    """Each file a passage came from, hashed again and compared with the hash in the record."""
    from indexers.files import file_sha256

    out, seen = [], set()
    for p in record.get("passages", []):
        file, recorded = p.get("file"), p.get("file_sha256")
        if not file or file in seen:
            continue
        seen.add(file)
        try:
            now = file_sha256(file)
        except FileNotFoundError:
            out.append(FileCheck(file, "missing", recorded))
            continue
        except OSError:
            out.append(FileCheck(file, "unreadable", recorded))
            continue
        status = "unknown" if not recorded else "unchanged" if now == recorded else "changed"
        out.append(FileCheck(file, status, recorded, now))
    return out


class HashCache:
    """SHA-256 of large files (GGUF models) remembered by path, size and modification time, so an 8B
    model is hashed once, not at every answer. Kept as JSON in the data dir."""

    def __init__(self, path: Path):
        self.path = path

    def sha256(self, file: str) -> str:
        from indexers.files import file_sha256

        st = os.stat(file)
        key = f"{os.path.abspath(file)}|{st.st_size}|{st.st_mtime_ns}"
        try:
            known = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        if key not in known:
            known = {k: v for k, v in known.items() if not k.startswith(os.path.abspath(file) + "|")}
            known[key] = file_sha256(file)
            tmp = self.path.with_name(self.path.name + ".tmp")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_text(json.dumps(known, indent=1), encoding="utf-8")
                os.replace(tmp, self.path)
            except OSError:
                pass  # a cache that cannot be written only costs time
        return known[key]


def answer_from_record(record: dict) -> Answer:
    """The Answer a record describes, so that it is shown exactly as `assistant ask` showed it."""
    from assistant.types import Chunk, Citation, Hit, SentenceCheck, Timings

    try:
        passages = tuple(Hit(Chunk(p["chunk_id"], p["file"], p["page"], 0, len(p["text"]), p["text"]), p["score"])
                         for p in record.get("passages", []))
        sentences = tuple(SentenceCheck(text=c["text"], citations=tuple(c["citations"]), support=c["support"],
                                        score=c.get("score"), missing=tuple(c.get("missing") or ()),
                                        corrected_from=tuple(c.get("corrected_from") or ()))
                          for c in record.get("sentences", []))
        citations = tuple(Citation(**c) for c in record.get("citations", []))
        known = {f for f in Timings.__dataclass_fields__}
        timings = Timings(**{k: v for k, v in (record.get("timings") or {}).items() if k in known})
        lm = record.get("language_model") or {}
        return Answer(question=record["question"], text=record["answer"], found=bool(record["found"]),
                      citations=citations, retrieved=passages, backend=lm.get("backend", ""),
                      model=lm.get("model", ""), timings=timings, sentences=sentences,
                      verified=record.get("verified") or "", constrained=record.get("constrained") or "",
                      notice=record.get("notice") or "", prompt_hash=record.get("prompt_sha256") or "")
    except (KeyError, TypeError) as e:
        raise ConfigError(f"an answer record is incomplete ({type(e).__name__}: {e}); it was not written by "
                          "`assistant ask --record` or was edited") from None
