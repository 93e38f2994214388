"""Long work off the UI thread: a core generator (indexing progress, answer pieces) adapted to Qt signals.

The engine's long operations are generators; a Job iterates one on a worker thread and emits each item.
Signals cross to the UI thread through Qt's queued connections, so slots may touch widgets.
"""

from __future__ import annotations

import threading
import traceback
from typing import Callable, Iterable

from PySide6.QtCore import QCoreApplication, QObject, Signal

from assistant.errors import AssistantError, IndexLockedError, ModelNotFoundError, StoreDamagedError


def explain(error: AssistantError) -> str:
    """The engine's message, plus where the fix is in the app when it names a CLI command."""
    if isinstance(error, ModelNotFoundError) and error.kind == "embedding":
        return str(error) + " " + QCoreApplication.translate(
            "Job", "In the app: Settings (Ctrl+,) → Download the embedding model, or Use bundled small models.")
    if isinstance(error, ModelNotFoundError):
        return str(error) + " " + QCoreApplication.translate(
            "Job", "In the app: Settings (Ctrl+,) → Download, Choose GGUF file, or Use bundled small models.")
    if isinstance(error, IndexLockedError):
        return str(error) + " " + QCoreApplication.translate(
            "Job", "Wait for it to finish (or stop it), then try again; nothing was changed.")
    if isinstance(error, StoreDamagedError):
        return str(error) + " " + QCoreApplication.translate(
            "Job", "In the app: Repair in the banner above, or Collection → Repair index….")
    return str(error)


class Job(QObject):
    """Runs `work(cancel)` (an iterable) on a daemon thread; `cancel` is a threading.Event it should watch."""

    item = Signal(object)
    failed = Signal(str)
    done = Signal()  # always last, after the items or the failure

    def __init__(self, work: Callable[[threading.Event], Iterable], parent: QObject | None = None):
        super().__init__(parent)
        self.work = work
        self.cancel = threading.Event()
        self.error: BaseException | None = None  # what ended the work, set before `failed` is sent
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "Job":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            for value in self.work(self.cancel):
                self.item.emit(value)
        except AssistantError as e:
            self.error = e
            self.failed.emit(explain(e))
        except Exception as e:  # a bug or a library failure: report it, keep the window alive
            self.error = e
            traceback.print_exc()
            self.failed.emit(f"{type(e).__name__}: {e}")
        finally:
            self.done.emit()


def call(fn: Callable[[], object]) -> Callable[[threading.Event], Iterable]:
    """A one-shot function as Job work: its return value is the single item."""
    def work(cancel: threading.Event):
        yield fn()

    return work
