"""Scanned PDFs made from text, for the OCR tests and benchmarks/ocr_accuracy.py.

Each page's text is typeset in DejaVu Sans (or a text PDF's pages rendered by pypdfium2, whose stand-in
for Helvetica has no ő or ű) to a greyscale image at 300 dpi, optionally made to look like a cheap
scan (a slight rotation, sensor noise, dust, a blur and a low-quality JPEG pass), and the images are wrapped
in a PDF with no text layer (Pillow). Blank pages and "photo" pages (smooth shapes and grain, no letters)
can be put in between.
"""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Sequence

import numpy as np
import pypdfium2
from PIL import Image, ImageFilter

FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf",
         "/Library/Fonts/Arial Unicode.ttf", "C:/Windows/Fonts/arial.ttf")


def font_file() -> str:
    """A TrueType font with every letter of the five languages (ő and ű included)."""
    for path in FONTS:
        if Path(path).is_file():
            return path
    raise FileNotFoundError("no DejaVu Sans font for the generated scans: sudo apt-get install fonts-dejavu-core")


def _layout(text: str, dpi: int, size_pt: float):
    """The font, and the (y, line) pairs of `text` set on an A4 page with 1-inch margins."""
    from PIL import ImageFont

    width, height = round(8.27 * dpi), round(11.69 * dpi)
    margin, font = dpi, ImageFont.truetype(font_file(), round(size_pt * dpi / 72))
    y, leading, lines = margin, round(size_pt * 1.45 * dpi / 72), []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            trial = f"{line} {word}".strip()
            if font.getlength(trial) > width - 2 * margin and line:
                lines.append((y, line))
                y, line = y + leading, word
            else:
                line = trial
        if line:
            lines.append((y, line))
        y += leading
    return font, [(y, line) for y, line in lines if y + leading <= height - margin // 2]


def typeset(text: str, dpi: int = 300, size_pt: float = 11.0) -> Image.Image:
    """An A4 page of `text` (paragraphs split on newlines, wrapped to the margins), black on white; what
    does not fit on the page is left out (`fitted` says what was set)."""
    from PIL import ImageDraw

    image = Image.new("L", (round(8.27 * dpi), round(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(image)
    font, lines = _layout(text, dpi, size_pt)
    for y, line in lines:
        draw.text((dpi, y), line, font=font, fill=0)
    return image


def fitted(text: str, dpi: int = 300, size_pt: float = 11.0) -> str:
    """The part of `text` that `typeset` sets on its page, as lines."""
    return "\n".join(line for _y, line in _layout(text, dpi, size_pt)[1])


def scan_pages(pages: Sequence[str], out: str | Path, *, dpi: int = 300, noise: bool = False, seed: int = 0,
               blank_after: Sequence[int] = (), photo_after: Sequence[int] = ()) -> Path:
    """A scanned PDF of `pages` (texts), as `scan_of` makes from a text PDF."""
    return _assemble([typeset(t, dpi) for t in pages], out, dpi, noise, seed, blank_after, photo_after)


def page_images(pdf: str | Path, dpi: int = 300) -> list[Image.Image]:
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        return [document[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
                for i in range(len(document))]
    finally:
        document.close()


def noisy(image: Image.Image, rng: random.Random, *, skew: float = 1.5, sigma: float = 14.0,
          quality: int = 40) -> Image.Image:
    """A cheap scan of `image`: rotated up to `skew` degrees, grain, dust specks, blurred, JPEG'd."""
    angle = rng.uniform(-skew, skew)
    out = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    out = out.filter(ImageFilter.GaussianBlur(0.7))
    pixels = np.asarray(out, dtype=np.float32)
    gen = np.random.default_rng(rng.randrange(2**32))
    pixels = pixels + gen.normal(0, sigma, pixels.shape)
    specks = gen.random(pixels.shape) < 0.0004
    pixels[specks] = 40
    pixels = pixels * 0.92 + 12  # a grey paper, a weaker black
    out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")
    return jpeg(out, quality)


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("L")


def blank(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """An empty page as a scanner sees it: paper grain, a few specks of dust."""
    gen = np.random.default_rng(rng.randrange(2**32))
    pixels = 238 + gen.normal(0, 6, (size[1], size[0]))
    pixels[gen.random(pixels.shape) < 0.00002] = 60
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")


def photo(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A page with a picture and no letters: smooth dark shapes, gradients and grain."""
    gen = np.random.default_rng(rng.randrange(2**32))
    h, w = size[1], size[0]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    pixels = 140 + 60 * np.sin(x / (w / rng.uniform(2, 5))) * np.cos(y / (h / rng.uniform(2, 5)))
    for _ in range(8):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(w / 12, w / 4)
        pixels -= 70 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
    pixels += gen.normal(0, 18, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L").filter(ImageFilter.GaussianBlur(1.2))


def write_scan(images: Sequence[Image.Image], out: str | Path, dpi: int = 300) -> Path:
    """An image-only PDF of `images`, one per page, each stored as JPEG."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    first, *rest = [im.convert("L") for im in images]
    first.save(out, "PDF", save_all=True, append_images=rest, resolution=float(dpi), quality=75)
    return out


def scan_of(text_pdf: str | Path, out: str | Path, *, dpi: int = 300, noise: bool = False, seed: int = 0,
            blank_after: Sequence[int] = (), photo_after: Sequence[int] = ()) -> Path:
    """A scan of `text_pdf`: its pages as images (noisy ones with `noise`), with a blank page after each
    page number in `blank_after` and a photo page after each in `photo_after` (0: before the first)."""
    return _assemble(page_images(text_pdf, dpi), out, dpi, noise, seed, blank_after, photo_after)


def _assemble(pages: Sequence[Image.Image], out: str | Path, dpi: int, noise: bool, seed: int,
              blank_after: Sequence[int], photo_after: Sequence[int]) -> Path:
    rng = random.Random(seed)
    size = pages[0].size
    out_pages: list[Image.Image] = []
    for number in range(0, len(pages) + 1):
        if number:
            image = pages[number - 1]
            out_pages.append(noisy(image, rng) if noise else jpeg(image, 90))
        if number in blank_after:
            out_pages.append(blank(size, rng))
        if number in photo_after:
            out_pages.append(photo(size, rng))
    return write_scan(out_pages, out, dpi)


def character_accuracy(read: str, truth: str) -> float:
    """1 - (edit distance / characters of the truth), whitespace runs made one space."""
    from rapidfuzz.distance import Levenshtein

    a, b = " ".join(read.split()), " ".join(truth.split())
    if not b:
        return 1.0 if not a else 0.0
    return max(0.0, 1.0 - Levenshtein.distance(a, b) / len(b))
