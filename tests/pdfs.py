"""Bad PDFs the tests need, made with our sample writer and pypdf."""

from __future__ import annotations

import zlib
from pathlib import Path

import pypdf

from assistant.samples import write_pdf


def encrypted(path: Path) -> Path:
    src = write_pdf(path.with_suffix(".plain.pdf"), ["Secret minutes of the board."])
    writer = pypdf.PdfWriter(clone_from=str(src))
    writer.encrypt(user_password="secret", owner_password="owner")
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
    """A page whose 1 MB content stream inflates to `megabytes` MB."""
    comp = zlib.compressobj(9)
    block = b" " * (1 << 20)
    data = b"".join(comp.compress(block) for _ in range(megabytes)) + comp.flush()
    write_pdf(path, [], streams=[b"BT /F1 12 Tf 72 700 Td (bomb) Tj ET"], compress=False)
    return _replace_stream(path, data)


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
