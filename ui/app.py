"""`assistant-ui`: the desktop app. Same settings, index and models as the `assistant` CLI."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="assistant-ui", description="Ask questions about your PDFs; answers "
                                "cite file and page. Shares settings and indexes with the `assistant` CLI.")
    p.add_argument("--data-dir", help="where indexes, chats and models live (default: ASSISTANT_DATA_DIR, "
                   "the config file, or the user data dir)")
    p.add_argument("--collection", help="collection to open first")
    return p


def install_translations(app) -> None:
    """Qt's own strings and ours in the system language, where a translation is installed."""
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator

    locale = QLocale.system()
    for name, folder in (("qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
                         ("assistant", str(Path(__file__).parent / "translations"))):
        translator = QTranslator(app)
        if translator.load(locale, name, "_", folder):
            app.installTranslator(translator)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from assistant.cpu import below_minimum

    if (line := below_minimum()) is not None:  # before Qt or any native library can die with SIGILL
        print(f"error: {line}", file=sys.stderr)
        return 2
    from ui import platform_check

    if problem := platform_check.problem():
        print(f"assistant-ui: {problem}", file=sys.stderr)
        return 2
    from PySide6.QtWidgets import QApplication, QMessageBox

    from assistant.errors import AssistantError
    from assistant.settings import load_settings
    from ui.controller import Controller
    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Archive Assistant")
    install_translations(app)
    try:
        settings = load_settings({"data_dir": args.data_dir})
    except AssistantError as e:
        print(f"assistant-ui: {e}", file=sys.stderr)
        if app.platformName() not in ("offscreen", "minimal"):  # someone is there to read it
            QMessageBox.critical(None, app.translate("main", "Archive Assistant"), str(e))
        return 2
    window = MainWindow(Controller(settings))
    if args.collection and window.controller.has_collection(args.collection):
        window.set_collection(args.collection)
        window.refresh_collections()
    elif args.collection:
        window.show_error(app.translate("main", "There is no collection named '{0}'.").format(args.collection))
    window.show()
    if os.environ.get(READY_ENV):
        _report_ready(app, window, os.environ[READY_ENV])
    rc = app.exec()
    if window.controller.loading():
        # a model still loading on its thread (it cannot be stopped) would abort the interpreter's teardown
        # ("terminate called without an active exception"); everything is saved by now, so leave at once
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)
    return rc


READY_ENV = "ASSISTANT_UI_READY"  # for the bundle's smoke test and start-up figure: "report" or "report:FILE.png"


def _report_ready(app, window, how: str) -> None:
    """Once the first frame is drawn: print `ready <unix time>` (the measuring side knows when it started
    the program), save the window to FILE.png if asked, and quit."""
    import time

    from PySide6.QtCore import QTimer

    def ready() -> None:
        handle = window.windowHandle()
        if handle is None or not handle.isExposed():  # not on the screen yet
            QTimer.singleShot(10, ready)
            return
        window.repaint()
        print(f"ready {time.time():.3f} platform={app.platformName()}", flush=True)
        if how.startswith("report:"):
            window.grab().save(how[len("report:"):])
        window.close()  # as a user closes it

    QTimer.singleShot(0, ready)


if __name__ == "__main__":
    sys.exit(main())
