"""PDF -> pages, in worker processes with a wall-clock timeout and a memory cap.

pypdf has no timeout of its own and has had many denial-of-service bugs (loops, decompression bombs,
deep recursion, a segfault), so each file is parsed in a separate process. A file that hangs, exhausts
memory or kills its worker is reported with a reason and the batch goes on.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Iterable, Iterator

from indexers.records import Page


@dataclass(frozen=True)
class ParseResult:
    """Pages of one file, or `error` (a short reason) when it could not be read."""

    file: str
    pages: tuple[Page, ...] = ()
    error: str = ""
    empty_pages: int = 0  # pages without a text layer in an otherwise readable file


def _limit_memory(max_mb: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: no address-space cap
        return
    cap = max_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def extract(path: str) -> ParseResult:
    """Parse one PDF in this process (the workers call this). Never raises for a bad file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError as e:
        if isinstance(e, FileNotFoundError):
            return ParseResult(path, error="cannot read file: it disappeared during the run (deleted or moved); "
                                           "run `assistant index` again")
        return ParseResult(path, error=f"cannot read file: {e.strerror or e}")
    if not head:
        return ParseResult(path, error="empty file (0 bytes)")
    if b"%PDF-" not in head:
        return ParseResult(path, error="not a PDF (no %PDF- header)")

    import pypdf
    from pypdf.errors import FileNotDecryptedError, PyPdfError

    watch = _Repairs()
    log = logging.getLogger("pypdf")
    log.addHandler(watch)
    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
                reader.pages[0] if len(reader.pages) else None
            except Exception:
                return ParseResult(path, error="encrypted (password protected); save a decrypted copy")
        pages, empty, has_images = [], 0, False
        for i, page in enumerate(reader.pages, start=1):
            text = (page.extract_text() or "").replace("\x00", "").strip()
            if text:
                pages.append(Page(path, i, text))
            else:
                empty += 1
                has_images = has_images or bool(_page_images(page))
        if not pages:
            if watch.too_deep:  # pypdf read on past an object nested too deeply, without what it held
                return ParseResult(path, error=TOO_DEEP)
            if not reader.pages:
                return ParseResult(path, error="no pages")
            kind = "image-only (scanned)" if has_images else "no text layer"
            return ParseResult(path, error=f"{kind}: no extractable text in {empty} page(s); run OCR first")
        return ParseResult(path, pages=tuple(pages), empty_pages=empty)
    except FileNotDecryptedError:
        return ParseResult(path, error="encrypted (password protected); save a decrypted copy")
    except MemoryError:
        return ParseResult(path, error=TOO_BIG)
    except RecursionError:
        return ParseResult(path, error=TOO_DEEP)
    except PyPdfError as e:
        cause = _root_cause(e)  # pypdf wraps these in a bare "Error reading PDF file."
        if cause is not None:
            return ParseResult(path, error=TOO_DEEP if cause is RecursionError else TOO_BIG)
        if type(e).__name__ == "LimitReachedError":
            return ParseResult(path, error=_limit_reason(_one_line(e)))
        return ParseResult(path, error=_broken(_one_line(e)))
    except Exception as e:  # pypdf raises many kinds on malformed input
        return ParseResult(path, error=_broken(f"{type(e).__name__}: {_one_line(e)}"))
    finally:
        log.removeHandler(watch)


TOO_BIG = "too large: parsing exceeded the memory limit"
TOO_DEEP = "broken PDF: objects nested too deeply to read (a malformed or malicious file)"


class _Repairs(logging.Handler):
    """Watches pypdf's warnings while it reads one file: it turns an object nested too deeply into a
    warning and reads on without it, which would otherwise look like a page with no text layer."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.too_deep = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.too_deep and _root_cause(sys.exc_info()[1]) is RecursionError:
            self.too_deep = True


def _root_cause(e: BaseException | None) -> type | None:
    """RecursionError or MemoryError when one of them is behind `e`, else None."""
    seen = 0
    while e is not None and seen < 50:
        if isinstance(e, (RecursionError, MemoryError)):
            return RecursionError if isinstance(e, RecursionError) else MemoryError
        e, seen = e.__cause__ or e.__context__, seen + 1
    return None


def _broken(detail: str) -> str:
    return f"broken PDF: {detail} (damaged or incomplete; download or export it again)"


def _limit_reason(message: str) -> str:
    """pypdf's LimitReachedError covers decompression bombs, cycles and depth limits: say which."""
    low = message.lower()
    if "decompress" in low:
        return "too large: a compressed stream inflates past the safety limit (a decompression bomb?)"
    if "cycle" in low or "loop" in low:
        return _broken(message)
    if "depth" in low:
        return f"{TOO_DEEP}: {message}"
    return f"too large: {message}"


def _page_images(page) -> list:
    try:
        return list(page.images)
    except Exception:
        return [1]  # images we cannot decode are still images


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:200] or type(e).__name__


def _worker(conn: Connection, max_mb: int) -> None:
    log = logging.getLogger("pypdf")  # its warnings about repaired files are noise here; extract watches them
    log.propagate = False
    log.addHandler(logging.NullHandler())
    _limit_memory(max_mb)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the parent, which then ends the workers
    parent = mp.parent_process()
    if parent is not None:  # a parent killed while this one parses: end now, not after the file
        threading.Thread(target=lambda: (parent.join(), os._exit(0)), daemon=True).start()
    try:
        while True:
            path = conn.recv()
            if path is None:
                return
            try:
                result = extract(path)
            except MemoryError:
                result = ParseResult(path, error=TOO_BIG)
            try:
                conn.send(result)
            except MemoryError:  # pragma: no cover
                conn.send(ParseResult(path, error="too large: result exceeded the memory limit"))
    except (EOFError, OSError):  # the parent is gone (killed, say): end quietly, no traceback in its terminal
        os._exit(0)


class _Slot:
    def __init__(self, ctx, max_mb: int):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, max_mb), daemon=True)
        self.proc.start()
        child.close()
        self.path: str | None = None
        self.deadline = 0.0

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join(5)
        self.conn.close()


def _context():
    if sys.platform.startswith("linux"):
        return mp.get_context("forkserver")
    return mp.get_context("spawn")


def default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def parse_files(paths: Iterable[str], *, workers: int = 0, timeout_s: float = 60.0,
                max_memory_mb: int = 2048) -> Iterator[ParseResult]:
    """Yield one ParseResult per path, in completion order, parsing `workers` files at once.

    A worker that exceeds `timeout_s` on a file is killed (`timeout`); one that dies is replaced
    (`crashed`, or `too large` when it ran out of memory).
    """
    todo = list(paths)
    todo.reverse()
    if not todo:
        return
    ctx = _context()
    n = min(workers or default_workers(), len(todo))
    slots = [_Slot(ctx, max_memory_mb) for _ in range(n)]
    try:
        while True:
            for i, slot in enumerate(slots):
                if slot.path is None and todo:
                    if not slot.proc.is_alive():
                        slot = slots[i] = _Slot(ctx, max_memory_mb)
                    slot.path = todo.pop()
                    slot.deadline = time.monotonic() + timeout_s
                    slot.conn.send(slot.path)
            busy = [s for s in slots if s.path is not None]
            if not busy:
                return
            wait_s = max(0.0, min(s.deadline for s in busy) - time.monotonic())
            ready = wait([s.conn for s in busy], timeout=wait_s)
            for i, slot in enumerate(slots):
                if slot.path is None:
                    continue
                if slot.conn in ready:
                    try:
                        result = slot.conn.recv()
                    except (EOFError, OSError):
                        slot.proc.join(5)
                        result = ParseResult(slot.path, error=_death_reason(slot.proc.exitcode))
                        slot.kill()
                        slots[i] = _Slot(ctx, max_memory_mb)
                    else:
                        slot.path = None
                    yield result
                elif time.monotonic() >= slot.deadline:
                    path = slot.path
                    slot.kill()
                    slots[i] = _Slot(ctx, max_memory_mb)
                    yield ParseResult(path, error=f"timeout: parsing took longer than {timeout_s:g} s")
    finally:
        for slot in slots:
            if slot.path is None and slot.proc.is_alive():
                try:
                    slot.conn.send(None)
                except OSError:
                    pass
            slot.proc.join(0.5)
            if slot.proc.is_alive():
                slot.kill()


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        import signal

        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if name == "SIGKILL":
            return "crashed: parser was killed (likely out of memory); file too large or malformed"
        return f"crashed: parser died with {name}"
    return f"crashed: parser exited with code {exitcode}"


def parse_ahead(paths: list[str], *, cancel: threading.Event, workers: int = 0, timeout_s: float = 60.0,
                max_memory_mb: int = 2048) -> Iterator[ParseResult]:
    """parse_files in a thread feeding a small queue, so the workers keep parsing while the caller
    embeds; stops early when `cancel` is set (the event is left as it was found)."""
    if not paths:
        return
    q: queue.Queue = queue.Queue(maxsize=8)
    done = object()
    stop = threading.Event()

    def feed() -> None:
        gen = parse_files(paths, workers=workers, timeout_s=timeout_s, max_memory_mb=max_memory_mb)
        try:
            for result in gen:
                while not (cancel.is_set() or stop.is_set()):
                    try:
                        q.put(result, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if cancel.is_set() or stop.is_set():
                    break
        except BaseException as e:  # surfaces in the consumer
            q.put(e)
        finally:
            gen.close()
            q.put(done)

    thread = threading.Thread(target=feed, name="pdf-parse", daemon=True)
    thread.start()
    try:
        while not cancel.is_set():
            try:
                item = q.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is done:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()  # the feeder ends if the consumer stopped early
        while thread.is_alive():
            try:
                q.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()
