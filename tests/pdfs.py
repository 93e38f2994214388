"""Bad PDFs the tests need, made with our sample writer and pypdf."""

from __future__ import annotations

import os
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path

import pypdf

from assistant.samples import write_pdf


def encrypted(path: Path, user_password: str = "secret", text: str = "Secret minutes of the board.") -> Path:
    """Encrypted with a user password (it cannot be opened without it), or with "" an owner password only."""
    src = write_pdf(path.with_suffix(".plain.pdf"), [text])
    writer = pypdf.PdfWriter(clone_from=str(src))
    writer.encrypt(user_password=user_password, owner_password="owner")
    with open(path, "wb") as fh:
        writer.write(fh)
    src.unlink()
    return path


def truncated(path: Path) -> Path:
    full = write_pdf(path.with_suffix(".full.pdf"), ["A page of text that will be cut."] * 3)
    data = full.read_bytes()
    full.unlink()
    path.write_bytes(data[:200])
    return path


def zero_bytes(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def not_a_pdf(path: Path) -> Path:
    path.write_text("This is a plain text file that someone renamed to .pdf\n" * 20)
    return path


def image_only(path: Path) -> Path:
    """One page that only paints a small grey image: what a scan without OCR looks like."""
    w = h = 8
    img = zlib.compress(bytes([128]) * (w * h))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> "
            b"/Contents 4 0 R >>"]
    content = b"q 500 0 0 700 40 60 cm /Im1 Do Q"
    objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objs.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (w, h, len(img))
                + img + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def decompression_bomb(path: Path, megabytes: int = 600) -> Path:
    """A page whose content stream (about 1 KB a MB) inflates to `megabytes` MB of spaces."""
    write_pdf(path, [], streams=[b"BT /F1 12 Tf 72 700 Td (bomb) Tj ET"], compress=False)
    return _replace_stream(path, _deflated_spaces(megabytes))


def _deflated_spaces(megabytes: int) -> bytes:
    """A zlib stream of `megabytes` MiB of spaces, made in seconds even for gigabytes: after a full flush
    the compressor starts afresh, so every further MiB compresses to the same bytes."""
    block = b" " * (1 << 20)
    comp = zlib.compressobj(9)
    first = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    end = comp.flush()[:-4]  # the final empty block; its checksum covered two MiB only
    adler = 1
    for _ in range(megabytes):
        adler = zlib.adler32(block, adler)
    return first + again * (megabytes - 1) + end + adler.to_bytes(4, "big")


def _replace_stream(path: Path, deflated: bytes) -> Path:
    raw = path.read_bytes()
    start = raw.index(b"<< /Length")
    end = raw.index(b"endstream", start) + len(b"endstream")
    obj = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(deflated) + deflated + b"\nendstream"
    raw = raw[:start] + obj + raw[end:]
    path.write_bytes(_fix_xref(raw))
    return path


def _fix_xref(raw: bytes) -> bytes:
    """Recompute object offsets after editing a file."""
    import re

    body = raw[: raw.index(b"xref\n")]
    offsets = [m.start() for m in re.finditer(rb"(?m)^\d+ 0 obj\n", body)]
    trailer = raw[raw.index(b"trailer"):]
    trailer = trailer[: trailer.index(b"startxref")]
    xref = b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    xref += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return body + xref + trailer + b"startxref\n%d\n%%%%EOF\n" % len(body)


def slow_to_parse(path: Path, operators: int = 150_000) -> Path:
    """A valid page with so many text operators that extraction takes seconds."""
    ops = b"BT /F1 8 Tf 0 0 Td " + b"(x) Tj 0.001 0 Td " * operators + b"ET"
    return write_pdf(path, [], streams=[ops])


def owner_password_only(path: Path) -> Path:
    """Encrypted with an owner password only (printing and copying restricted): opens without one."""
    return encrypted(path, "", "Owner password only: the pilot station opened 1871.")


def deeply_nested(path: Path, depth: int = 100_000, kind: str = "array") -> Path:
    """A page dictionary holding an array (or dictionary) nested `depth` levels deep."""
    opening, closing = (b"[", b"]") if kind == "array" else (b"<< /A ", b" >>")
    write_pdf(path, ["The text of a page with a deeply nested object."])
    raw = path.read_bytes().replace(b"/Type /Page /Parent", b"/Deep " + opening * depth + b"1"
                                    + closing * depth + b" /Type /Page /Parent", 1)
    path.write_bytes(_fix_xref(raw))
    return path


def deep_page_tree(path: Path, depth: int = 1000) -> Path:
    """One page under `depth` levels of /Pages nodes."""
    page, font, content = depth + 2, depth + 3, depth + 4
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for i in range(depth):
        me, kid = 2 + i, (3 + i if i < depth - 1 else page)
        parent = b"/Parent %d 0 R " % (me - 1) if i else b""
        objs.append(b"<< /Type /Pages %s/Kids [%d 0 R] /Count 1 >>" % (parent, kid))
    objs.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> "
                b">> /Contents %d 0 R >>" % (depth + 1, font, content))
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    text = b"BT /F1 12 Tf 72 700 Td (A page at the bottom of a deep tree) Tj ET"
    objs.append(b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    for i, body in enumerate(objs, 1):
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    out += b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n0\n%%%%EOF\n" % (
        len(objs) + 1)
    path.write_bytes(_fix_xref(bytes(out)))
    return path


def nul_bytes(path: Path) -> Path:
    """NUL bytes inside the page's text."""
    text = b"BT /F1 12 Tf 72 700 Td (Tide\000tables of the \000\000harbour pilots, 1899) Tj ET"
    return write_pdf(path, [], streams=[text])


def long_word(path: Path, chars: int = 100_000) -> Path:
    """One page holding a single word of `chars` letters (no spaces), not a repeated pattern."""
    import random

    rng = random.Random(chars)
    word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(chars)).encode()
    return write_pdf(path, [], streams=[b"BT /F1 12 Tf 72 700 Td (" + word + b") Tj ET"])


def many_pages(path: Path, pages: int = 2000) -> Path:
    """A long text PDF: one short, distinct paragraph a page."""
    cargo = ("timber", "salt", "grain", "coal")
    return write_pdf(path, [f"Ledger page {i}. The harbour master recorded ship number {i} arriving from "
                            f"port {i % 97} with a cargo of {cargo[i % 4]}." for i in range(1, pages + 1)])


@dataclass(frozen=True)
class BadInput:
    """One file of the bad-input matrix: what it is, and how `assistant index` should end on it
    (`expect`: indexed, failed or skipped; `words`: what the reason, or an indexed file's note, says)."""

    name: str
    case: str
    expect: str
    words: tuple[str, ...] = ()


GOOD = "good.pdf"
DELETED = "deleted.pdf"


def bad_input_matrix(folder: Path, *, pages: int = 2000, bomb_mb: int = 4096) -> list[BadInput]:
    """Every kind of bad input in one folder, plus one good sample PDF (`good.pdf`).

    Two need the run's help (`index_argv`): `deleted.pdf` is deleted after it is listed, before it is
    read; `unreadable.pdf` (chmod 000) is only unreadable to a user without CAP_DAC_OVERRIDE.
    """
    from assistant.samples import SAMPLES

    folder.mkdir(parents=True, exist_ok=True)
    f = folder
    zero_bytes(f / "empty.pdf")
    not_a_pdf(f / "renamed.pdf")
    truncated(f / "truncated.pdf")
    encrypted(f / "encrypted.pdf")
    owner_password_only(f / "owner_password.pdf")
    image_only(f / "scan.pdf")
    decompression_bomb(f / "bomb.pdf", megabytes=bomb_mb)
    deeply_nested(f / "nested_arrays.pdf", kind="array")
    deeply_nested(f / "nested_dicts.pdf", kind="dict")
    deep_page_tree(f / "deep_page_tree.pdf")
    many_pages(f / "many_pages.pdf", pages)
    nul_bytes(f / "nul_bytes.pdf")
    long_word(f / "long_word.pdf")
    os.mkfifo(f / "fifo.pdf")
    os.symlink("/dev/zero", f / "dev_zero.pdf")
    os.symlink(f / "nowhere.pdf", f / "broken_link.pdf")
    write_pdf(f / "unreadable.pdf", ["A locked file about the lighthouse keepers of 1905."]).chmod(0)
    write_pdf(f / DELETED, ["A file that is gone before it is read."])
    write_pdf(f / GOOD, SAMPLES["en/harbour_archive_report_1923.pdf"])
    unreadable = BadInput("unreadable.pdf", "unreadable (chmod 000)", "failed", ("cannot read", "permission"))
    if not can_lock_files():
        unreadable = BadInput("unreadable.pdf", "unreadable (chmod 000), read as root", "indexed")
    return [
        BadInput("empty.pdf", "0-byte file", "failed", ("empty", "0 bytes")),
        BadInput("renamed.pdf", "text renamed .pdf", "failed", ("not a pdf",)),
        BadInput("truncated.pdf", "truncated PDF", "failed", ("broken pdf",)),
        BadInput("encrypted.pdf", "user password", "failed", ("encrypted", "password")),
        BadInput("owner_password.pdf", "owner password only", "indexed"),
        BadInput("scan.pdf", "image-only page (a grey square)", "failed",
                 ("no readable text", "blank page") if shutil.which("tesseract") else ("image-only", "ocr")),
        BadInput("bomb.pdf", f"decompression bomb ({bomb_mb // 1024} GB)", "failed",
                 ("too large", "decompression bomb")),
        BadInput("nested_arrays.pdf", "100k nested arrays", "failed", ("nested too deeply",)),
        BadInput("nested_dicts.pdf", "100k nested dictionaries", "failed", ("nested too deeply",)),
        BadInput("deep_page_tree.pdf", "page tree 1,000 levels deep", "failed", ("nested too deeply",)),
        BadInput("many_pages.pdf", f"{pages:,} pages", "indexed"),
        BadInput("nul_bytes.pdf", "NUL bytes in the text", "indexed"),
        BadInput("long_word.pdf", "one 100,000-character word", "indexed", ("degenerate", "unbroken")),
        BadInput("fifo.pdf", "FIFO named x.pdf", "skipped", ("named pipe",)),
        BadInput("dev_zero.pdf", "symlink to /dev/zero", "skipped", ("device", "/dev/zero")),
        BadInput("broken_link.pdf", "broken symlink", "skipped", ("broken link",)),
        unreadable,
        BadInput(DELETED, "deleted after listing", "failed", ("cannot read", "disappeared during the run")),
        BadInput(GOOD, "good sample", "indexed"),
    ]


_DROP_READ_ANYTHING = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                       "--bounding-set=-dac_override,-dac_read_search"]


def can_lock_files() -> bool:
    """Whether `index_argv` runs as a user that a chmod 000 file keeps out: not root, or root that can
    drop the capabilities that let it read anything (setpriv)."""
    import shutil
    import subprocess

    if os.geteuid() != 0:
        return True
    if not shutil.which("setpriv"):
        return False
    return subprocess.run([*_DROP_READ_ANYTHING, "true"], capture_output=True, check=False).returncode == 0


_DELETE_HOOK = """
import os, runpy, sys
import indexers.pdf as pdf
gone, parse_ahead = os.environ["BAD_INPUTS_DELETE"], pdf.parse_ahead
def hooked(paths, **options):
    for p in paths:
        if os.path.basename(p) == gone and os.path.lexists(p):
            os.unlink(p)
    return parse_ahead(paths, **options)
pdf.parse_ahead = hooked
runpy.run_module("assistant", run_name="__main__", alter_sys=True)
"""


def index_argv(*args: str) -> tuple[list[str], dict[str, str]]:
    """argv and extra env for the real `python -m assistant index ...` on a `bad_input_matrix` folder:
    `deleted.pdf` is deleted after indexing listed and checked it, just before parsing (a hook around
    indexers.pdf.parse_ahead), and root runs without the capabilities to read a chmod 000 file."""
    import sys

    prefix = _DROP_READ_ANYTHING if os.geteuid() == 0 and can_lock_files() else []
    return [*prefix, sys.executable, "-c", _DELETE_HOOK, "index", *args], {"BAD_INPUTS_DELETE": DELETED}
