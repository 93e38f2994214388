"""The Search tab: a question -> the collection's best pages with their passage, no language model.

What `assistant search` prints: each page's best passage and score, and whether Ask would answer from
them. Activating a result opens the page in the viewer with the passage highlighted, as a chat source does.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

EXCERPT = 200  # characters of the passage in the list; the preview under it has all of it
FILE_COLUMN = (120, 260)  # pixels: the file name column fits the names within these


def excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


class SearchView(QWidget):
    search_requested = Signal(str)
    result_activated = Signal(str, int, str)  # file, page, passage

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.query = QLineEdit()
        self.query.setPlaceholderText(self.tr("Search the documents of this collection…"))
        self.query.setAccessibleName(self.tr("Search query"))
        self.query.returnPressed.connect(self._search)
        self.search_button = QPushButton(self.tr("Search"))
        self.search_button.setToolTip(self.tr("Rank the pages for this question, without writing an answer "
                                              "(Enter)"))
        self.search_button.clicked.connect(self._search)
        top = QHBoxLayout()
        top.addWidget(self.query, 1)
        top.addWidget(self.search_button)

        self.results = QTreeWidget()
        self.results.setAccessibleName(self.tr("Search results"))
        self.results.setHeaderLabels([self.tr("#"), self.tr("File"), self.tr("Page"), self.tr("Score"),
                                      self.tr("Passage")])
        self.results.setRootIsDecorated(False)
        self.results.setUniformRowHeights(True)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.results.header()
        header.setStretchLastSection(True)
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        self.results.setColumnWidth(1, FILE_COLUMN[1])
        self.results.itemActivated.connect(self._activated)
        self.results.currentItemChanged.connect(self._preview)

        self.preview = QTextBrowser()  # the whole passage of the selected result
        self.preview.setAccessibleName(self.tr("Passage of the selected result"))
        self.preview.setMaximumHeight(self.preview.fontMetrics().lineSpacing() * 8)
        self.preview.hide()

        self.status = QLabel()
        self.status.setObjectName("searchStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.preview)
        layout.addWidget(self.status)
        self.clear()

    # ---- input
    def _search(self) -> None:
        text = self.query.text().strip()
        if text:
            self.search_requested.emit(text)

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        file, page, passage = item.data(0, Qt.ItemDataRole.UserRole)
        self.result_activated.emit(file, page, passage)

    def _preview(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        if item is None:
            self.preview.hide()
            return
        file, page, passage = item.data(0, Qt.ItemDataRole.UserRole)
        title = self.tr("{0} — p. {1} · score {2}").format(Path(file).name, page, item.text(3))
        self.preview.setHtml(f"<p><b>{html.escape(title)}</b></p><p>{html.escape(' '.join(passage.split()))}"
                             "</p>")
        self.preview.show()

    # ---- showing results
    def clear(self) -> None:
        self.results.clear()
        self.preview.hide()
        self._set_status(self.tr("Find the pages that best match a question, with the passage and its score; "
                                 "double-click one (or press Enter) to open the page."))

    def begin(self, question: str) -> None:
        if self.query.text().strip() != question:
            self.query.setText(question)
        self._set_status(self.tr("Searching… (the first search after the collection changed takes a few "
                                 "seconds longer)"))

    def show_searched(self, searched) -> None:
        """A controller.Searched: the ranked pages and the refusal decision, or the error."""
        self.results.clear()
        self.preview.hide()
        if searched.result is None:
            self._set_status(self.tr("Search failed: {0}").format(searched.error), error=True)
            return
        result = searched.result
        for rank, hit in enumerate(result.pages, 1):
            passage = hit.passage.chunk.text
            item = QTreeWidgetItem([str(rank), Path(hit.file).name, str(hit.page), f"{hit.score:.3f}",
                                    excerpt(passage)])
            item.setData(0, Qt.ItemDataRole.UserRole, (hit.file, hit.page, passage))
            item.setToolTip(1, hit.file)
            for column in (0, 2, 3):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.results.addTopLevelItem(item)
        names = [self.results.fontMetrics().horizontalAdvance(Path(p.file).name) for p in result.pages]
        self.results.setColumnWidth(1, min(max([FILE_COLUMN[0], *names]) + 16, FILE_COLUMN[1]))
        if result.pages:
            self.results.setCurrentItem(self.results.topLevelItem(0))
        count = len(result.pages)
        found = self.tr("1 page in {0:.2f} s").format(result.seconds) if count == 1 else \
            self.tr("{0} pages in {1:.2f} s").format(count, result.seconds)
        if result.notice:
            found += " · " + self.tr("Re-index needed: {0}").format(result.notice)
        if result.decision.answer:
            self._set_status(found, warning=bool(result.notice))
        else:
            self._set_status(self.tr("Ask would refuse: {0}").format(result.decision.reason) + " · " + found,
                             warning=True)

    def _set_status(self, text: str, error: bool = False, warning: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020;" if error else "color: #8a4b00;" if warning else "")
