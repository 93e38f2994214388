"""Every string the app shows goes through Qt's translation, so an institution can translate it.

Checked with Qt's own tools: lupdate extracts the strings, a pseudo-translation wraps each in ‹ ›, lrelease
compiles it, and every label, button, action, tab and header on screen must come out wrapped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from conftest import ROOT  # noqa: E402
from PySide6.QtCore import QTranslator  # noqa: E402
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QLineEdit  # noqa: E402

TOOLS = Path(sys.executable).parent
UI_FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ui").glob("*.py"))


def extract(ts: Path) -> Path:
    subprocess.run([str(TOOLS / "pyside6-lupdate"), *UI_FILES, "-ts", str(ts)], cwd=str(ROOT), check=True,
                   capture_output=True)
    return ts


def sources(ts: Path) -> set[tuple[str, str]]:
    root = ET.parse(ts).getroot()
    return {(ctx.findtext("name"), m.findtext("source")) for ctx in root.iter("context")
            for m in ctx.iter("message")}


def test_translation_template_is_current(tmp_path):
    fresh = sources(extract(tmp_path / "fresh.ts"))
    committed = sources(ROOT / "ui" / "translations" / "assistant.ts")
    assert fresh == committed, ("ui/translations/assistant.ts is out of date: run "
                                "`pyside6-lupdate ui/*.py -ts ui/translations/assistant.ts`")


def test_every_visible_string_is_translated(qtbot, qapp, tmp_path, settings_for):
    ts = extract(tmp_path / "pseudo.ts")
    tree = ET.parse(ts)
    for message in tree.getroot().iter("message"):
        translation = message.find("translation")
        translation.attrib.pop("type", None)
        translation.text = "‹" + message.findtext("source") + "›"
    tree.write(ts, encoding="utf-8", xml_declaration=True)
    qm = tmp_path / "pseudo.qm"
    subprocess.run([str(TOOLS / "pyside6-lrelease"), str(ts), "-qm", str(qm)], check=True, capture_output=True)
    translator = QTranslator(qapp)
    assert translator.load(str(qm))
    qapp.installTranslator(translator)
    try:
        from ui.controller import Controller
        from ui.main_window import MainWindow
        from ui.quality_dialog import QualityDialog
        from ui.settings_dialog import SettingsDialog

        window = MainWindow(Controller(settings_for()))
        qtbot.addWidget(window)
        dialog = SettingsDialog(window.controller, "", window)
        qtbot.addWidget(dialog)
        quality = QualityDialog(window.controller, "minutes", window)
        qtbot.addWidget(quality)
        shown = [window.windowTitle(), dialog.windowTitle(), quality.windowTitle()]
        for top in (window, dialog, quality):
            shown += [w.text() for w in top.findChildren(QLabel) + top.findChildren(QAbstractButton)]
            shown += [w.title() for w in top.findChildren(QGroupBox)]
            shown += [w.placeholderText() for w in top.findChildren(QLineEdit)
                      if not w.placeholderText().startswith("http")]
        shown += [quality.table.placeholderText()]
        shown += [a.text() for a in window.actions()]
        shown += [window.tabs.tabText(i) for i in range(window.tabs.count())]
        for tree in (window.documents, window.search_view.results):
            shown += [tree.headerItem().text(i) for i in range(tree.columnCount())]
        shown += [window.search_view.status.text()]
        shown += [a.text() for a in window.viewer.findChildren(type(window.actions()[0]))]
        qt_own = {"Save", "Cancel"}  # standard dialog buttons: Qt's qtbase translations cover them
        shown = [t for t in shown if t and t not in qt_own]
        untranslated = [t for t in shown if "‹" not in t]
        assert len(shown) > 40
        assert not untranslated, f"strings shown without tr(): {untranslated}"
    finally:
        qapp.removeTranslator(translator)
