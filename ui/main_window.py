"""The main window: collections on the left, chat, search and documents in the middle, the evidence on the
right."""

from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import QDateTime, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assistant.chats import Chat, chat_to_markdown, chat_to_records, turn_to_markdown
from ui.chat_view import ChatView
from ui.controller import Controller
from ui.pdf_viewer import PdfViewer
from ui.search_view import SearchView


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


class MainWindow(QMainWindow):
    def __init__(self, controller: Controller):
        super().__init__()
        self.controller = controller
        self.collection = controller.settings.collection  # opened first when it exists
        self.last_index_message = ""
        self._shown = None  # the collection whose chats are on screen
        self._documents_refreshed = 0.0
        self._pending = ""  # a collection being created
        self.quality_dialog = None
        self._warming_started = False  # the embedding model begins to load once the window shows
        self.setWindowTitle(self.tr("Archive Assistant"))
        self.setAcceptDrops(True)
        self.resize(1280, 800)

        self._build_actions()
        self._build_widgets()
        c = controller
        c.collections_changed.connect(self.refresh_collections)
        c.index_progress.connect(self._on_progress)
        c.index_finished.connect(self._on_index_finished)
        c.answer_started.connect(self._on_answer_started)
        c.answer_piece.connect(self._on_answer_piece)
        c.answer_finished.connect(self._on_answer_finished)
        c.search_started.connect(self._on_search_started)
        c.search_finished.connect(self._on_search_finished)
        c.error.connect(self.show_error)
        c.busy_changed.connect(self._update_actions)
        c.warm_finished.connect(self._on_warm_finished)
        c.damage_changed.connect(self._on_damage_changed)
        self.refresh_collections()

    # ---- layout
    def _build_actions(self) -> None:
        def action(text: str, slot, shortcut=None, tip: str = "") -> QAction:
            a = QAction(text, self)
            a.triggered.connect(slot)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            a.setToolTip(tip or text.replace("&", "").replace("…", ""))
            self.addAction(a)
            return a

        self.new_action = action(self.tr("&New collection…"), self.new_collection, "Ctrl+N")
        self.add_folder_action = action(self.tr("Add &folder…"), self.add_folder, "Ctrl+O",
                                        self.tr("Add a folder of PDFs to this collection and index it"))
        self.add_files_action = action(self.tr("Add f&iles…"), self.add_files, "Ctrl+Shift+O")
        self.reindex_action = action(self.tr("&Re-index"), lambda: self.reindex(), "F5",
                                     self.tr("Index new and changed files of this collection's folders"))
        self.rename_action = action(self.tr("Re&name…"), self.rename_collection, "F2")
        self.delete_action = action(self.tr("&Delete collection"), self.delete_collection)
        self.ocr_action = action(self.tr("Read &scanned pages (OCR)"), self.toggle_ocr, tip=self.tr(
            "Read pages without a text layer with OCR when indexing this collection"))
        self.ocr_action.setCheckable(True)
        self.repair_action = action(self.tr("Re&pair index…"), self.repair_collection, tip=self.tr(
            "Rebuild this collection's index from its PDFs (the broken index files are kept aside)"))
        self.settings_action = action(self.tr("&Settings…"), self.open_settings, "Ctrl+,")
        self.ask_focus_action = action(self.tr("Focus the question"), lambda: self.chat_view.question.setFocus(),
                                       "Ctrl+L")
        self.search_focus_action = action(self.tr("Search the documents"), self.focus_search, "Ctrl+F",
                                          self.tr("Find the best pages for a question, without an answer"))
        self.quality_action = action(self.tr("Check &quality…"), self.check_quality, "Ctrl+E", self.tr(
            "Measure on a file of questions how well search finds the right pages and refuses absent "
            "answers"))
        for n in range(1, 10):  # Ctrl+1..9: open source n of the last answer
            QShortcut(QKeySequence(f"Ctrl+{n}"), self, lambda n=n: self.open_last_source(n))

        bar = QToolBar(self.tr("Main"))
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        for a in (self.new_action, self.add_folder_action, self.add_files_action, self.reindex_action,
                  self.rename_action, self.delete_action):
            bar.addAction(a)
        bar.addSeparator()
        bar.addAction(self.quality_action)
        bar.addAction(self.settings_action)
        self.addToolBar(bar)

        menu = self.menuBar().addMenu(self.tr("Co&llection"))
        for a in (self.new_action, self.add_folder_action, self.add_files_action, None, self.reindex_action,
                  self.repair_action, self.ocr_action, None, self.rename_action, self.delete_action, None,
                  self.quality_action):
            if a is None:
                menu.addSeparator()
            else:
                menu.addAction(a)

    def _build_widgets(self) -> None:
        self.collection_list = QListWidget()
        self.collection_list.setAccessibleName(self.tr("Collections"))
        self.collection_list.currentItemChanged.connect(self._on_collection_selected)
        self.collection_info = QLabel()
        self.collection_info.setWordWrap(True)
        self.collection_info.setObjectName("collectionInfo")
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel(self.tr("<b>Collections</b>")))
        ll.addWidget(self.collection_list, 1)
        ll.addWidget(self.collection_info)

        self.chat_view = ChatView()
        self.chat_view.ask_requested.connect(self.ask)
        self.chat_view.stop_requested.connect(self.controller.stop_answer)
        self.chat_view.source_activated.connect(self.open_source)
        self.chat_view.new_chat_requested.connect(self.new_chat)
        self.chat_view.chat_selected.connect(self.select_chat)
        self.chat_view.export_requested.connect(self.export_chat)
        self.chat_view.copy_requested.connect(self.copy_last_answer)

        self.search_view = SearchView()
        self.search_view.search_requested.connect(self.search)
        self.search_view.result_activated.connect(self.viewer_show)

        self.documents = QTreeWidget()
        self.documents.setAccessibleName(self.tr("Documents"))
        self.documents.setHeaderLabels([self.tr("File"), self.tr("State"), self.tr("Pages"), self.tr("Chunks"),
                                        self.tr("Details")])
        self.documents.setRootIsDecorated(False)
        self.documents.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.documents.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.documents.setColumnWidth(0, 280)
        self.documents.itemActivated.connect(
            lambda item: self.viewer_show(item.data(0, Qt.ItemDataRole.UserRole), 1, ""))

        self.tabs = QTabWidget()
        self.tabs.addTab(self.chat_view, self.tr("&Chat"))
        self.tabs.addTab(self.search_view, self.tr("S&earch"))
        self.tabs.addTab(self.documents, self.tr("D&ocuments"))

        self.viewer = PdfViewer()
        self.viewer.error.connect(self.show_error)
        self.viewer.set_scanned_pages(self.controller.scanned_page)
        self.viewer.hide()

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.viewer)
        self.splitter.setSizes([240, 560, 480])
        self.splitter.setChildrenCollapsible(False)

        close = QPushButton(self.tr("Dismiss"))
        close.clicked.connect(lambda: self.error_bar.hide())
        self.error_bar, self.error_label = self._bar("error", "#fdecea", "#e0a0a0", "#7a0010", close)

        self.repair_button = QPushButton(self.tr("&Repair"))
        self.repair_button.setToolTip(self.tr("Rebuild the index from this collection's PDFs"))
        self.repair_button.clicked.connect(self.repair_damaged)
        # the current collection's index is damaged: what, and the way out
        self.damage_bar, self.damage_label = self._bar("damage", "#fff4d6", "#e0b050", "#5a3d00", self.repair_button)

        central = QWidget()
        cl = QVBoxLayout(central)
        cl.addWidget(self.error_bar)
        cl.addWidget(self.damage_bar)
        cl.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.progress = QProgressBar()
        self.progress.setMinimumWidth(240)
        self.progress.setAccessibleName(self.tr("Indexing progress"))
        self.progress_label = QLabel()
        self.cancel_button = QPushButton(self.tr("Cancel indexing"))
        self.cancel_button.clicked.connect(self.cancel_index)
        for w in (self.progress_label, self.progress, self.cancel_button):
            self.statusBar().addPermanentWidget(w)
            w.hide()

    # ---- collections
    def refresh_collections(self) -> None:
        collections = self.controller.collections()
        names = [c.name for c in collections]
        if self._pending in names:  # just created: show it
            self.collection, self._pending = self._pending, ""
        keep = self.collection if self.collection in names else (names[0] if names else "")
        self.collection_list.blockSignals(True)
        self.collection_list.clear()
        for c in collections:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, c.name)
            item.setData(Qt.ItemDataRole.UserRole + 1, c)
            self._label_item(item)
            self.collection_list.addItem(item)
            if c.name == keep:
                self.collection_list.setCurrentItem(item)
        self.collection_list.blockSignals(False)
        if keep != self._shown or not keep:
            self.set_collection(keep)
        else:
            self.refresh_documents()
        self._update_actions()

    def _label_item(self, item: QListWidgetItem) -> None:
        """A collection's entry in the list: its name, and what it needs (repair, re-index)."""
        c = item.data(Qt.ItemDataRole.UserRole + 1)
        damaged = self.controller.damaged.get(c.name, "")
        item.setText(self.tr("{0} (index damaged)").format(c.name) if damaged else
                     self.tr("{0} (re-index needed)").format(c.name) if c.reindex else c.name)
        tip = self.tr("{0} documents, {1} pages; embedding model {2}").format(c.documents, c.pages, c.embed_model)
        if damaged:
            tip += "\n" + self.tr("Index damaged: {0}. Use Repair to rebuild it from the PDFs.").format(damaged)
        elif c.reindex:
            tip += "\n" + self.tr("Re-index needed: {0}. Use Re-index to index every file again.").format(c.reindex)
        item.setToolTip(tip)

    def _on_damage_changed(self, name: str, _problem: str) -> None:
        for i in range(self.collection_list.count()):
            item = self.collection_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                self._label_item(item)
        if name == self.collection:
            self._show_damage()

    def _show_damage(self) -> None:
        """The banner over the window while the current collection's index is known to be damaged."""
        problem = self.controller.damaged.get(self.collection, "") if self.collection else ""
        if problem:
            self.damage_label.setText(self.tr(
                "The index of '{0}' is damaged ({1}). Repair rebuilds it from your PDFs; the broken files are "
                "kept aside.").format(self.collection, problem))
        self.damage_bar.setVisible(bool(problem))
        self.repair_button.setEnabled(self.repair_action.isEnabled())  # not while it runs, nor beside a reader

    def _on_collection_selected(self, item: QListWidgetItem | None, _previous=None) -> None:
        self.set_collection(item.data(Qt.ItemDataRole.UserRole) if item else "")

    def set_collection(self, name: str) -> None:
        self.collection = self._shown = name
        self.controller.open_collection(name)
        self.chat_view.set_chats(self.controller.chats, self.controller.chat_index)
        self.search_view.clear()
        if not name:
            self.chat_view.transcript.setHtml("<h3>" + self.tr("Welcome") + "</h3><p>" + self.tr(
                "Create a collection (Ctrl+N) and add folders of PDFs, or drop folders or PDF files on this "
                "window. Then ask questions: answers come only from your documents, with file and page.")
                + "</p>")
        self.refresh_documents()
        self._update_actions()
        self.controller.check_damage(name)  # in the background: the banner shows if it is damaged
        if name and self._warming_started:  # its embedding model may differ from the one loaded
            self.controller.warm(name)

    def refresh_documents(self) -> None:
        self.documents.clear()
        name = self.collection
        if not name:
            self.collection_info.setText("")
            return
        records, outcomes = self.controller.files(name)
        labels = {"indexed": self.tr("indexed"), "unchanged": self.tr("skipped, unchanged"),
                  "failed": self.tr("failed"), "pending": self.tr("not finished"), "removed": self.tr("removed")}
        for path, rec in sorted(records.items()):
            state = outcomes[path].status if path in outcomes and rec.status == "indexed" else rec.status
            label = self.tr("duplicate of {0}").format(Path(rec.alias_of).name) if state == "duplicate" else \
                labels.get(state, state)
            item = QTreeWidgetItem([Path(path).name, label, str(rec.pages), str(rec.chunks), rec.reason or path])
            item.setToolTip(0, path)
            item.setToolTip(4, rec.reason or path)
            item.setData(0, Qt.ItemDataRole.UserRole, path)
            self.documents.addTopLevelItem(item)
        self.documents.resizeColumnToContents(1)  # "duplicate of NAME.pdf" is read whole
        model = self.controller.embedding_model(name)
        roots = self.controller.roots(name)
        self.collection_info.setText(self.tr("{0} documents · embedding model: {1}\nFolders: {2}").format(
            len(records), model or self.tr("(not yet)"), ", ".join(roots) or self.tr("none yet"))
            + "\n" + self._ocr_line(name, records))

    def _ocr_line(self, name: str, records) -> str:
        """Whether `name`'s scanned pages are read by OCR, and how many were."""
        status = self.controller.ocr_status(name)
        read = sum(r.ocr_pages for r in records.values() if r.status == "indexed")
        unread = sum(r.empty_pages for r in records.values() if r.status == "indexed")
        self.ocr_action.setChecked(status["mode"] != "off")
        self.ocr_action.setToolTip(status["problem"] or self.tr(
            "Read pages without a text layer with OCR when indexing this collection"))
        if status["mode"] == "off":
            line = self.tr("OCR: off")
        elif not status["engine"]:
            line = self.tr("OCR: not available ({0})").format(status["problem"])
        else:
            line = self.tr("OCR: on ({0})").format(status["engine"])
        if read:
            line += " · " + self.tr("{0} page(s) read by OCR").format(read)
        if unread:
            line += " · " + self.tr("{0} scanned page(s) not read").format(unread)
        return line

    def toggle_ocr(self, on: bool) -> None:
        if not self.collection or not self.controller.has_collection(self.collection):
            return
        self.controller.set_collection_ocr(self.collection, on)
        self.refresh_documents()
        self.statusBar().showMessage(
            self.tr("Scanned pages of '{0}' are read by OCR from the next re-index (F5).").format(self.collection)
            if on else self.tr("Scanned pages of '{0}' are no longer read by OCR; pages read already stay "
                               "indexed.").format(self.collection), 15000)

    def _valid_name(self, name: str) -> bool:
        problem = self.controller.name_problem(name)
        if problem:
            self.show_error(problem)
        return not problem

    def new_collection(self) -> None:
        name, ok = QInputDialog.getText(self, self.tr("New collection"), self.tr("Name of the new collection:"))
        if ok and name.strip():
            self.create_collection(name.strip())

    def create_collection(self, name: str, paths: list[str] | None = None) -> None:
        if not self._valid_name(name):
            return
        self.statusBar().showMessage(self.tr("Creating '{0}' (loading the embedding model)…").format(name))
        self._pending = name  # selected once it exists; a failure leaves the current one selected
        self.controller.create_collection(name, then_index=paths)

    def rename_collection(self) -> None:
        if not self.collection:
            return
        name, ok = QInputDialog.getText(self, self.tr("Rename collection"), self.tr("New name:"),
                                        text=self.collection)
        if ok and name.strip() and name.strip() != self.collection:
            self.rename_to(name.strip())

    def rename_to(self, name: str) -> None:
        if self._valid_name(name) and self.controller.rename_collection(self.collection, name):
            self.collection = name
            self.refresh_collections()

    def delete_collection(self) -> None:
        if not self.collection:
            return
        answer = QMessageBox.question(self, self.tr("Delete collection"), self.tr(
            "Delete the collection '{0}', its index and its chats? Your PDF files are not touched.").format(
            self.collection))
        if answer == QMessageBox.StandardButton.Yes:
            self.controller.delete_collection(self.collection)

    # ---- adding and indexing
    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder of PDFs"))
        if folder:
            self.add_paths([folder])

    def add_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Add PDF files"), "", self.tr("PDF files (*.pdf)"))
        if files:
            self.add_paths(files)

    def add_paths(self, paths: list[str]) -> None:
        """Index folders or files into the current collection; with none yet, make one named after them."""
        if not paths:
            return
        if self.collection:
            self.controller.index(self.collection, paths)
            return
        self.create_collection(self.controller.suggest_name(paths[0]), paths)

    def reindex(self) -> None:
        if self.collection:
            self.controller.index(self.collection)

    @staticmethod
    def _bar(name: str, background: str, border: str, text: str, button: QPushButton) -> tuple[QFrame, QLabel]:
        """A hidden coloured bar across the window: a selectable wrapped message, and a button at its end."""
        label = QLabel()
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setObjectName(f"{name}Text")
        bar = QFrame()
        bar.setObjectName(f"{name}Bar")
        bar.setStyleSheet(f"#{name}Bar {{ background: {background}; border: 1px solid {border}; }}"
                          f" #{name}Text {{ color: {text}; }}")
        row = QHBoxLayout(bar)
        row.addWidget(label, 1)
        row.addWidget(button)
        bar.hide()
        return bar, label

    def repair_damaged(self) -> None:
        """The banner's Repair: the damage is known, so the rebuild starts at once."""
        if self.collection:
            self.controller.repair(self.collection)

    def repair_collection(self) -> None:
        """Collection → Repair index…: a damaged index is rebuilt; a whole one only once confirmed."""
        if not self.collection:
            return
        if self.controller.damaged.get(self.collection):
            self.controller.repair(self.collection)
            return
        answer = QMessageBox.question(self, self.tr("Repair index"), self.tr(
            "No damage was found in the index of '{0}'. Rebuild it anyway? Every file is indexed again from "
            "your PDFs, which can take a while; the current index files are kept aside.").format(self.collection))
        if answer == QMessageBox.StandardButton.Yes:
            self.controller.repair(self.collection, rebuild=True)

    def cancel_index(self) -> None:
        self.controller.cancel_index()
        self.cancel_button.setEnabled(False)
        self.progress_label.setText(self.tr("Cancelling — files already finished are kept…"))

    def _on_progress(self, p) -> None:
        self.statusBar().clearMessage()
        now = time.monotonic()
        if now - self._documents_refreshed > 2.0 and self.controller.indexing_collection == self.collection:
            self._documents_refreshed = now  # the Documents tab fills in as files finish
            self.refresh_documents()
        for w in (self.progress_label, self.progress, self.cancel_button):
            w.show()
        self.cancel_button.setEnabled(not self.controller.indexing.cancel.is_set()
                                      if self.controller.indexing else False)
        self.progress.setRange(0, max(p.files_total, 1))
        self.progress.setValue(p.files_done)
        text = (self.tr("Rebuilding '{0}': {1} of {2} files · {3} pages · {4:.1f} pages/s")
                if self.controller.rebuilding else
                self.tr("Indexing '{0}': {1} of {2} files · {3} pages · {4:.1f} pages/s")).format(
            self.controller.indexing_collection, p.files_done, p.files_total, p.pages_done, p.pages_per_s)
        if p.eta_s:
            text += " · " + self.tr("about {0} left").format(_duration(p.eta_s))
        long_file, done, of = p.embedding
        if of:
            text += " · " + self.tr("{0}: {1} of {2} passages").format(Path(long_file).name, done, of)
        scan, done, of = p.ocr
        if scan:
            text += " · " + self.tr("{0}: OCR page {1} of {2}, {3:.2f} pages/s").format(
                Path(scan).name, done, of, p.ocr_pages_per_s)
            if p.ocr_eta_s is not None:
                text += " · " + self.tr("about {0} left").format(_duration(p.ocr_eta_s))
        if not self.cancel_button.isEnabled():
            text = self.tr("Cancelling — files already finished are kept…")
        self.progress_label.setText(text)

    def _on_index_finished(self, final) -> None:
        for w in (self.progress_label, self.progress, self.cancel_button):
            w.hide()
        self.cancel_button.setEnabled(True)
        if final is None:
            self.statusBar().showMessage(self.tr("Indexing stopped with an error; files already finished are "
                                                 "kept."), 15000)
        else:
            msg = self.tr("'{0}': {1} indexed, {2} unchanged, {3} failed, {4} removed.").format(
                self.controller.indexing_collection or self.collection, final.count("indexed"),
                final.count("unchanged"), final.count("failed"), final.count("removed"))
            scanned = sum(o.ocr_pages for o in final.outcomes if o.status == "indexed")
            if scanned:
                msg += " " + self.tr("{0} page(s) read by OCR.").format(scanned)
            if final.count("duplicate"):
                msg += " " + self.tr("{0} duplicate(s): the same content as an indexed file, indexed once.").format(
                    final.count("duplicate"))
            if final.count("skipped"):
                first = next(o for o in final.outcomes if o.status == "skipped")
                msg += " " + self.tr("{0} skipped (not regular files, e.g. {1}: {2}).").format(
                    final.count("skipped"), Path(first.path).name, first.reason)
            if final.notice:  # e.g. that a damaged index was rebuilt, and where its broken files are kept
                notice = final.notice[:1].upper() + final.notice[1:].rstrip(".") + "."
                msg = notice if not final.outcomes else notice + " " + msg
            if final.cancelled:
                msg = self.tr("Indexing cancelled; finished files were kept.") + " " + msg
            self.statusBar().showMessage(msg, 30000)
            self.last_index_message = msg
        self.refresh_documents()

    # ---- chat
    def current_chat(self) -> Chat | None:
        return self.controller.current_chat()

    def ask(self, question: str) -> None:
        self.error_bar.hide()
        self._say_if_loading()
        self.controller.ask(question)

    def _say_if_loading(self) -> None:
        """A question asked before the embedding model has loaded waits for it: the status bar says why."""
        if self.controller.loading_model():
            self.statusBar().showMessage(self._loading_text())

    def _loading_text(self) -> str:
        return self.tr("Loading the embedding model…")

    def _on_warm_finished(self) -> None:
        if self.statusBar().currentMessage() == self._loading_text():
            self.statusBar().clearMessage()

    def _on_answer_started(self, collection: str, question: str) -> None:
        self.chat_view.begin_answer(question)
        self.tabs.setCurrentWidget(self.chat_view)

    def _on_answer_piece(self, text: str) -> None:
        if self.controller.asking is not None and self.controller.asking.collection == self.collection:
            self.chat_view.append_piece(text)

    def _on_answer_finished(self, collection: str, turn) -> None:
        if collection == self.collection:
            self.chat_view.finish_answer()
            self.chat_view.set_chats(self.controller.chats, self.controller.chat_index)
        if turn.error:
            self.show_error(turn.error)
        self.chat_view.question.setFocus()

    def new_chat(self) -> None:
        if self.controller.new_chat():
            self.chat_view.set_chats(self.controller.chats, self.controller.chat_index)

    def select_chat(self, index: int) -> None:
        self.controller.select_chat(index)
        self.chat_view.show_chat(self.current_chat())

    def open_source(self, turn_index: int, n: int) -> None:
        chat = self.current_chat()
        if chat is None or not 0 <= turn_index < len(chat.turns):
            return
        for s in chat.turns[turn_index].sources:
            if s.n == n:
                self.viewer_show(s.file, s.page, s.quote)
                return

    def open_last_source(self, n: int) -> None:
        chat = self.current_chat()
        if chat is not None and chat.turns:
            self.open_source(len(chat.turns) - 1, n)

    # ---- search and quality
    def focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.search_view)
        self.search_view.query.setFocus()
        self.search_view.query.selectAll()

    def search(self, question: str) -> None:
        self._say_if_loading()
        self.controller.search(question)

    def _on_search_started(self, collection: str, question: str) -> None:
        if collection == self.collection:
            self.search_view.begin(question)

    def _on_search_finished(self, searched) -> None:
        if searched.collection == self.collection:
            self.search_view.show_searched(searched)

    def check_quality(self) -> None:
        from ui.quality_dialog import QualityDialog

        if not self.collection:
            return
        if self.quality_dialog is None or self.quality_dialog.collection != self.collection:
            if self.quality_dialog is not None:
                self.quality_dialog.deleteLater()
            self.quality_dialog = QualityDialog(self.controller, self.collection, self)
        self.quality_dialog.open()

    def viewer_show(self, path: str, page: int, quote: str) -> None:
        if self.viewer.isHidden():  # the page gets about half the window
            self.viewer.show()
            total = sum(self.splitter.sizes())
            self.splitter.setSizes([int(total * 0.16), int(total * 0.38), int(total * 0.46)])
        if self.viewer.show_source(path, page, quote):
            self.viewer.setFocus()

    def _labels(self) -> dict[str, str]:
        return {"q": self.tr("Q:"), "error": self.tr("Error:"), "none": self.tr("(no answer)"),
                "stopped": self.tr("(stopped before the end)"), "sources": self.tr("Sources:"),
                "retrieved": self.tr("Retrieved passages (not citations):"), "page": self.tr("p."),
                "chat": self.tr("Chat"), "collection": self.tr("Collection:"),
                "unsupported": self.tr("Not found in the passages they cite (unverified):"),
                "incomplete": self.tr("Incomplete, the answer broke off:")}

    def copy_last_answer(self) -> None:
        chat = self.current_chat()
        if chat is not None and chat.turns:
            QGuiApplication.clipboard().setText(turn_to_markdown(chat.turns[-1], self._labels()))
            self.statusBar().showMessage(self.tr("Answer and sources copied as Markdown."), 5000)

    def export_chat(self, path: str = "") -> None:
        """Markdown to read, or JSON with every answer's audit record (by the file's suffix)."""
        chat = self.current_chat()
        if chat is None or not chat.turns:
            self.show_error(self.tr("This chat has no answers to export yet."))
            return
        if not path:
            stamp = QDateTime.currentDateTime().toString("yyyy-MM-dd")
            markdown, records = self.tr("Markdown (*.md)"), self.tr("JSON with audit records (*.json)")
            path, chosen = QFileDialog.getSaveFileName(self, self.tr("Export chat"), f"{self.collection}-{stamp}.md",
                                                       f"{markdown};;{records}")
            if path and chosen == records and not path.lower().endswith(".json"):
                path = str(Path(path).with_suffix(".json"))
        if not path:
            return
        if path.lower().endswith(".json"):
            text = json.dumps(chat_to_records(chat, self.collection), ensure_ascii=False, indent=2)
        else:
            text = chat_to_markdown(chat, self.collection, self._labels())
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as e:
            self.show_error(self.tr("Cannot write {0}: {1}").format(path, e.strerror or e))
            return
        self.statusBar().showMessage(self.tr("Chat exported to {0}").format(path), 8000)

    # ---- settings
    def open_settings(self) -> None:
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.controller, self.collection, self)
        dialog.open()
        self.settings_dialog = dialog

    # ---- errors and state
    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_bar.show()
        self.statusBar().showMessage(self.tr("Error: {0}").format(message.splitlines()[0] if message else ""),
                                     10000)

    def _update_actions(self) -> None:
        has = bool(self.collection)
        indexing = self.controller.indexing is not None
        asking = self.controller.asking is not None  # the answer belongs to this collection's chat
        reading = self.controller.reading()  # a search or a quality check is running
        rebuilding = self.controller.is_rebuilding(self.collection)  # it cannot be read until that ends
        for a in (self.reindex_action, self.repair_action, self.rename_action, self.delete_action, self.ocr_action):
            a.setEnabled(has and not indexing and not asking and not reading)
        self.add_folder_action.setEnabled(not indexing)
        self.add_files_action.setEnabled(not indexing)
        self.new_action.setEnabled(not asking)
        self.collection_list.setEnabled(not asking)
        self.settings_action.setEnabled(not self.controller.busy())
        self.chat_view.set_busy(self.controller.asking is not None, can_ask=not rebuilding)
        self.chat_view.setEnabled(has)
        self.search_view.setEnabled(has and not rebuilding)
        self.search_focus_action.setEnabled(has and not rebuilding)
        self.quality_action.setEnabled(has and not rebuilding)
        self._show_damage()

    # ---- drag and drop
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._warming_started:  # the model loads while the user reads the window, not at the question
            self._warming_started = True
            QTimer.singleShot(0, self, self._start_warming)

    def _start_warming(self) -> None:
        if self.isVisible():
            self.controller.warm(self.collection)

    def closeEvent(self, event) -> None:
        self.controller.close()
        super().closeEvent(event)

