"""The Search tab and Check quality, driven through their widgets with pytest-qt (offscreen).

Real pypdf, ChromaDB and multilingual-e5-small on the sample documents in five languages; no language model.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from conftest import E5  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from test_ui import index_and_wait, open_window  # noqa: E402, F401  (open_window is a fixture)

FI_FILE = "kaupunginarkisto_poytakirja_1921.pdf"
DIRECTOR = "Who was elected director of the city archive in 1921?"
OFF_TOPIC = "Which team won the ice hockey world championship in 1995?"


def indexed_window(qtbot, open_window, settings_for, samples):  # noqa: F811
    window = open_window(settings_for(embedding_model=E5))
    assert not window.search_view.isEnabled() and not window.quality_action.isEnabled()  # no collection yet
    _, final = index_and_wait(qtbot, window, lambda: window.create_collection("archive", [str(samples)]))
    assert final.count("indexed") == 5
    assert window.search_view.isEnabled() and window.quality_action.isEnabled()
    return window


def search_and_wait(qtbot, window, question: str):
    view = window.search_view
    view.query.clear()
    qtbot.keyClicks(view.query, question)
    with qtbot.waitSignal(window.controller.search_finished, timeout=120_000) as blocker:
        qtbot.keyClick(view.query, Qt.Key.Key_Return)  # Enter searches
    return blocker.args[0]


def test_search_tab_ranks_pages_opens_them_and_shows_refusals(qtbot, open_window, settings_for, samples):  # noqa: F811
    window = indexed_window(qtbot, open_window, settings_for, samples)
    view = window.search_view

    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)  # Ctrl+F: the Search tab
    assert window.tabs.currentWidget() is view and QGuiApplication.focusObject() is view.query

    searched = search_and_wait(qtbot, window, DIRECTOR)
    assert not searched.error and searched.question == DIRECTOR
    top = view.results.topLevelItem(0)
    assert (top.text(0), top.text(1), top.text(2)) == ("1", FI_FILE, "2")
    assert view.results.topLevelItemCount() == len(searched.result.pages) > 1
    scores = [float(view.results.topLevelItem(i).text(3)) for i in range(view.results.topLevelItemCount())]
    assert scores == sorted(scores, reverse=True)
    assert "Virtasen" in top.text(4) and len(top.text(4)) <= 201
    assert view.preview.isVisible() and "Aino Virtasen" in view.preview.toPlainText()  # all of the passage
    assert re.fullmatch(r"\d+ pages in \d+\.\d\d s", view.status.text()), view.status.text()

    # Enter on the first result: the cited page in the viewer, the passage highlighted
    view.results.setFocus()
    view.results.setCurrentItem(top)
    qtbot.keyClick(view.results, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.viewer.isVisible())
    assert Path(window.viewer.current_file()).name == FI_FILE and window.viewer.current_page() == 2
    assert window.viewer.highlight_rects()

    # a double-click on another result opens that one
    second = view.results.topLevelItem(1)
    view.results.scrollToItem(second)
    at = view.results.visualItemRect(second).center()
    qtbot.mouseClick(view.results.viewport(), Qt.MouseButton.LeftButton, pos=at)  # a real double-click's
    qtbot.mouseDClick(view.results.viewport(), Qt.MouseButton.LeftButton, pos=at)  # first press, then it
    assert Path(window.viewer.current_file()).name == second.text(1)
    assert window.viewer.current_page() == int(second.text(2)) and window.viewer.highlight_rects()

    # off-topic: the pages are still listed, and the status says that Ask would refuse, and why
    refused = search_and_wait(qtbot, window, OFF_TOPIC)
    assert not refused.result.decision.answer
    assert view.status.text().startswith("Ask would refuse: ") and "calibrated" in view.status.text()
    assert refused.result.decision.reason in view.status.text()

    # a search asked while one runs replaces it: only the last one's result arrives
    finished = []
    window.controller.search_finished.connect(finished.append)
    window.controller.search(OFF_TOPIC)
    window.controller.search("Kuka valittiin kaupunginarkiston johtajaksi?")
    qtbot.waitUntil(lambda: window.controller.searching is None and bool(finished), timeout=120_000)
    qtbot.wait(100)
    assert [s.question for s in finished] == ["Kuka valittiin kaupunginarkiston johtajaksi?"]
    assert view.results.topLevelItem(0).text(1) == FI_FILE


def test_check_quality_shows_the_eval_table_and_a_bad_line(qtbot, open_window, settings_for, samples,  # noqa: F811
                                                           tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window = indexed_window(qtbot, open_window, settings_for, samples)
    good = tmp_path / "questions.jsonl"
    good.write_text("\n".join(json.dumps(q) for q in [
        {"question": DIRECTOR, "file": FI_FILE, "page": 2},
        {"question": "How much will digitising the newspaper collection cost?",
         "file": "biblioteksstyrelsen_protokoll_1998.pdf", "page": 2},
        {"question": OFF_TOPIC, "file": None, "page": None},
    ]) + "\n", encoding="utf-8")

    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)  # Ctrl+E: Check quality…
    dialog = window.quality_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.run_button.isEnabled()  # no file yet
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(good), ""))
    qtbot.mouseClick(next(b for b in dialog.findChildren(type(dialog.run_button))
                          if b.text() == "Choose questions file…"), Qt.MouseButton.LeftButton)
    assert dialog.path.text() == str(good) and dialog.run_button.isEnabled()

    with qtbot.waitSignal(window.controller.evaluation_finished, timeout=120_000) as blocker:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        assert dialog.busy.isVisible() and not dialog.run_button.isEnabled()
    evaluation = blocker.args[0]
    assert not evaluation.error, evaluation.error
    table = dialog.table.toPlainText()
    assert "file@5" in table and "refused_when_absent" in table and "cross-lingual" in table
    assert table.startswith("3 questions: 2 answerable, 1 with no answer")
    assert evaluation.summary["file@5"] == 1.0 and evaluation.summary["refused_when_absent"] == 1.0
    assert dialog.table.isReadOnly() and dialog.busy.isHidden() and dialog.run_button.isEnabled()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == table

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": DIRECTOR, "file": FI_FILE, "page": 2}) + "\nthis is not json\n",
                   encoding="utf-8")
    dialog.path.setText(str(bad))
    with qtbot.waitSignal(window.controller.evaluation_finished, timeout=120_000):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    message = dialog.message.text()
    assert "line 2" in message and "\n" not in message
    assert "#b00020" in dialog.message.styleSheet()  # in red
    assert dialog.table.toPlainText() == "" and not dialog.copy_button.isEnabled()

    dialog.accept()
    window.quality_action.trigger()  # opened again: the same dialog, as it was left
    assert window.quality_dialog is dialog and dialog.isVisible()
