"""The chat pane: a transcript with clickable sources, the question box, Ask and Stop."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from assistant.chats import Chat, Turn
from assistant.markers import MARKER, numbers

UNSUPPORTED_COLOR = "#b00020"  # the underline of a sentence no cited passage supports


class ChatView(QWidget):
    ask_requested = Signal(str)
    stop_requested = Signal()
    source_activated = Signal(int, int)  # turn index in the shown chat, source number
    new_chat_requested = Signal()
    chat_selected = Signal(int)
    export_requested = Signal()
    copy_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.chat: Chat | None = None
        self._live_start = -1

        self.chooser = QComboBox()
        self.chooser.setAccessibleName(self.tr("Chats of this collection"))
        self.chooser.setMinimumContentsLength(24)
        self.chooser.activated.connect(self.chat_selected.emit)
        self.new_button = QPushButton(self.tr("New chat"))
        self.new_button.clicked.connect(self.new_chat_requested.emit)
        self.copy_button = QPushButton(self.tr("Copy answer"))
        self.copy_button.setToolTip(self.tr("Copy the last answer with its sources as Markdown"))
        self.copy_button.clicked.connect(self.copy_requested.emit)
        self.export_button = QPushButton(self.tr("Export…"))
        self.export_button.setToolTip(self.tr("Save this chat with its sources as Markdown, or as JSON with "
                                              "each answer's audit record (`assistant show` reads it)"))
        self.export_button.clicked.connect(self.export_requested.emit)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Chat:")))
        top.addWidget(self.chooser, 1)
        for b in (self.new_button, self.copy_button, self.export_button):
            top.addWidget(b)

        self.transcript = QTextBrowser()
        self.transcript.setOpenLinks(False)
        self.transcript.setAccessibleName(self.tr("Conversation"))
        self.transcript.anchorClicked.connect(self._anchor)
        self.transcript.document().setDefaultStyleSheet(
            ".q { font-weight: bold; } .meta { color: #666; } .err { color: #b00020; } "
            ".src { margin-left: 12px; } a { text-decoration: none; }")

        self.question = QLineEdit()
        self.question.setPlaceholderText(self.tr("Ask a question about the documents in this collection…"))
        self.question.setAccessibleName(self.tr("Question"))
        self.question.returnPressed.connect(self._ask)
        self.ask_button = QPushButton(self.tr("&Ask"))
        self.ask_button.setDefault(True)
        self.ask_button.clicked.connect(self._ask)
        self.stop_button = QPushButton(self.tr("&Stop"))
        self.stop_button.setToolTip(self.tr("Stop the answer (Esc)"))
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_requested.emit)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Cancel), self, self.stop_requested.emit)
        bottom = QHBoxLayout()
        bottom.addWidget(self.question, 1)
        bottom.addWidget(self.ask_button)
        bottom.addWidget(self.stop_button)
        self.status = QLabel()
        self.status.setObjectName("chatStatus")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.transcript, 1)
        layout.addWidget(self.status)
        layout.addLayout(bottom)

    # ---- input
    def _ask(self) -> None:
        text = self.question.text().strip()
        if text and self.ask_button.isEnabled():
            self.ask_requested.emit(text)

    def _anchor(self, url: QUrl) -> None:
        if url.scheme() == "source":
            turn, _, n = url.path().partition("/")
            self.source_activated.emit(int(turn), int(n))

    def set_busy(self, answering: bool, can_ask: bool = True) -> None:
        """`answering`: Stop instead of Ask; `can_ask` False: neither (the collection is being rebuilt)."""
        self.ask_button.setEnabled(not answering and can_ask)
        self.stop_button.setEnabled(answering)
        self.chooser.setEnabled(not answering)
        self.new_button.setEnabled(not answering)

    # ---- showing chats
    def set_chats(self, chats: list[Chat], current: int) -> None:
        self.chooser.clear()
        for i, chat in enumerate(chats):
            self.chooser.addItem(chat.title or self.tr("New chat"), i)
        if chats:
            self.chooser.setCurrentIndex(current)
            self.show_chat(chats[current])
        else:
            self.show_chat(None)

    def show_chat(self, chat: Chat | None) -> None:
        self.chat = chat
        self._live_start = -1
        if chat is None or not chat.turns:
            self.transcript.setHtml(
                "<p class='meta'>" + html.escape(self.tr(
                    "Ask a question. Answers come only from the documents in this collection and cite "
                    "file and page; click a source to open the page.")) + "</p>")
            return
        self.transcript.setHtml("".join(self._turn_html(i, t) for i, t in enumerate(chat.turns)))
        self._dot_underlines()
        self.transcript.moveCursor(QTextCursor.MoveOperation.End)

    def _turn_html(self, index: int, turn: Turn) -> str:
        out = [f"<p class='q'>{html.escape(self.tr('You:'))} {html.escape(turn.question)}</p>"]
        if turn.error:
            out.append(f"<p class='err'>{html.escape(self.tr('Error:'))} {html.escape(turn.error)}</p>")
            return "".join(out) + "<hr/>"
        out.append(f"<p>{self._body_html(index, turn)}</p>")
        out += self._verification_html(turn)
        if turn.stopped:
            out.append(f"<p class='meta'>{html.escape(self.tr('(stopped before the end)'))}</p>")
        if turn.incomplete:
            broke = self.tr("Incomplete, the answer broke off: {0}").format(turn.incomplete)
            out.append(f"<p class='err'>{html.escape(broke)}</p>")
        if turn.sources:
            heading = self.tr("Sources:") if turn.cited else self.tr(
                "Retrieved passages (not citations; the model did not cite):")
            out.append(f"<p class='meta'>{html.escape(heading)}</p>")
            for s in turn.sources:
                label = self.tr("{0} — p. {1}").format(Path(s.file).name, s.page)
                quote = " ".join(s.quote.split())
                if len(quote) > 240:
                    quote = quote[:240] + "…"
                flag = (" <span class='err'>" + html.escape(self.tr("(no sentence found in it)")) + "</span>"
                        if s.supported is False else "")
                out.append(f"<p class='src'>[{s.n}] <a href='source:{index}/{s.n}'>{html.escape(label)}</a>{flag}"
                           f" <span class='meta'>“{html.escape(quote)}”</span></p>")
        if turn.model:
            out.append(f"<p class='meta'>{html.escape(turn.model)}</p>")
        return "".join(out) + "<hr/>"

    def _body_html(self, index: int, turn: Turn) -> str:
        """The answer with its markers as links, and each sentence no cited passage supports underlined
        (dotted, red: `_dot_underlines`) with why in its tooltip."""

        def plain(text: str) -> str:
            body = html.escape(text).replace("\n", "<br/>")
            if turn.cited:
                body = MARKER.sub(lambda m: ", ".join(
                    f"<a href='source:{index}/{n}'>[{n}]</a>" for n in numbers(m)), body)
            return body

        text, parts, at = turn.text, [], 0
        for start, end, why in sorted(turn.marks):
            if start < at or end > len(text):
                continue  # not from this text (an edited chat file): leave it plain
            tip = html.escape(self.tr("Not verified: {0}").format(why), quote=True)
            parts += [plain(text[at:start]),
                      f"<span class='unsupported' title=\"{tip}\" style='text-decoration: underline; "
                      f"text-decoration-color: {UNSUPPORTED_COLOR}'>{plain(text[start:end])}</span>"]
            at = end
        return "".join(parts + [plain(text[at:])]).strip()

    def _dot_underlines(self) -> None:
        """Qt's HTML has no dotted underline: make the underlines of unverified sentences dotted."""
        doc = self.transcript.document()
        ranges, block = [], doc.begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                fmt = fragment.charFormat()
                if fmt.toolTip() and fmt.fontUnderline() and fmt.underlineColor().name() == UNSUPPORTED_COLOR:
                    ranges.append((fragment.position(), fragment.position() + fragment.length()))
                it += 1
            block = block.next()
        dotted = QTextCharFormat()
        dotted.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
        dotted.setUnderlineColor(QColor(UNSUPPORTED_COLOR))
        for start, end in ranges:  # after the walk: formatting splits the fragments being walked
            cursor = QTextCursor(doc)
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(dotted)

    def _verification_html(self, turn: Turn) -> list[str]:
        """What checking the sentences against their passages found, when not all were supported."""
        if not turn.found or turn.verified in ("", "all"):
            return []
        if not turn.cited:
            head = self.tr("Unverified: the answer cites no passage, so no sentence could be checked against "
                           "your documents.")
        elif turn.verified == "none":
            head = self.tr("Unverified: no sentence was found in the passage it cites. Do not rely on this "
                           "answer.")
        else:
            head = self.tr("Partly verified: these sentences were not found in the passages they cite, or cite "
                           "none:")
        out = [f"<p class='err'>{html.escape(head)}</p>"]
        out += [f"<p class='err'>✗ {html.escape(line)}</p>" for line in turn.unsupported]
        return out

    # ---- the answer being written
    def begin_answer(self, question: str) -> None:
        if self.chat is not None and not self.chat.turns:
            self.transcript.clear()
        cursor = self.transcript.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertHtml(f"<p class='q'>{html.escape(self.tr('You:'))} {html.escape(question)}</p>")
        cursor.insertBlock()
        self._live_start = cursor.position()
        self.transcript.setTextCursor(cursor)
        self.question.clear()
        self.status.setText(self.tr("Searching the documents and preparing the model…"))

    def append_piece(self, text: str) -> None:
        if self._live_start < 0:
            return
        self.status.setText(self.tr("Writing the answer… (Esc stops)"))
        cursor = self.transcript.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        self.transcript.setTextCursor(cursor)
        self.transcript.ensureCursorVisible()

    def finish_answer(self) -> None:
        self.status.clear()
        self.show_chat(self.chat)
