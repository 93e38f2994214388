"""Pages -> chunks sized for the embedder. Chunks never cross a page, so every chunk cites one page."""

from __future__ import annotations

import functools
import hashlib
from typing import TYPE_CHECKING, Callable, Iterable

from indexers.records import Chunk, Page

if TYPE_CHECKING:  # imported when a splitter is made, so that searching never loads it (0.6 s)
    from langchain_text_splitters import RecursiveCharacterTextSplitter

SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


def make_splitter(chunk_tokens: int, overlap_tokens: int,
                  count_tokens: Callable[[str], int] | None) -> "RecursiveCharacterTextSplitter":
    """A recursive splitter measuring length in embedder tokens (or ~4 characters a token without one)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    overlap = min(overlap_tokens, chunk_tokens // 2)
    if count_tokens is None:
        return RecursiveCharacterTextSplitter(chunk_size=chunk_tokens * 4, chunk_overlap=overlap * 4,
                                              separators=SEPARATORS, keep_separator="end",
                                              add_start_index=True)
    return RecursiveCharacterTextSplitter(chunk_size=chunk_tokens, chunk_overlap=overlap,
                                          length_function=_remember_short(count_tokens),
                                          separators=SEPARATORS, keep_separator="end", add_start_index=True)


def _remember_short(count_tokens: Callable[[str], int]) -> Callable[[str], int]:
    """Text without spaces (a long word, CJK) is split into single characters, each measured about three
    times: remembering short pieces chunks a 100,000-character word in 0.2 s instead of 23 s."""
    short = functools.lru_cache(maxsize=65536)(count_tokens)
    return lambda text: short(text) if len(text) <= 8 else count_tokens(text)


def chunk_id(file_hash: str, file: str, page: int, start: int) -> str:
    """Stable id: the same file content at the same path always gives the same ids."""
    key = f"{file}\x00{file_hash}\x00{page}\x00{start}".encode()
    return hashlib.sha1(key).hexdigest()


def chunk_pages(pages: Iterable[Page], file_hash: str,
                splitter: "RecursiveCharacterTextSplitter") -> list[Chunk]:
    chunks, ids = [], set()
    for page in pages:
        last = -1
        for doc in splitter.create_documents([page.text]):
            text = doc.page_content.strip()
            if not text:
                continue
            start = doc.metadata["start_index"]
            if start < 0 or start <= last:  # not located, or located at an earlier copy of repeated text
                found = page.text.find(text, last + 1)
                start = found if found >= 0 else max(0, page.text.find(text))
            else:
                start += len(doc.page_content) - len(doc.page_content.lstrip())
            last = start
            cid = chunk_id(file_hash, page.file, page.number, start)
            if cid in ids:  # the same text at the same place twice: still one id per chunk
                cid = chunk_id(file_hash, page.file, page.number, start + 1_000_000 * len(chunks))
            ids.add(cid)
            chunks.append(Chunk(id=cid, file=page.file, page=page.number, char_start=start,
                                char_end=start + len(text), text=text))
    return chunks
