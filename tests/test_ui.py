"""The desktop app, driven through its widgets with pytest-qt (offscreen), on the real offline models.

Real pypdf, ChromaDB, MiniLM and SmolLM2 (in its own process, as the app runs it); no fakes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from conftest import E5, MINILM, free_port, run_cli  # noqa: E402
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent  # noqa: E402

from assistant.samples import write_pdf  # noqa: E402
from assistant.settings import load_settings  # noqa: E402
from ui.controller import Controller  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

QUESTION = "When was the reading room closed, and why?"
REPORT = "harbour_archive_report_1923.pdf"


@pytest.fixture
def open_window(qtbot):
    windows = []

    def make(settings) -> MainWindow:
        window = MainWindow(Controller(settings))
        qtbot.addWidget(window)  # closed at the end of the test, which stops its jobs and model process
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:  # closing does not wait for a model's load; the next test should not see it run
        if window.controller.warming is not None:
            window.controller.warming.wait(60)


def drop(window: MainWindow, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def index_and_wait(qtbot, window: MainWindow, start, timeout_ms: int = 300_000):
    """Run `start()`, collect the progress events, return (events, final Progress)."""
    events, finals = [], []
    window.controller.index_progress.connect(events.append)
    window.controller.index_finished.connect(finals.append)
    start()
    qtbot.waitUntil(lambda: bool(finals), timeout=timeout_ms)
    return events, finals[0]


def ask_and_wait(qtbot, window: MainWindow, question: str, timeout_ms: int = 300_000):
    pieces, turns = [], []
    window.controller.answer_piece.connect(pieces.append)
    window.controller.answer_finished.connect(lambda _c, t: turns.append(t))
    qtbot.keyClicks(window.chat_view.question, question)
    qtbot.keyClick(window.chat_view.question, Qt.Key.Key_Return)  # Enter asks
    qtbot.waitUntil(lambda: bool(turns), timeout=timeout_ms)
    return pieces, turns[0]


def documents(window: MainWindow) -> list:
    return [window.documents.topLevelItem(i) for i in range(window.documents.topLevelItemCount())]


def test_from_an_empty_app_to_a_cited_page(qtbot, open_window, settings_for, samples, tmp_path):
    settings = settings_for()
    window = open_window(settings)
    assert window.collection_list.count() == 0
    assert "Welcome" in window.chat_view.transcript.toPlainText()
    assert not window.reindex_action.isEnabled()

    # drag the folder onto the window: a collection named after it is created and indexed
    events, final = index_and_wait(qtbot, window, lambda: drop(window, [samples]))
    assert window.collection == "docs" and window.collection_list.currentItem().text() == "docs"
    assert final.finished and not final.cancelled and final.count("indexed") == 5
    assert events[-1].files_done == events[-1].files_total == 5
    assert any(e.pages_per_s > 0 for e in events)
    # each event is a snapshot of its moment, not one object the worker kept changing
    done = [e.files_done for e in events]
    assert done == sorted(done) and done[0] < done[-1] and len({id(e) for e in events}) == len(events)
    with pytest.raises(AttributeError):
        events[0].files_done = 99
    assert "5 indexed" in window.last_index_message
    assert window.progress.isHidden()  # the bar goes away when done
    states = [window.documents.topLevelItem(i).text(1) for i in range(window.documents.topLevelItemCount())]
    assert states == ["indexed"] * 5

    # ask: the answer streams in, then the sources appear as links
    pieces, turn = ask_and_wait(qtbot, window, QUESTION)
    assert not turn.error, turn.error
    assert len(pieces) > 1 and turn.text.strip()
    assert turn.sources and any(Path(s.file).name == REPORT and s.page == 2 for s in turn.sources)
    html = window.chat_view.transcript.toHtml()
    assert f"{REPORT} — p. 2" in window.chat_view.transcript.toPlainText()
    assert "source:0/" in html

    # click a source: the PDF opens inside the app at that page with the passage highlighted
    target = next(s for s in turn.sources if Path(s.file).name == REPORT)
    window.chat_view.transcript.anchorClicked.emit(QUrl(f"source:0/{target.n}"))
    qtbot.waitUntil(lambda: window.viewer.isVisible())
    assert Path(window.viewer.current_file()).name == REPORT and window.viewer.current_page() == 2
    assert window.viewer.highlight_rects()
    # and by keyboard: Ctrl+<n> opens source n of the last answer
    window.viewer.show_source(str(samples / "fi" / os.listdir(samples / "fi")[0]), 1, "")
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.viewer.current_page() == turn.sources[0].page
    assert Path(window.viewer.current_file()).name == Path(turn.sources[0].file).name

    # re-index with one action: nothing changed, nothing redone
    _, again = index_and_wait(qtbot, window, window.reindex_action.trigger)
    assert again.count("unchanged") == 5 and again.count("indexed") == 0
    assert window.documents.topLevelItem(0).text(1) == "skipped, unchanged"

    # export the chat as Markdown
    out = tmp_path / "chat.md"
    window.export_chat(str(out))
    md = out.read_text(encoding="utf-8")
    assert f"**Q:** {QUESTION}" in md and f"{REPORT}, p. 2" in md
    # or as JSON: the answer's audit record, which `assistant show` reads and checks
    records = tmp_path / "chat.json"
    window.export_chat(str(records))
    exported = json.loads(records.read_text(encoding="utf-8"))
    (record,) = exported["records"]
    assert record["question"] == QUESTION and record["answer"] == turn.text
    assert record["language_model"]["sha256"] and record["prompt_sha256"]
    assert record["constrained"] == "llama.cpp"  # the grammar reached the model in its own process
    assert any(Path(p["file"]).name == REPORT and p["file_sha256"] for p in record["passages"])
    shown = run_cli("show", str(records))
    assert shown.returncode == 0 and QUESTION in shown.stdout and "unchanged:" in shown.stdout

    # a follow-up question goes into the same chat, with the first one as history
    _, follow = ask_and_wait(qtbot, window, "How many visits did it receive that year?")
    assert not follow.error and len(window.current_chat().turns) == 2

    # chats survive a restart
    window.close()
    again_window = open_window(load_settings({"data_dir": str(settings.data_path)}))
    assert again_window.collection == "docs"
    assert QUESTION in again_window.chat_view.transcript.toPlainText()
    assert len(again_window.current_chat().turns) == 2


def test_cancel_indexing_midway_keeps_a_consistent_index(qtbot, open_window, settings_for, tmp_path):
    docs = tmp_path / "many"
    for i in range(40):
        write_pdf(docs / f"volume_{i:02d}.pdf",
                  [f"Volume {i}, page {p}: minutes of the harbour board, item {i * 10 + p}. " * 12
                   for p in range(1, 11)])
    window = open_window(settings_for())
    c = window.controller

    def cancel_when_started(p) -> None:
        if p.files_done >= 1 and window.cancel_button.isEnabled():
            qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)

    c.index_progress.connect(cancel_when_started)
    _, final = index_and_wait(qtbot, window, lambda: window.create_collection("many", [str(docs)]))
    assert final.cancelled
    status = c.engine.collection_status("many")
    assert 0 < status.documents < 40, status
    assert (status.missing_in_store, status.orphans_in_store, status.pending) == (0, 0, 0)
    assert status.store_chunks == status.chunks
    c.index_progress.disconnect(cancel_when_started)

    _, rest = index_and_wait(qtbot, window, window.reindex_action.trigger)  # the next run finishes
    assert not rest.cancelled and rest.count("unchanged") == status.documents
    assert c.engine.collection_status("many").documents == 40


def test_the_embedding_model_loads_in_the_background_from_the_start(qtbot, open_window, settings_for, samples,
                                                                   monkeypatch):
    """No question asked: the window's start loads the collection's own embedding model (MiniLM, not the
    configured E5) on a worker thread while the window's thread goes on; a search asked meanwhile says so,
    waits for that load, and loads nothing again."""
    from assistant import engine as engine_module

    built = engine_module.build_assistant(settings_for())
    for _ in built.index([str(samples)], "archive"):
        pass
    built.close()
    real, calls, span, gate = engine_module.make_embedder, [], [], threading.Event()

    def recording(settings, registry, model, *args, **kwargs):
        calls.append((model, threading.current_thread() is threading.main_thread()))
        gate.wait(60)  # held until the search below is asked
        span.append(time.monotonic())
        try:
            return real(settings, registry, model, *args, **kwargs)
        finally:
            span.append(time.monotonic())

    monkeypatch.setattr(engine_module, "make_embedder", recording)
    window = open_window(settings_for(embedding_model=E5))
    assert window.collection == "archive" and not calls  # the window is up before any model loads
    qtbot.waitUntil(lambda: bool(calls), timeout=10_000)
    assert calls == [(MINILM, False)] and window.controller.loading_model()

    searched, ticks = [], []
    window.controller.search_finished.connect(searched.append)
    window.search(QUESTION)
    assert window.statusBar().currentMessage() == "Loading the embedding model…"
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    gate.set()
    qtbot.waitUntil(lambda: bool(searched), timeout=120_000)
    timer.stop()
    assert len(span) == 2 and sum(span[0] < t < span[1] for t in ticks) >= 2  # the event loop ran meanwhile
    assert not searched[0].error and searched[0].result.pages
    assert calls == [(MINILM, False)]  # the search used the model loaded ahead
    assert not window.controller.loading_model()
    # then the language model loads too, in its child process, before any question is asked
    qtbot.waitUntil(lambda: bool(window.controller.engine._chat.built()), timeout=120_000)
    assert window.controller.engine._chat.built()[0].pid is not None
    assert window.statusBar().currentMessage() != "Loading the embedding model…"


def test_an_embedding_model_that_cannot_load_is_one_error_at_start(qtbot, open_window, settings_for):
    window = open_window(settings_for(embedding_model="no-such-model"))
    errors = []
    window.controller.error.connect(errors.append)
    qtbot.waitUntil(lambda: bool(errors) and not window.controller.loading_model(), timeout=30_000)
    qtbot.wait(200)
    assert len(errors) == 1 and "'no-such-model' is not installed" in errors[0]
    assert window.error_bar.isVisible() and "no-such-model" in window.error_label.text()
    assert window.isVisible() and window.new_action.isEnabled()  # the window carries on


def test_a_dead_remote_server_is_an_error_in_the_window(qtbot, open_window, settings_for, samples):
    # indexed by the CLI: the app shows the same collection
    out = run_cli("index", str(samples), "--collection", "archive", "--embedding-model", "all-MiniLM-L6-v2")
    assert out.returncode == 0, out.stderr
    dead = f"http://127.0.0.1:{free_port()}/v1"
    window = open_window(settings_for(backend="remote", remote_url=dead, remote_model="llama-70b",
                                      remote_max_retries=0))
    assert window.collection == "archive"
    _, turn = ask_and_wait(qtbot, window, QUESTION)
    assert "127.0.0.1" in turn.error
    assert window.error_bar.isVisible() and "127.0.0.1" in window.error_label.text()
    assert "Error:" in window.chat_view.transcript.toPlainText()
    assert window.chat_view.ask_button.isEnabled()  # the window carries on


def test_stop_and_a_crashed_model_process(qtbot, open_window, settings_for, samples):
    window = open_window(settings_for(max_answer_tokens=400))
    index_and_wait(qtbot, window, lambda: window.create_collection("stories", [str(samples)]))
    c = window.controller

    long_question = "Tell me everything about the reading room in 1923."
    full, _ = ask_and_wait(qtbot, window, long_question)
    assert len(full) > 20  # unstopped, the answer is long

    # Stop (Esc) after the first piece: generation ends there; the turn is kept, marked stopped
    def stop_once(_piece) -> None:
        c.answer_piece.disconnect(stop_once)
        qtbot.keyClick(window.chat_view, Qt.Key.Key_Escape)

    c.answer_piece.connect(stop_once)
    stopped, turn = ask_and_wait(qtbot, window, long_question)
    assert turn.stopped and not turn.error
    assert len(stopped) < 8, len(stopped)
    assert "(stopped before the end)" in window.chat_view.transcript.toPlainText()

    # Stop pressed right after Ask, while the prompt is being read: no text, no error, not "not found"
    def stop_at_once(*_) -> None:
        c.stop_answer()

    c.answer_started.connect(stop_at_once)
    early, turn = ask_and_wait(qtbot, window, long_question)
    c.answer_started.disconnect(stop_at_once)
    assert turn.stopped and not turn.error and len(early) < 8
    assert "do not" not in turn.text

    # the model process dies mid-answer: an error in the window, and the next question works
    def kill_once(_piece) -> None:
        c.answer_piece.disconnect(kill_once)
        os.kill(c.engine.backend().pid, signal.SIGKILL)

    c.answer_piece.connect(kill_once)
    _, crashed = ask_and_wait(qtbot, window, long_question)
    # what came before the crash is kept, marked incomplete with the cause, which the error bar shows too
    assert "model process" in crashed.incomplete and not crashed.error and window.error_bar.isVisible()
    assert "Incomplete, the answer broke off" in window.chat_view.transcript.toPlainText()
    _, after = ask_and_wait(qtbot, window, QUESTION)
    assert not after.error and after.text


def test_a_second_writer_gets_a_clear_message(qtbot, open_window, settings_for, samples):
    settings = settings_for()
    window = open_window(settings)
    index_and_wait(qtbot, window, lambda: window.create_collection("locked", [str(samples)]))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time, pathlib; from assistant.store import WriterLock; "
         "lock = WriterLock(pathlib.Path(sys.argv[1])); lock.__enter__(); print('held', flush=True); time.sleep(120)",
         str(settings.data_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        _, final = index_and_wait(qtbot, window, window.reindex_action.trigger)
        assert final is None
        assert f"pid {holder.pid}" in window.error_label.text() and window.error_bar.isVisible()
        assert window.controller.engine.collection_status("locked").documents == 5
    finally:
        holder.kill()
        holder.wait()


def test_rename_and_delete_collections(qtbot, open_window, settings_for, samples, monkeypatch):
    window = open_window(settings_for())
    index_and_wait(qtbot, window, lambda: window.create_collection("first", [str(samples)]))
    _, turn = ask_and_wait(qtbot, window, QUESTION)
    window.rename_to("renamed")
    assert [window.collection_list.item(i).text() for i in range(window.collection_list.count())] == ["renamed"]
    assert window.controller.engine.collection_status("renamed").store_chunks > 0
    assert window.current_chat().turns[0].question == QUESTION  # the chat moved with it
    window.rename_to("bad/name")
    assert "invalid collection name 'bad/name'" in window.error_label.text()

    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.delete_action.trigger()
    assert window.collection_list.count() == 0 and window.collection == ""
    assert window.controller.engine.collection_names() == []


def test_settings_dialog_tests_the_connection_and_saves(qtbot, open_window, settings_for):
    from assistant.settings import config_file
    from ui.settings_dialog import SettingsDialog

    window = open_window(settings_for())
    dialog = SettingsDialog(window.controller, "", window)
    qtbot.addWidget(dialog)
    dialog.backend.setCurrentIndex(1)
    assert dialog.remote_group.isEnabled() and not dialog.local_group.isEnabled()
    dead = f"http://127.0.0.1:{free_port()}/v1"
    dialog.remote_url.setText(dead)
    dialog.remote_model.setText("llama-70b")
    dialog.remote_key.setText("sk-test-secret")
    assert dialog.remote_key.echoMode() == dialog.remote_key.EchoMode.Password
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.test_result.text().startswith("Failed"), timeout=60_000)
    assert "127.0.0.1" in dialog.test_result.text()

    dialog.top_k.setValue(7)
    assert dialog.constrained.isChecked()  # on by default
    dialog.constrained.setChecked(False)
    dialog.remote_grammar.setCurrentIndex(dialog.remote_grammar.findData("vllm"))
    assert dialog.save()
    s = window.controller.settings
    assert (s.backend, s.remote_url, s.remote_model, s.top_k, s.remote_api_key) == (
        "remote", dead, "llama-70b", 7, "sk-test-secret")
    assert (s.constrained_citations, s.remote_grammar) == (False, "vllm")
    saved = config_file().read_text()
    assert "top_k = 7" in saved and "constrained_citations = false" in saved  # the file the CLI reads too
    assert "readable only by you" in window.statusBar().currentMessage()  # no keyring on this machine

    # a file that is not a GGUF is refused with the reason in the dialog
    bogus = Path(config_file()).with_name("model.gguf")
    bogus.write_bytes(b"not a model")
    assert not dialog.use_gguf(str(bogus)) and "not a GGUF" in dialog.message.text()


def test_qt_bindings_keep_none_and_true_alive(qapp):
    """PySide6 6.12.0 on Python 3.11 loses a reference to None per Qt call and to True per signal emitted,
    and the app aborts after a few thousand streamed tokens; pyproject keeps such a build out."""
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QLabel

    class Emitter(QObject):
        value = Signal(int)

    label, emitter, got = QLabel(), Emitter(), []
    emitter.value.connect(got.append)
    none, true = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(200):
        label.setMinimumWidth(i)
        emitter.value.emit(i)
    assert len(got) == 200
    assert sys.getrefcount(None) >= none - 20 and sys.getrefcount(True) >= true - 20


def test_settings_dialog_downloads_a_model_with_progress(qtbot, open_window, settings_for, hub):
    from ui.settings_dialog import SettingsDialog

    url, size = hub  # a real HTTP server on 127.0.0.1 laid out like the model hub
    window = open_window(settings_for(hub_url=url))
    dialog = SettingsDialog(window.controller, "", window)
    qtbot.addWidget(dialog)
    seen = []
    dialog.download_progress.connect(lambda done, total: seen.append((done, total)))
    dialog.pull_default("tiny-test")
    assert not dialog.pull_button.isEnabled() and not dialog.pull_cancel.isHidden()
    qtbot.waitUntil(lambda: dialog.pull_button.isEnabled(), timeout=60_000)
    assert seen and seen[-1] == (size, size)
    assert dialog.pull_progress.value() == dialog.pull_progress.maximum()
    assert dialog.llm_model.currentText() == "tiny-test" and "Downloaded" in dialog.message.text()
    assert dialog.save() and window.controller.settings.llm_model == "tiny-test"

    dialog = SettingsDialog(window.controller, "", window)  # a broken download: the reason, no model
    qtbot.addWidget(dialog)
    dialog.pull_default("broken-test")
    qtbot.waitUntil(lambda: dialog.pull_button.isEnabled(), timeout=60_000)
    assert "not a GGUF" in dialog.message.text()
    assert "broken-test" not in window.controller.llm_models()


def test_assistant_ui_starts_and_reports_a_bad_config(tmp_path):
    """The console script's entry point, as a user starts it (offscreen here)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    app = subprocess.Popen([sys.executable, "-m", "ui.app", "--data-dir", str(tmp_path / "d")], env=env,
                           stderr=subprocess.PIPE, text=True)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            app.wait(8)  # still running: the window is up
    finally:
        app.kill()
        err = app.communicate()[1]
    assert "Traceback" not in err

    bad = tmp_path / "bad.toml"
    bad.write_text("top_k = [oops\n")
    out = subprocess.run([sys.executable, "-m", "ui.app"], env={**env, "ASSISTANT_CONFIG": str(bad)},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "bad.toml: not valid TOML" in out.stderr


def test_a_damaged_index_is_shown_and_repaired_from_the_app(qtbot, open_window, settings_for, samples,
                                                            monkeypatch):
    """A damage the engine recorded (as its probe records one) is found when a search or a question fails
    and when the app opens the collection; Repair rebuilds it from the PDFs, as indexing runs."""
    from PySide6.QtWidgets import QMessageBox

    shutil.copy(samples / "en" / REPORT, samples / "en" / "zz copy of the report.pdf")
    window = open_window(settings_for())
    _, final = index_and_wait(qtbot, window, lambda: window.create_collection("archive", [str(samples)]))
    assert (final.count("indexed"), final.count("duplicate")) == (5, 1)
    assert "5 indexed" in window.last_index_message and "1 duplicate(s)" in window.last_index_message
    states = {item.text(0): item.text(1) for item in documents(window)}
    assert states["zz copy of the report.pdf"] == f"duplicate of {REPORT}" and states[REPORT] == "indexed"
    assert not window.damage_bar.isVisible() and "archive" not in window.controller.damaged

    c = window.controller
    c.engine._ledger.begin("archive", "damaged", "header.bin is 40 bytes, not 100")
    with qtbot.waitSignal(c.search_finished, timeout=60_000) as searched:
        window.search(QUESTION)
    assert "`assistant repair --collection archive`" in searched.args[0].error
    qtbot.waitUntil(window.damage_bar.isVisible, timeout=10_000)
    assert "The index of 'archive' is damaged (header.bin is 40 bytes, not 100)" in window.damage_label.text()
    assert window.repair_button.isEnabled() and window.repair_action.isEnabled()
    assert window.collection_list.currentItem().text() == "archive (index damaged)"
    _, turn = ask_and_wait(qtbot, window, QUESTION)  # refused before any model runs
    assert "is damaged" in turn.error and "Repair index" in window.error_label.text()

    window.close()  # opened again: the check at the start finds it, off the window's thread
    window = open_window(settings_for())
    c = window.controller
    qtbot.waitUntil(window.damage_bar.isVisible, timeout=30_000)
    assert "header.bin is 40 bytes" in window.damage_label.text()

    during = []
    c.index_progress.connect(lambda _p: during.append(
        (window.chat_view.ask_button.isEnabled(), window.search_view.isEnabled(), window.repair_button.isEnabled(),
         window.progress_label.text())))
    events, final = index_and_wait(qtbot, window,
                                   lambda: qtbot.mouseClick(window.repair_button, Qt.MouseButton.LeftButton))
    assert (final.count("indexed"), final.count("duplicate")) == (5, 1) and not final.cancelled
    assert "was damaged (header.bin is 40 bytes, not 100)" in events[0].notice
    assert during and all(d[:3] == (False, False, False) for d in during)  # no asking while it is rebuilt
    assert during[-1][3].startswith("Rebuilding 'archive'")
    assert "every file is indexed again from the PDFs" in window.last_index_message
    assert not window.damage_bar.isVisible() and window.collection_list.currentItem().text() == "archive"
    assert c.engine.collection_status("archive").damaged == ""
    assert window.chat_view.ask_button.isEnabled() and window.search_view.isEnabled()
    states = {item.text(0): item.text(1) for item in documents(window)}
    assert states["zz copy of the report.pdf"] == f"duplicate of {REPORT}"
    with qtbot.waitSignal(c.search_finished, timeout=60_000) as searched:
        window.search(QUESTION)
    assert not searched.args[0].error and Path(searched.args[0].result.pages[0].file).name == REPORT

    # Collection → Repair index… on a whole index asks first, then indexes every file again
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    window.repair_action.trigger()
    assert c.indexing is None
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    _, again = index_and_wait(qtbot, window, window.repair_action.trigger)
    assert again.count("indexed") == 5 and again.count("unchanged") == 0
    assert not window.damage_bar.isVisible()
