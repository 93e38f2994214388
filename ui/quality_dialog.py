"""Check quality: how well the collection's search finds the right file and page, and refuses questions
no document answers, measured on a questions file; the table `assistant eval` prints."""

from __future__ import annotations

import html

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

EXAMPLE = ('{"question": "Who was elected director of the city archive in 1921?", '
           '"file": "minutes_1921.pdf", "page": 2}')


class QualityDialog(QDialog):
    def __init__(self, controller, collection: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.collection = collection
        self.setWindowTitle(self.tr("Check quality of '{0}'").format(collection))
        self.setMinimumSize(760, 560)
        self.resize(880, 680)

        explanation = QLabel(
            "<p>" + html.escape(self.tr(
                "Measures how well search finds the right document for questions whose answer you know, and "
                "whether it refuses questions that no document answers. No language model runs.")) + "</p><p>"
            + html.escape(self.tr(
                "The questions file has one JSON object per line: the question, the file that answers it "
                "(its name), and the page, or null for both when no document answers it:")) + "</p>"
            + f"<pre>{html.escape(EXAMPLE)}\n"
            + html.escape('{"question": "Who won the 1995 ice hockey world championship?", "file": null, '
                          '"page": null}') + "</pre>")
        explanation.setWordWrap(True)

        self.path = QLineEdit()
        self.path.setPlaceholderText(self.tr("Questions file (.jsonl)"))
        self.path.setAccessibleName(self.tr("Questions file"))
        self.path.textChanged.connect(self._sync)
        self.path.returnPressed.connect(lambda: self.run())
        choose = QPushButton(self.tr("Choose questions file…"))
        choose.clicked.connect(self.choose)
        self.run_button = QPushButton(self.tr("&Run"))
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(lambda: self.run())
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(choose)
        row.addWidget(self.run_button)

        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # no count to show: the engine scores the whole file in one call
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(12)
        self.busy.hide()
        self.message = QLabel()
        self.message.setObjectName("qualityMessage")
        self.message.setWordWrap(True)

        self.table = QPlainTextEdit()
        self.table.setReadOnly(True)
        self.table.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.table.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.table.setAccessibleName(self.tr("Quality report"))
        self.table.setPlaceholderText(self.tr("The report appears here."))

        self.copy_button = QPushButton(self.tr("&Copy"))
        self.copy_button.setToolTip(self.tr("Copy the report as text"))
        self.copy_button.clicked.connect(self.copy)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addLayout(row)
        layout.addWidget(self.busy)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        controller.evaluation_finished.connect(self._finished)
        self._sync()

    def choose(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a questions file"), self.path.text(),
                                              self.tr("Questions (*.jsonl);;All files (*)"))
        if path:
            self.path.setText(path)

    def run(self, path: str = "") -> None:
        path = path or self.path.text().strip()
        if not path or self.controller.evaluating is not None:
            return
        self.path.setText(path)
        self._set_message(self.tr("Scoring the questions on '{0}'… (the first run after the collection "
                                  "changed takes longer)").format(self.collection))
        self.table.clear()
        if self.controller.evaluate(path, self.collection) is not None:
            self.busy.show()
        self._sync()

    def copy(self) -> None:
        if self.table.toPlainText():
            QGuiApplication.clipboard().setText(self.table.toPlainText())
            self._set_message(self.tr("Report copied."))

    def _finished(self, evaluation) -> None:
        self._sync()
        if evaluation.collection != self.collection:
            return
        self.busy.hide()
        if evaluation.error:
            self._set_message(evaluation.error.splitlines()[0], error=True)
        else:
            self.table.setPlainText(evaluation.table)
            self._set_message(self.tr("Scored {0} questions from {1}.").format(
                evaluation.summary["questions"], evaluation.questions_file))
        self._sync()

    def _set_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b00020;" if error else "")

    def _sync(self) -> None:
        running = self.controller.evaluating is not None
        self.run_button.setEnabled(bool(self.path.text().strip()) and not running)
        self.copy_button.setEnabled(bool(self.table.toPlainText()) and not running)
