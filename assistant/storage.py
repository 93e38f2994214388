"""What a failed write in the data dir means for the user: a full disk, or a read-only data dir.

Chroma, SQLite and the file system each say it their own way (Chroma's "Error in compaction: Failed to
apply logs to the metadata segment" names neither); the disk itself is asked. A run stopped by either
leaves what was indexed before as it was, and the next run goes on where it stopped (the ledger marks a
file pending before its chunks are written).
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

FULL_BELOW_BYTES = 2 << 20  # a write that failed with less free than this failed for want of room


def problem(e: BaseException, data: Path) -> str:
    """The user's one-line message for `e` raised while writing under `data` ("" when the disk is not the
    cause)."""
    text = f"{e} {e.__cause__ or ''}".lower()
    code = getattr(e, "errno", None)
    where = data if data.exists() else next((p for p in data.parents if p.exists()), data)
    try:
        free = shutil.disk_usage(where).free
    except OSError:
        free = None
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly database" in text or \
            "read-only file system" in text or not os.access(where, os.W_OK):
        return (f"the data dir {data} cannot be written (read-only, or no permission): the index can be "
                "neither written nor opened there (Chroma writes when it opens); make it writable, or copy it "
                "to a writable place and set data_dir (ASSISTANT_DATA_DIR) to that")
    if code == errno.ENOSPC or "disk is full" in text or "no space left" in text or \
            (free is not None and free < FULL_BELOW_BYTES):
        room = f"{free / 2**20:.1f} MB free" if free is not None else "no room left"
        return (f"the disk holding the data dir {data} is full ({room}): free some space, or set data_dir "
                "(ASSISTANT_DATA_DIR) to a disk with room, then run `assistant index` again; it goes on where it "
                "stopped, and what was indexed before is kept")
    return ""
