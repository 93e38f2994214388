"""Is a collection's vector index whole? Checks of Chroma's HNSW files that never load them.

Chroma keeps each collection's vectors in an HNSW segment folder (header.bin, data_level0.bin,
length.bin, link_lists.bin, index_metadata.pickle) named in its chroma.sqlite3. A kill in the middle of a
write can leave them truncated or missing (chroma #7238), and Chroma then raises a bare internal error,
or answers queries from a broken graph without a word. Here the files are read as plain bytes: the header
against the collection's dimension, each file's size against the element count the header gives, and the
link lists walked to their end. Loading a damaged index in-process can crash the caller outright, so the
query that tests an index whose writer was killed (`probe`) runs in a child process.
"""

from __future__ import annotations

import os
import sqlite3
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

HEADER_BYTES = 100  # hnswlib's persisted header, as Chroma's fork writes it (format version 1)


@dataclass(frozen=True)
class Segment:
    collection: str  # Chroma's name for it (store.chroma_name)
    folder: Path
    dimension: int
    records: int  # vectors Chroma's own tables hold for it


def segments(chroma_dir: Path, names: Sequence[str]) -> list[Segment]:
    """The vector segments of these Chroma collections, read from chroma.sqlite3 (only read, but opened for
    writing: after a kill, SQLite rolls back the hot journal a killed writer left, as Chroma's own open does)."""
    db_path = chroma_dir / "chroma.sqlite3"
    if not db_path.is_file() or not names:
        return []
    db = sqlite3.connect(str(db_path), timeout=30)
    try:
        marks = ",".join("?" * len(names))
        rows = db.execute(
            "SELECT c.name, c.dimension, s.id, "
            " (SELECT COUNT(*) FROM embeddings e JOIN segments m ON e.segment_id = m.id "
            "  WHERE m.collection = c.id AND m.scope = 'METADATA') "
            f"FROM segments s JOIN collections c ON s.collection = c.id WHERE s.scope = 'VECTOR' AND c.name IN ({marks})",
            tuple(names)).fetchall()
    finally:
        db.close()
    return [Segment(name, chroma_dir / seg_id, int(dim or 0), int(n)) for name, dim, seg_id, n in rows]


def damage(segment: Segment, walk_links: bool = True) -> str:
    """What is wrong with `segment`'s files ("" when nothing is). `walk_links`: also read every element's
    link list (about a second per million vectors); without, sizes and the header only."""
    folder = segment.folder
    if not folder.is_dir():
        if segment.records:
            return f"its vector folder {folder.name} is missing ({segment.records} vectors recorded)"
        return ""  # nothing written yet
    header = folder / "header.bin"
    if not header.is_file():
        return f"header.bin is missing in {folder.name}" if segment.records else ""
    raw = header.read_bytes()
    if len(raw) != HEADER_BYTES:
        return f"header.bin is {len(raw)} bytes, not {HEADER_BYTES}"
    version, = struct.unpack_from("<i", raw, 0)
    _, capacity, count, per_element, label_offset, data_offset = struct.unpack_from("<6Q", raw, 4)
    max_level, entry = struct.unpack_from("<2i", raw, 52)
    max_m, max_m0, _m = struct.unpack_from("<3Q", raw, 60)
    links_per_element = max_m * 4 + 4
    if version != 1 or count > capacity or data_offset != max_m0 * 4 + 4 \
            or (segment.dimension and label_offset != data_offset + segment.dimension * 4) or per_element != label_offset + 8 \
            or (count and not 0 <= entry < count) or max_level < -1 or max_level > 64:
        return "header.bin does not describe an index of this collection (damaged header)"
    sizes = {name: (folder / name).stat().st_size if (folder / name).is_file() else -1
             for name in ("data_level0.bin", "length.bin", "link_lists.bin", "index_metadata.pickle")}
    if sizes["data_level0.bin"] < count * per_element or sizes["data_level0.bin"] % per_element:
        return f"data_level0.bin is {max(sizes['data_level0.bin'], 0)} bytes, {count} vectors need {count * per_element}"
    if sizes["length.bin"] < count * 4:
        return f"length.bin is {max(sizes['length.bin'], 0)} bytes, {count} vectors need {count * 4}"
    if sizes["link_lists.bin"] < count * 4:
        return f"link_lists.bin is {max(sizes['link_lists.bin'], 0)} bytes, {count} vectors need at least {count * 4}"
    if count and sizes["index_metadata.pickle"] <= 0:
        return "index_metadata.pickle is missing or empty"
    if walk_links and count:
        problem = _walk(folder / "link_lists.bin", count, links_per_element, max_level)
        if problem:
            return problem
    return ""


def _walk(path: Path, count: int, per_level: int, max_level: int) -> str:
    """Each element's link list is a 4-byte size (levels x `per_level`) then that many bytes."""
    data = path.read_bytes()
    at, end = 0, len(data)
    for i in range(count):
        if at + 4 > end:
            return f"link_lists.bin ends at element {i} of {count} (truncated)"
        size, = struct.unpack_from("<I", data, at)
        if size % per_level or size // per_level > max_level:
            return f"link_lists.bin is damaged at element {i} (a link list of {size} bytes)"
        at += 4 + size
    if at != end:
        return (f"link_lists.bin is truncated ({end} bytes, {at} needed)" if at > end
                else f"link_lists.bin has {end - at} bytes more than its {count} elements hold")
    return ""


def check(chroma_dir: Path, names: Sequence[str], walk_links: bool = True) -> str:
    """The first problem found in these Chroma collections' files, named ("" when none)."""
    try:
        found = segments(chroma_dir, names)
    except sqlite3.Error as e:
        return f"chroma.sqlite3 cannot be read ({e})"
    for segment in found:
        problem = damage(segment, walk_links)
        if problem:
            return problem
    return ""


def probe(chroma_dir: Path, names: Sequence[str], timeout_s: float = 120.0) -> str:
    """Open these collections in a child process and query a few of their own vectors back: what went
    wrong ("" when each came back as its own nearest neighbour). A crash there is reported, not shared."""
    code = ("import sys; from assistant.store_check import _probe_here; "
            "sys.exit(_probe_here(sys.argv[1], sys.argv[2:]))")
    root = Path(__file__).resolve().parent.parent
    try:
        done = subprocess.run([sys.executable, "-c", code, str(chroma_dir), *names], capture_output=True,
                              text=True, timeout=timeout_s, cwd=str(root),
                              env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    except subprocess.TimeoutExpired:
        return f"opening the index did not finish in {timeout_s:.0f} s"
    if done.returncode == 0:
        return ""
    if done.returncode < 0:
        return f"opening the index crashed the process that tried it (signal {-done.returncode})"
    lines = [line for line in done.stdout.splitlines() + done.stderr.splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"opening the index failed (exit {done.returncode})"


def _probe_here(chroma_dir: str, names: list[str]) -> int:
    """In the child: query each collection with a few of its stored vectors; 1 with a line saying why."""
    import numpy as np

    from assistant.store import chroma_client

    client = chroma_client(Path(chroma_dir))
    for name in names:
        try:
            col = client.get_collection(name)
        except Exception:
            continue  # never written
        try:
            n = col.count()
            if not n:
                continue
            got = col.get(limit=5, include=["embeddings"])
            for cid, vector in zip(got["ids"], got["embeddings"]):
                res = col.query(query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=min(10, n),
                                include=["distances"])
                found = dict(zip(res["ids"][0], res["distances"][0]))
                if cid not in found or found[cid] > 1e-3:
                    print(f"a stored vector is not found again by its own query in {name} (the index is damaged)")
                    return 1
        except Exception as e:  # Chroma's own error: the index cannot be read
            print(f"reading {name} failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
            return 1
    return 0
