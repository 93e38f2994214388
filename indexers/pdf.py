"""PDF -> pages, in worker processes with a wall-clock timeout and a memory cap.

pypdf has no timeout of its own and has had many denial-of-service bugs (loops, decompression bombs,
deep recursion, a segfault), so each file is parsed in a separate process. A file that hangs, exhausts
memory or kills its worker is reported with a reason and the batch goes on.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from multiprocessing.connection import Connection, wait
from typing import Iterable, Iterator, Sequence

from indexers.ocr import OcrConfig, needs_ocr
from indexers.records import Page


@dataclass(frozen=True)
class ParseResult:
    """Pages of one file, or `error` (a short reason) when it could not be read."""

    file: str
    pages: tuple[Page, ...] = ()
    error: str = ""
    empty_pages: int = 0  # pages without a text layer in an otherwise readable file, not read by OCR
    ocr_pages: int = 0  # pages whose text is OCR's
    unreadable: tuple[tuple[int, str], ...] = ()  # (page, why) OCR found nothing worth indexing on
    ocr_seconds: float = 0.0  # spent reading pages (0 for pages found in the cache)
    ocr_languages: str = ""


@dataclass(frozen=True)
class PageDone:
    """A worker finished OCR of one page of `file`: `done` of `of` pages that need it."""

    file: str
    done: int
    of: int
    seconds: float = 0.0  # what reading it took (0: it was in the cache)


def _limit_memory(max_mb: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: no address-space cap
        return
    cap = max_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def extract(path: str, sha256: str = "", ocr: OcrConfig | None = None, timeout_s: float = 60.0,
            report=None) -> ParseResult:
    """Parse one PDF in this process (the workers call this). Never raises for a bad file.

    With `ocr` active, pages that need it (`indexers.ocr.needs_ocr`) are read by OCR, from the cache when
    they were read before; `report(PageDone)` is called after each."""
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
        pages, empty, has_images, scans = [], 0, False, []
        mode = ocr.mode if ocr is not None and ocr.active else "off"
        for i, page in enumerate(reader.pages, start=1):
            text = (page.extract_text() or "").replace("\x00", "").strip()
            image = _has_image(page) if mode != "off" or not text else False
            if needs_ocr(text, image, mode):
                scans.append((i, text))
            elif text:
                pages.append(Page(path, i, text))
            else:
                empty += 1
                has_images = has_images or image
        read = _read_scans(path, sha256, scans, ocr, timeout_s, report, " ".join(p.text for p in pages[:5])) \
            if scans else _Scans()
        pages = sorted(pages + read.pages, key=lambda p: p.number)
        ocr_note = dict(ocr_pages=read.count, unreadable=tuple(read.unreadable), ocr_seconds=read.seconds,
                        ocr_languages=read.languages)
        if not pages:
            if watch.too_deep:  # pypdf read on past an object nested too deeply, without what it held
                return ParseResult(path, error=TOO_DEEP)
            if not reader.pages:
                return ParseResult(path, error="no pages")
            if read.unreadable and not empty:
                return ParseResult(path, error="no readable text: " + unreadable_pages(read.unreadable), **ocr_note)
            kind = "image-only (scanned)" if has_images else "no text layer"
            return ParseResult(path, error=f"{kind}: no extractable text in {empty} page(s); "
                                           f"{without_ocr(ocr)}", **ocr_note)
        return ParseResult(path, pages=tuple(pages), empty_pages=empty, **ocr_note)
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


def _has_image(page) -> bool:
    """Whether the page paints an image (looked up in its resources, none decoded)."""
    try:
        return _paints_image(page.get("/Resources"), 0)
    except Exception:
        return True  # resources we cannot read may still hold images


def _paints_image(resources, depth: int) -> bool:
    if resources is None or depth > 3:
        return False
    resources = resources.get_object()
    xobjects = resources.get("/XObject")
    if xobjects is None:
        return False
    for ref in xobjects.get_object().values():
        obj = ref.get_object()
        subtype = obj.get("/Subtype")
        if subtype == "/Image" or (subtype == "/Form" and _paints_image(obj.get("/Resources"), depth + 1)):
            return True
    return False


def without_ocr(ocr: OcrConfig | None) -> str:
    """What to do about pages without text when they were not read by OCR."""
    if ocr is None or ocr.mode == "off":
        return "OCR is off (setting `ocr`, or `assistant collection ocr NAME auto`)"
    return ocr.problem or "run OCR first"


def unreadable_pages(pages: Sequence[tuple[int, str]], limit: int = 3) -> str:
    """"p. 2 blank page; p. 5 no readable text (...)" for the first few, and how many more."""
    shown = "; ".join(f"p. {n} {why}" for n, why in pages[:limit])
    return shown + (f"; and {len(pages) - limit} more" if len(pages) > limit else "")


@dataclass
class _Scans:
    pages: list = dataclass_field(default_factory=list)
    unreadable: list = dataclass_field(default_factory=list)
    count: int = 0
    seconds: float = 0.0
    languages: str = ""


def _read_scans(path: str, sha256: str, scans: list[tuple[int, str]], ocr: OcrConfig, timeout_s: float,
                report, layer_text: str = "") -> _Scans:
    """OCR the (page number, text layer) pairs: a page's OCR text replaces its layer; one OCR cannot read
    keeps a layer that is not garbage, else it is reported as unreadable."""
    import pypdfium2

    from indexers import ocr_cache
    from indexers.ocr import choose_languages, garbage_reason, read_page

    out = _Scans()
    key = ocr.key()
    document, first_text, used = None, layer_text[:4000], []
    try:
        for done, (number, layer) in enumerate(scans, start=1):
            page = ocr_cache.load(ocr.cache_dir, sha256, key, number)
            cached = page is not None
            if page is None:
                languages = choose_languages(ocr, first_text)
                try:
                    if document is None:
                        document = pypdfium2.PdfDocument(path)
                    page = read_page(document, number - 1, ocr, languages, timeout_s)
                    better = choose_languages(ocr, page.text) if not first_text else languages
                    if better != languages:  # read with every language, the page's own reads it better
                        again = read_page(document, number - 1, ocr, better, timeout_s)
                        page = dataclasses.replace(again, seconds=page.seconds + again.seconds)
                except (TimeoutError, RuntimeError, OSError, pypdfium2.PdfiumError) as e:
                    from indexers.ocr import OcrPage

                    page = OcrPage(number, languages=languages, reason=_one_line(e))
                else:
                    ocr_cache.save(ocr.cache_dir, sha256, key, page)
                out.seconds += page.seconds
            first_text = first_text or page.text
            if page.languages and page.languages not in used:
                used.append(page.languages)
            if page.text:
                out.pages.append(Page(path, number, page.text))
                out.count += 1
            elif layer and not garbage_reason(layer):
                out.pages.append(Page(path, number, layer))
            else:
                out.unreadable.append((number, page.reason or "no text found"))
            if report is not None:
                report(PageDone(path, done, len(scans), 0.0 if cached else page.seconds))
    finally:
        if document is not None:
            document.close()
    out.languages = ", ".join(used)
    return out


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:200] or type(e).__name__


def _worker(conn: Connection, max_mb: int, ocr: OcrConfig | None = None, timeout_s: float = 60.0) -> None:
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
            job = conn.recv()
            if job is None:
                return
            path, sha256 = job
            try:
                result = extract(path, sha256, ocr, timeout_s, conn.send)
            except MemoryError:
                result = ParseResult(path, error=TOO_BIG)
            try:
                conn.send(result)
            except MemoryError:  # pragma: no cover
                conn.send(ParseResult(path, error="too large: result exceeded the memory limit"))
    except (EOFError, OSError):  # the parent is gone (killed, say): end quietly, no traceback in its terminal
        os._exit(0)


class _Slot:
    def __init__(self, ctx, max_mb: int, ocr: OcrConfig | None = None, timeout_s: float = 60.0):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, max_mb, ocr, timeout_s), daemon=True)
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
                max_memory_mb: int = 2048, ocr: OcrConfig | None = None, shas: dict[str, str] | None = None,
                stop: threading.Event | None = None) -> Iterator[ParseResult | PageDone]:
    """Yield one ParseResult per path, in completion order, parsing `workers` files at once.

    A worker that exceeds `timeout_s` on a file is killed (`timeout`); one that dies is replaced
    (`crashed`, or `too large` when it ran out of memory). With `ocr` active, pages without usable text are
    read by OCR (cached under each file's hash in `shas`) and a PageDone is yielded after each: the time
    limit then holds for the text layer and for each OCR'd page. `stop` ends the run within 0.2 s, killing
    the workers and the pages they were reading.
    """
    todo = list(paths)
    todo.reverse()
    if not todo:
        return
    shas = shas or {}
    ctx = _context()
    n = min(workers or default_workers(), len(todo))

    def slot() -> _Slot:
        return _Slot(ctx, max_memory_mb, ocr, timeout_s)

    slots = [slot() for _ in range(n)]
    try:
        while True:
            for i, s in enumerate(slots):
                if s.path is None and todo:
                    if not s.proc.is_alive():
                        s = slots[i] = slot()
                    s.path = todo.pop()
                    s.deadline = time.monotonic() + timeout_s
                    s.conn.send((s.path, shas.get(s.path, "")))
            busy = [s for s in slots if s.path is not None]
            if not busy:
                return
            wait_s = max(0.0, min(s.deadline for s in busy) - time.monotonic())
            ready = wait([s.conn for s in busy], timeout=min(wait_s, 0.2) if stop is not None else wait_s)
            if stop is not None and stop.is_set():
                return
            for i, s in enumerate(slots):
                if s.path is None:
                    continue
                if s.conn in ready:
                    try:
                        result = s.conn.recv()
                    except (EOFError, OSError):
                        s.proc.join(5)
                        result = ParseResult(s.path, error=_death_reason(s.proc.exitcode))
                        s.kill()
                        slots[i] = slot()
                    else:
                        if isinstance(result, PageDone):
                            s.deadline = time.monotonic() + timeout_s
                        else:
                            s.path = None
                    yield result
                elif time.monotonic() >= s.deadline:
                    path = s.path
                    s.kill()
                    slots[i] = slot()
                    what = "parsing" if ocr is None or not ocr.active else "parsing or reading one page by OCR"
                    yield ParseResult(path, error=f"timeout: {what} took longer than {timeout_s:g} s")
    finally:
        for s in slots:
            if s.path is None and s.proc.is_alive():
                try:
                    s.conn.send(None)
                except OSError:
                    pass
            s.proc.join(0.5 if s.path is None else 0)
            if s.proc.is_alive():
                s.kill()


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
                max_memory_mb: int = 2048, ocr: OcrConfig | None = None,
                shas: dict[str, str] | None = None) -> Iterator[ParseResult | PageDone]:
    """parse_files in a thread feeding a small queue, so the workers keep parsing while the caller
    embeds; stops early when `cancel` is set (the event is left as it was found), ending an OCR'd page
    being read too."""
    if not paths:
        return
    q: queue.Queue = queue.Queue(maxsize=8)
    done = object()
    stop = threading.Event()
    halt = _Either(cancel, stop)

    def feed() -> None:
        gen = parse_files(paths, workers=workers, timeout_s=timeout_s, max_memory_mb=max_memory_mb, ocr=ocr,
                          shas=shas, stop=halt)
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


class _Either:
    """Set when either event is (what parse_files polls to stop)."""

    def __init__(self, a: threading.Event, b: threading.Event):
        self.a, self.b = a, b

    def is_set(self) -> bool:
        return self.a.is_set() or self.b.is_set()
