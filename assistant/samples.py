"""Sample documents for the offline demo and the tests: multi-page PDFs in five languages.

A minimal PDF writer (Helvetica, WinAnsi plus the Hungarian double-acute letters) so the samples need no
font files or extra packages; pypdf reads them like any text PDF.
"""

from __future__ import annotations

import textwrap
import zlib
from pathlib import Path
from typing import Sequence

# Unused WinAnsi codes carry the letters Hungarian needs; named in the font's /Differences.
_EXTRA = {"ő": (0x81, "ohungarumlaut"), "Ő": (0x8D, "Ohungarumlaut"), "ű": (0x8F, "uhungarumlaut"),
          "Ű": (0x90, "Uhungarumlaut")}


def _encode(text: str) -> bytes:
    out = bytearray()
    for ch in text:
        if ch in _EXTRA:
            out.append(_EXTRA[ch][0])
            continue
        try:
            b = ch.encode("cp1252")
        except UnicodeEncodeError:
            b = b"?"
        out += b
    return bytes(out).replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def page_stream(text: str, *, size: float = 11, leading: float = 15, width: int = 88) -> bytes:
    lines: list[str] = []
    for para in text.split("\n"):
        lines.extend(textwrap.wrap(para, width) or [""])
    ops = [b"BT", f"/F1 {size} Tf {leading} TL 56 790 Td".encode()]
    for line in lines:
        ops.append(b"(" + _encode(line) + b") Tj T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def write_pdf(path: str | Path, pages: Sequence[str], *, title: str = "",
              streams: Sequence[bytes] | None = None, compress: bool = True) -> Path:
    """Write a PDF with one page per text (or per raw content stream in `streams`)."""
    path = Path(path)
    contents = list(streams) if streams is not None else [page_stream(t) for t in pages]
    objs: list[bytes] = []  # object i+1
    n = len(contents)
    font_id, pages_id = 3, 2
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    diffs = " ".join(f"{code} /{name}" for code, name in _EXTRA.values())
    objs.append(f"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding "
                f"/BaseEncoding /WinAnsiEncoding /Differences [{diffs}] >> >>".encode())
    for i, data in enumerate(contents):
        objs.append(f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 595 842] /Resources << /Font << "
                    f"/F1 {font_id} 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode())
        if compress:
            data = zlib.compress(data)
            objs.append(f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data
                        + b"\nendstream")
        else:
            objs.append(f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream")
    info = None
    if title:
        # a text string outside the page: UTF-16BE with its byte order mark, so any letter survives
        objs.append(b"<< /Title <" + ("\ufeff" + title).encode("utf-16-be").hex().upper().encode()
                    + b"> /Producer (assistant samples) >>")
        info = len(objs)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    trailer = f"<< /Size {len(objs) + 1} /Root 1 0 R" + (f" /Info {info} 0 R" if info else "") + " >>"
    out += f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    return path


# name -> pages. Each fact sits on a known page, so tests and the demo can check the cited page.
SAMPLES: dict[str, list[str]] = {
    "en/harbour_archive_report_1923.pdf": [
        "Annual Report of the Harbour Archive, 1923\n"
        "This report describes the work of the Harbour Archive during the year 1923. The archive keeps the "
        "records of the port authority, the customs office and the shipping companies of the city.",
        "Reading room\n"
        "The reading room was closed from 4 March to 30 April 1923 while electric lighting was installed. "
        "During the rest of the year it received 2,310 visits, most of them by genealogists and students "
        "of maritime history.",
        "Acquisitions\n"
        "The archive received 1,240 volumes of customs records from the port office. The oldest volume "
        "dates from 1788. A fire in the storage room of the customs house in 1921 had damaged 64 volumes, "
        "which were sent to a bookbinder for conservation.",
    ],
    "fi/kaupunginarkisto_poytakirja_1921.pdf": [
        "Kaupunginvaltuuston pöytäkirja 12. toukokuuta 1921\n"
        "Läsnä olivat puheenjohtaja ja kaksikymmentäkolme valtuutettua. Kokous avattiin kello kuusi "
        "illalla kaupungintalon juhlasalissa.",
        "Kaupunginarkiston johtaja\n"
        "Kaupunginvaltuusto valitsi yksimielisesti kaupunginarkiston johtajaksi filosofian maisteri Aino "
        "Virtasen. Hänen palkakseen päätettiin 18 000 markkaa vuodessa. Virka alkaa 1. syyskuuta 1921.",
        "Uusi lukusali\n"
        "Valtuusto päätti rakentaa arkistolle uuden lukusalin kirjaston toiseen kerrokseen. Lukusalissa on "
        "tilaa kolmellekymmenelle tutkijalle, ja se avataan yleisölle vuoden 1922 alussa.",
    ],
    "sv/biblioteksstyrelsen_protokoll_1998.pdf": [
        "Protokoll från biblioteksstyrelsens sammanträde den 3 februari 1998\n"
        "Närvarande: ordföranden, sex ledamöter och bibliotekarien. Protokollet justerades av två ledamöter.",
        "Digitalisering av tidningssamlingen\n"
        "Styrelsen beslöt att digitalisera tidningssamlingen från åren 1890 till 1910. Arbetet beräknas "
        "kosta 450 000 kronor och ska vara klart före utgången av år 2000. Originalen flyttas därefter till "
        "ett klimatstyrt magasin.",
    ],
    "hu/konyvtar_tortenete.pdf": [
        "A nemzeti könyvtár rövid története\n"
        "Az Országos Széchényi Könyvtárat 1802-ben alapította gróf Széchényi Ferenc, aki gyűjteményét a "
        "nemzetnek ajándékozta. Az alapító gyűjtemény több mint tizenegyezer nyomtatványt őrzött.",
        "A kéziratok őrzése\n"
        "A régi kéziratokat ma légkondicionált raktárban őrzik, tizennyolc fokon és ötven százalékos "
        "páratartalom mellett. Az olvasók a kéziratokat csak digitális másolatban kérhetik.",
    ],
    "it/regolamento_sala_lettura.pdf": [
        "Regolamento della sala di lettura dell'Archivio di Stato\n"
        "La sala di lettura è aperta dal lunedì al venerdì, dalle 8.30 alle 17.30. L'accesso è consentito "
        "agli studiosi muniti di tessera.",
        "Consultazione dei manoscritti\n"
        "I manoscritti possono essere consultati solo con guanti di cotone forniti dal personale. È vietato "
        "l'uso di penne: sono ammesse soltanto matite. Si possono richiedere al massimo cinque unità al "
        "giorno.",
    ],
}


# A scanned letter (an image with no text layer), for the demo's OCR: Swedish, so the stand-in PDFium draws
# for Helvetica has every letter it needs.
SCANNED_SAMPLE = ("sv/skannat_brev_1931.pdf", [
    "Brev till stadsarkivet, Åbo den 14 mars 1931\n"
    "Härmed skänker Seglarföreningen sin samling av 310 fotografier från kappseglingen 1927 till "
    "stadsarkivet. Fotografierna får visas för allmänheten i läsesalen men inte säljas eller lånas ut. "
    "Föreningens sekreterare, fru Elsa Lindqvist, har förtecknat bilderna i en katalog som följer med gåvan.",
])


def write_scanned_sample(folder: str | Path, dpi: int = 200) -> Path:
    """SCANNED_SAMPLE as a scan: its page rendered to a greyscale image and saved as an image-only PDF."""
    import pypdfium2

    folder = Path(folder)
    name, pages = SCANNED_SAMPLE
    text_pdf = write_pdf(folder / (name + ".text.tmp"), pages)
    try:
        document = pypdfium2.PdfDocument(str(text_pdf))
        images = [document[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
                  for i in range(len(document))]
        document.close()
    finally:
        text_pdf.unlink()
    out = folder / name
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi), quality=80)
    return out


def write_samples(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    return [write_pdf(folder / name, pages, title=pages[0].split("\n")[0]) for name, pages in SAMPLES.items()]


if __name__ == "__main__":
    import sys

    args = [a for a in sys.argv[1:] if a != "--scan"]
    folder = args[0] if args else "samples"
    for p in write_samples(folder) + ([write_scanned_sample(folder)] if "--scan" in sys.argv else []):
        print(p)
