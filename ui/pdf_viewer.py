"""The evidence viewer: a cited PDF opened at its page, with the quoted passage highlighted.

QPdfView only highlights search results, so `_PageView` paints the passage itself. It maps page points to
viewport pixels with the layout that qpdfview.cpp uses for one page: the page is centred in the
viewport inside `documentMargins`, scaled by the logical DPI / 72 and the zoom (or to the viewport
width), and moved by the scroll offsets.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QPointF, QRect, QRectF, QSizeF, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QColor, QDesktopServices, QGuiApplication, QIcon, QKeySequence, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QLabel, QSpinBox, QStackedWidget, QToolBar, QVBoxLayout, QWidget

from assistant.evidence import locate_quote, span_boxes

HIGHLIGHT = QColor(255, 200, 0, 110)
ZOOM_STEP = 1.25
ZOOM_RANGE = (0.25, 8.0)
FILE_NAME_WIDTH = 240  # pixels; longer names are elided in the middle


class _PageView(QPdfView):
    """One page at a time, with highlight rectangles (in page points) painted over one page."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._resolution = QGuiApplication.primaryScreen().logicalDotsPerInch() / 72.0
        self._page = -1
        self._rects: list[QRectF] = []
        self._reveal_pending = False
        self.setPageMode(QPdfView.PageMode.SinglePage)
        self.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def set_highlight(self, page: int, rects: list[QRectF]) -> None:
        self._page, self._rects = page, list(rects)
        self.viewport().update()

    def highlight(self) -> list[QRectF]:
        return list(self._rects)

    def page_geometry(self) -> QRect:
        """Where the current page lies in the scrollable area, in pixels (empty without a document)."""
        doc = self.document()
        if doc is None or doc.status() != QPdfDocument.Status.Ready:
            return QRect()
        points = doc.pagePointSize(self.pageNavigator().currentPage())
        margins = self.documentMargins()
        width = self.viewport().width()
        mode = self.zoomMode()
        if mode == QPdfView.ZoomMode.Custom:
            size = QSizeF(points * self._resolution * self.zoomFactor()).toSize()
        else:
            size = QSizeF(points * self._resolution).toSize()
            if size.isEmpty():
                return QRect()
            if mode == QPdfView.ZoomMode.FitToWidth:
                size = size * ((width - margins.left() - margins.right()) / size.width())
            else:
                room = self.viewport().size() - QSizeF(margins.left() + margins.right(),
                                                       self.pageSpacing()).toSize()
                size = size.scaled(room, Qt.AspectRatioMode.KeepAspectRatio)
        total = size.width() + margins.left() + margins.right()
        return QRect((max(total, width) - size.width()) // 2, margins.top(), size.width(), size.height())

    def effective_zoom(self) -> float:
        """Pixels per point divided by the screen's, whatever the zoom mode."""
        doc = self.document()
        geometry = self.page_geometry()
        if geometry.isEmpty():
            return self.zoomFactor()
        points = doc.pagePointSize(self.pageNavigator().currentPage())
        return geometry.width() / (points.width() * self._resolution)

    def _to_content(self, rect: QRectF) -> QRectF:
        geometry = self.page_geometry()
        points = self.document().pagePointSize(self.pageNavigator().currentPage())
        sx, sy = geometry.width() / points.width(), geometry.height() / points.height()
        return QRectF(geometry.x() + rect.x() * sx, geometry.y() + rect.y() * sy,
                      rect.width() * sx, rect.height() * sy)

    def reveal(self) -> None:
        """Scroll the highlight into view, now or once the view has its final size."""
        self._reveal_pending = True
        if self.isVisible():
            self._scroll_to_highlight()

    def _scroll_to_highlight(self) -> None:
        if not self._rects or self.pageNavigator().currentPage() != self._page:
            return
        if self.page_geometry().isEmpty():
            return
        hull = QRectF()
        for rect in self._rects:
            hull = hull.united(self._to_content(rect))
        bar = self.verticalScrollBar()
        height = self.viewport().height()
        top = hull.top() - (height - hull.height()) / 3 if hull.height() < height else hull.top() - 12
        bar.setValue(max(bar.minimum(), min(bar.maximum(), int(top))))
        bar = self.horizontalScrollBar()
        width = self.viewport().width()
        if not (bar.value() <= hull.left() and hull.right() <= bar.value() + width):
            bar.setValue(max(bar.minimum(), min(bar.maximum(), int(hull.left() - 24))))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._reveal_pending:
            self._scroll_to_highlight()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._reveal_pending:
            self._scroll_to_highlight()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        self._reveal_pending = False
        if not self._rects or self.pageNavigator().currentPage() != self._page:
            return
        if self.page_geometry().isEmpty():
            return
        offset = QPointF(self.horizontalScrollBar().value(), self.verticalScrollBar().value())
        painter = QPainter(self.viewport())
        for rect in self._rects:
            painter.fillRect(self._to_content(rect).translated(-offset).adjusted(-1, -1, 1, 1), HIGHLIGHT)
        painter.end()

    def keyPressEvent(self, event) -> None:
        """PageDown/PageUp scroll through the page, then turn to the next or previous one."""
        key = event.key()
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if key not in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp) or not plain:
            super().keyPressEvent(event)
            return
        doc, nav, bar = self.document(), self.pageNavigator(), self.verticalScrollBar()
        page = nav.currentPage()
        if key == Qt.Key.Key_PageDown:
            if bar.value() < bar.maximum():
                bar.setValue(bar.value() + bar.pageStep())
            elif doc is not None and page + 1 < doc.pageCount():
                nav.jump(page + 1, QPointF(), nav.currentZoom())
                bar.setValue(bar.minimum())
        elif bar.value() > bar.minimum():
            bar.setValue(bar.value() - bar.pageStep())
        elif page > 0:
            nav.jump(page - 1, QPointF(), nav.currentZoom())
            bar.setValue(bar.maximum())
        event.accept()


class PdfViewer(QWidget):
    """Shows the evidence behind a citation; `error` carries the message when a file cannot be shown."""

    error = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._document = QPdfDocument(self)
        self._path = ""
        self._stamp: tuple[int, int] | None = None
        self._external = ""
        self._scanned = None  # (path, page) -> the page's OCR text and word boxes, or None

        self._view = _PageView(self)
        self._view.setDocument(self._document)
        self._view.pageNavigator().currentPageChanged.connect(self._sync_controls)
        self._message = QLabel(self.tr("Click a source under an answer to see the passage here."))
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setMargin(24)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self._view)
        self._stack.addWidget(self._message)
        self._stack.setCurrentWidget(self._message)
        self._notice = QLabel(self)
        self._notice.setWordWrap(True)
        self._notice.setMargin(6)
        self._notice.hide()

        self._file_label = QLabel(self)
        self._file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._file_label.setContentsMargins(6, 0, 6, 0)
        self._previous = self._action(QIcon.ThemeIcon.GoPrevious, self.tr("Previous page"),
                                      self._previous_page)
        self._next = self._action(QIcon.ThemeIcon.GoNext, self.tr("Next page"), self._next_page)
        self._page_box = QSpinBox(self)
        self._page_box.setKeyboardTracking(False)
        self._page_box.setToolTip(self.tr("Page"))
        self._page_box.valueChanged.connect(lambda n: self._go_to(n - 1))
        self._zoom_out = self._action(QIcon.ThemeIcon.ZoomOut, self.tr("Zoom out"),
                                      lambda: self._zoom_by(1 / ZOOM_STEP), QKeySequence.StandardKey.ZoomOut)
        self._zoom_in = self._action(QIcon.ThemeIcon.ZoomIn, self.tr("Zoom in"),
                                     lambda: self._zoom_by(ZOOM_STEP), QKeySequence.StandardKey.ZoomIn,
                                     QKeySequence("Ctrl+="))
        self._fit_width = self._action(QIcon.ThemeIcon.ZoomFitBest, self.tr("Fit width"), self._fit_to_width)
        self._open_external = self._action(QIcon.ThemeIcon.DocumentOpen, self.tr("Open in system viewer"),
                                           self._open_in_system_viewer)

        toolbar = QToolBar(self)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addWidget(self._file_label)
        toolbar.addAction(self._previous)
        toolbar.addWidget(self._page_box)
        toolbar.addAction(self._next)
        toolbar.addSeparator()
        toolbar.addAction(self._zoom_out)
        toolbar.addAction(self._zoom_in)
        toolbar.addAction(self._fit_width)
        toolbar.addSeparator()
        toolbar.addAction(self._open_external)
        compact = ((self._previous, self.tr("‹")), (self._next, self.tr("›")),
                   (self._zoom_out, self.tr("−")), (self._zoom_in, self.tr("+")),
                   (self._fit_width, self.tr("↔")))
        for action, symbol in compact:  # the symbol shows where the icon theme has no icon
            action.setIconText(symbol)
            toolbar.widgetForAction(action).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(toolbar)
        layout.addWidget(self._notice)
        layout.addWidget(self._stack, 1)
        self.setFocusProxy(self._view)
        self._sync_controls()

    def _action(self, icon: QIcon.ThemeIcon, text: str, slot, *keys) -> QAction:
        action = QAction(QIcon.fromTheme(icon), text, self)
        if keys:
            shortcut = QKeySequence(keys[0]).toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{text} ({shortcut})")
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        action.triggered.connect(slot)
        return action

    # public API

    def show_source(self, path: str, page: int, quote: str = "") -> bool:
        """Open `path` at `page` (1-based, as cited) and highlight `quote` there if it can be found.

        Returns False, and says why in the viewer and through `error`, when the file cannot be shown.
        """
        self._set_notice("")
        if not self._open(path):
            return False
        count = self._document.pageCount()
        index = min(max(page, 1), count) - 1
        on_cited_page = index == page - 1
        if not on_cited_page:
            self._set_notice(self.tr("This file has no page {page} (it has {count}); it may have changed "
                                     "since it was indexed. Re-index it to update the sources.")
                             .format(page=page, count=count))
        rects = self._find(index, quote) if on_cited_page and quote.strip() else []
        if on_cited_page and quote.strip() and not rects:
            self._set_notice(self.tr("The quoted passage was not found on this page; the file may have "
                                     "changed since it was indexed."))
        self._view.set_highlight(index, rects)
        self._stack.setCurrentWidget(self._view)
        self._go_to(index)
        self._view.reveal()
        return True

    def set_scanned_pages(self, lookup) -> None:
        """Where the text of scanned pages comes from: `lookup(path, page)` gives an OcrPage (text and
        word boxes, as OCR read it) or None; a cited passage on a page without a text layer is
        highlighted over the scan from its words' boxes."""
        self._scanned = lookup

    def current_file(self) -> str:
        """Absolute path of the file on show, or "" when none is."""
        return self._path

    def current_page(self) -> int:
        """The page on show, 1-based (0 when no file is)."""
        return self._view.pageNavigator().currentPage() + 1 if self._path else 0

    def highlight_rects(self) -> list[QRectF]:
        """The highlighted passage as rectangles in page points (origin top left), on the cited page."""
        return self._view.highlight()

    # behaviour

    def _open(self, path: str) -> bool:
        full = os.path.abspath(path)
        self._external = ""
        try:
            st = os.stat(full)
        except OSError:
            return self._fail(full, self.tr("Cannot find {file}. It may have been moved, renamed or deleted; "
                                            "re-index your documents so that the sources point at existing "
                                            "files.").format(file=full))
        self._external = full
        stamp = (st.st_mtime_ns, st.st_size)
        ready = self._document.status() == QPdfDocument.Status.Ready
        if ready and (full, stamp) == (self._path, self._stamp):
            return True
        self._document.close()
        self._path, self._stamp = "", None
        err = self._document.load(full)
        if err != QPdfDocument.Error.None_ or self._document.pageCount() < 1:
            reason = {
                QPdfDocument.Error.FileNotFound: self.tr("the file cannot be read"),
                QPdfDocument.Error.InvalidFileFormat: self.tr("it is not a valid PDF"),
                QPdfDocument.Error.IncorrectPassword: self.tr("it is password protected"),
                QPdfDocument.Error.UnsupportedSecurityScheme: self.tr("it is encrypted"),
                QPdfDocument.Error.None_: self.tr("it has no pages"),
            }.get(err, self.tr("unknown error"))
            message = self.tr("Cannot open {file}: {reason}. It may have been moved or replaced since it was "
                              "indexed; re-index your documents, or try the system viewer.")
            return self._fail(full, message.format(file=full, reason=reason))
        self._path, self._stamp = full, stamp
        self._show_name(full)
        self._sync_controls()
        return True

    def _fail(self, path: str, message: str) -> bool:
        self._document.close()
        self._path, self._stamp = "", None
        self._view.set_highlight(-1, [])
        self._show_name(path)
        self._message.setText(message)
        self._stack.setCurrentWidget(self._message)
        self._sync_controls()
        self.error.emit(message)
        return False

    def _show_name(self, path: str) -> None:
        name = os.path.basename(path)
        metrics = self._file_label.fontMetrics()
        self._file_label.setText(metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, FILE_NAME_WIDTH))
        self._file_label.setToolTip(path)

    def _find(self, index: int, quote: str) -> list[QRectF]:
        text = self._document.getAllText(index).text()
        span = locate_quote(text, quote)
        if span is None:
            return self._find_in_scan(index, quote)
        selection = self._document.getSelectionAtIndex(index, span[0], span[1] - span[0])
        return [polygon.boundingRect() for polygon in selection.bounds()]

    def _find_in_scan(self, index: int, quote: str) -> list[QRectF]:
        """The quote's place on a page whose indexed text is OCR's, from the words' boxes."""
        page = self._scanned(self._path, index + 1) if self._scanned is not None else None
        span = locate_quote(page.text, quote) if page is not None and page.text else None
        if span is None:
            return []
        return [QRectF(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in span_boxes(page.words, *span)]

    def _go_to(self, index: int) -> None:
        nav = self._view.pageNavigator()
        if self._path and 0 <= index < self._document.pageCount() and index != nav.currentPage():
            nav.jump(index, QPointF(), nav.currentZoom())
        self._sync_controls()

    def _previous_page(self) -> None:
        self._go_to(self._view.pageNavigator().currentPage() - 1)

    def _next_page(self) -> None:
        self._go_to(self._view.pageNavigator().currentPage() + 1)

    def _zoom_by(self, factor: float) -> None:
        if not self._path:
            return
        zoom = min(max(self._view.effective_zoom() * factor, ZOOM_RANGE[0]), ZOOM_RANGE[1])
        self._view.setZoomMode(QPdfView.ZoomMode.Custom)
        self._view.setZoomFactor(zoom)
        self._view.reveal()

    def _fit_to_width(self) -> None:
        self._view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self._view.reveal()

    def _open_in_system_viewer(self) -> None:
        if self._external and not QDesktopServices.openUrl(QUrl.fromLocalFile(self._external)):
            self._set_notice(self.tr("No application is set up to open PDF files."))

    def _set_notice(self, text: str) -> None:
        self._notice.setText(text)
        self._notice.setVisible(bool(text))

    def _sync_controls(self) -> None:
        count = self._document.pageCount() if self._path else 0
        index = self._view.pageNavigator().currentPage()
        self._page_box.blockSignals(True)
        self._page_box.setRange(1 if count else 0, max(count, 0))
        self._page_box.setValue(index + 1 if count else 0)
        self._page_box.setPrefix(self.tr("p. ") if count else "")
        self._page_box.setSuffix(self.tr(" of {count}").format(count=count) if count else "")
        self._page_box.setSpecialValueText("" if count else "–")
        self._page_box.blockSignals(False)
        self._page_box.setEnabled(count > 1)
        self._previous.setEnabled(bool(count) and index > 0)
        self._next.setEnabled(bool(count) and index + 1 < count)
        for action in (self._zoom_in, self._zoom_out, self._fit_width):
            action.setEnabled(bool(count))
        self._open_external.setEnabled(bool(self._external))
