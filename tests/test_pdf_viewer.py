"""The evidence viewer on real PDFs: cited page, highlighted passage, keyboard, and files it cannot show."""

from __future__ import annotations

import os
import re

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pdfs
import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QLabel

from assistant.samples import write_pdf
from indexers.pdf import extract
from ui.pdf_viewer import PdfViewer

HARBOUR = "en/harbour_archive_report_1923.pdf"
MINUTES = "fi/kaupunginarkisto_poytakirja_1921.pdf"
A4 = QRectF(0, 0, 595, 842)


def page_text(path, page: int) -> str:
    result = extract(str(path))
    assert not result.error
    return next(p.text for p in result.pages if p.number == page)


@pytest.fixture
def viewer(qtbot):
    v = PdfViewer()
    qtbot.addWidget(v)
    v.resize(720, 640)
    v.show()
    qtbot.waitExposed(v)
    return v


@pytest.fixture
def long_pdf(tmp_path):
    """Three pages; page 2 is full of text, so the passage sits mid-page and below the first screen."""
    ships = [("Aurora", "timber"), ("Bellona", "salt"), ("Carelia", "coffee"), ("Delfin", "tar")] * 16
    body = " ".join(f"Entry {i}: the harbour archive lists the ship {name} and its cargo of {cargo}."
                    for i, (name, cargo) in enumerate(ships))
    return write_pdf(tmp_path / "ledger.pdf", ["Ledger of ships, 1923", body, "Index"])


def highlight_mask(image: QImage) -> tuple[np.ndarray, np.ndarray]:
    """Pixels tinted by the highlight (paper, page and toolbar are grey), and those of them on ink."""
    img = image.convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)
    b, g, r = (rows[:, : img.width(), i].astype(int) for i in range(3))
    tinted = (r - b > 60) & (r >= g) & (g > b)
    return tinted, tinted & (r < 200)


def test_opens_the_cited_page_and_highlights_the_quote(viewer, samples):
    path = samples / HARBOUR
    quote = page_text(path, 2)[13:]
    assert 200 <= len(quote) <= 300
    assert viewer.show_source(str(path), 2, quote)
    assert viewer.current_file() == str(path)
    assert viewer.current_page() == 2
    rects = viewer.highlight_rects()
    assert len(rects) == 3  # the quote runs over three lines
    for rect in rects:
        assert not rect.isEmpty() and A4.contains(rect), rect
    assert rects[0].top() < rects[1].top() < rects[2].top()


def test_quote_from_another_page_shows_the_page_without_highlight(viewer, samples):
    path = samples / HARBOUR
    assert viewer.show_source(str(path), 2, page_text(path, 3))
    assert viewer.current_page() == 2
    assert viewer.highlight_rects() == []


def test_page_beyond_the_end_shows_the_last_page(viewer, samples):
    assert viewer.show_source(str(samples / HARBOUR), 9, "anything")
    assert viewer.current_page() == 3
    assert viewer.highlight_rects() == []


def test_missing_file_says_so_and_emits_error(viewer, samples, tmp_path, qtbot):
    assert viewer.show_source(str(samples / HARBOUR), 1)
    missing = tmp_path / "moved away.pdf"
    with qtbot.waitSignal(viewer.error) as signal:
        assert not viewer.show_source(str(missing), 3, "some quote")
    message = signal.args[0]
    assert str(missing) in message and "moved" in message and "re-index" in message
    assert viewer.current_file() == "" and viewer.current_page() == 0
    assert viewer.highlight_rects() == []
    assert shown_message(viewer) == message


def shown_message(viewer: PdfViewer) -> str:
    labels = viewer.findChildren(QLabel)
    return next(label.text() for label in labels if label.isVisible() and label.wordWrap())


@pytest.mark.parametrize("make, reason", [(pdfs.not_a_pdf, "not a valid PDF"), (pdfs.encrypted, "password")])
def test_unreadable_file_says_why(viewer, tmp_path, qtbot, make, reason):
    path = make(tmp_path / "bad.pdf")
    with qtbot.waitSignal(viewer.error) as signal:
        assert not viewer.show_source(str(path), 1, "Secret minutes")
    assert reason in signal.args[0] and str(path) in signal.args[0]


def test_switching_between_files(viewer, samples, qtbot):
    harbour, minutes = samples / HARBOUR, samples / MINUTES
    assert viewer.show_source(str(harbour), 2, page_text(harbour, 2)[13:])
    assert viewer.show_source(str(minutes), 3, page_text(minutes, 3)[20:220])
    assert (viewer.current_file(), viewer.current_page()) == (str(minutes), 3)
    assert viewer.highlight_rects()
    document = viewer.findChild(QPdfDocument)
    assert document.pageCount() == 3 and "lukusali" in document.getAllText(2).text()
    with qtbot.assertNotEmitted(document.statusChanged):  # same file: no reload
        assert viewer.show_source(str(minutes), 1, page_text(minutes, 1)[:120])
    assert viewer.current_page() == 1 and viewer.highlight_rects()
    assert viewer.show_source(str(harbour), 3, page_text(harbour, 3))
    assert (viewer.current_file(), viewer.current_page()) == (str(harbour), 3)
    assert "Acquisitions" in document.getAllText(2).text()


def test_keyboard_pages_and_zoom(viewer, long_pdf, qtbot):
    assert viewer.show_source(str(long_pdf), 1)
    view = viewer.findChild(QPdfView)
    viewer.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    for _ in range(10):
        if viewer.current_page() == 2:
            break
        qtbot.keyClick(view, Qt.Key.Key_PageDown)
    assert viewer.current_page() == 2
    for _ in range(10):
        if viewer.current_page() == 1:
            break
        qtbot.keyClick(view, Qt.Key.Key_PageUp)
    assert viewer.current_page() == 1

    assert view.zoomMode() == QPdfView.ZoomMode.FitToWidth
    qtbot.keyClick(view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert view.zoomMode() == QPdfView.ZoomMode.Custom
    bigger = view.zoomFactor()
    qtbot.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert view.zoomFactor() == pytest.approx(bigger / 1.25)


def test_highlight_is_painted_over_the_passage(viewer, long_pdf, qtbot, tmp_path):
    text = page_text(long_pdf, 2)
    start = re.search(r"Entry\s40:", text).start()
    quote = text[start:start + 260]
    assert viewer.show_source(str(long_pdf), 2, quote)
    view = viewer.findChild(QPdfView)
    rects = viewer.highlight_rects()
    assert len(rects) >= 3

    for name, zoom_in in (("fit-width", False), ("zoomed", True)):
        if zoom_in:
            view.setFocus()
            qtbot.keyClick(view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
            qtbot.keyClick(view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
        qtbot.wait(300)
        shot = tmp_path / f"evidence-{name}.png"
        assert viewer.grab().save(str(shot))
        tinted, ink = highlight_mask(QImage(str(shot)))
        assert tinted.sum() > 2000, name  # the passage is scrolled into view and highlighted
        assert ink.sum() > 300, name  # and the highlight lies on the text, not between lines
        ys = np.nonzero(tinted.any(axis=1))[0]
        scale = view.zoomFactor() * view.logicalDpiY() / 72 if zoom_in else \
            (view.viewport().width() - 12) / 595
        expected = (rects[-1].bottom() - rects[0].top()) * scale
        assert abs((ys.max() - ys.min()) - expected) < 6, (name, ys.min(), ys.max(), expected)
