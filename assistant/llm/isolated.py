"""llama.cpp in a child process, so that a native crash or an out-of-memory kill becomes an error.

The child (started with spawn: the desktop app has threads, so no fork) builds a LlamaCppBackend and
answers one request at a time over a Pipe. Parent -> child: ("count", messages), ("stream", messages,
options), ("stop",), ("close",). Child -> parent: ("ready", n_ctx, n_gpu_layers, cpu_variant), ("count", n),
("piece", text) ... ("end",), or ("error", kind, message) in place of any reply.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from typing import Iterator

from assistant import errors
from assistant.errors import AssistantError, BackendError
from assistant.llm import ChatBackend, GenerationOptions, Message

_POLL_S = 0.5  # how often a waiting parent checks that the child is still alive


def _serve(conn, model_path: str, model_name: str, n_ctx: int, n_gpu_layers: int, n_threads: int,
           cpu_variant: str) -> None:
    """The child: load the model, then answer requests until "close" or until the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the parent, which then closes us
    parent = mp.parent_process()
    if parent is not None:  # the pipe only tells between pieces that the parent is gone; this covers prefill
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    from assistant.llm.local import LlamaCppBackend

    try:
        backend = LlamaCppBackend(model_path, model_name, n_ctx=n_ctx, n_gpu_layers=n_gpu_layers,
                                  n_threads=n_threads, cpu_variant=cpu_variant)
    except Exception as e:
        conn.send(_error_reply(e))
        return
    conn.send(("ready", backend.n_ctx, backend.n_gpu_layers, backend.cpu_variant))
    try:
        while True:
            request = conn.recv()
            if request[0] == "close":
                break
            try:
                if request[0] == "count":
                    conn.send(("count", backend.count_tokens(request[1])))
                elif request[0] == "stream":
                    _stream(conn, backend, request[1], request[2])
                # a "stop" that arrives after the end of its stream needs nothing
            except (EOFError, OSError):
                raise
            except Exception as e:
                conn.send(_error_reply(e))
    except (EOFError, OSError):
        pass  # the parent went away
    finally:
        backend.close()


def _exit_with(parent) -> None:
    parent.join()
    os._exit(1)


def _stream(conn, backend: ChatBackend, messages: list[Message], options: GenerationOptions) -> None:
    pieces = backend.stream(messages, options)
    try:
        for piece in pieces:
            conn.send(("piece", piece))
            if conn.poll() and conn.recv()[0] == "stop":
                break
    finally:
        pieces.close()
    conn.send(("end",))


def _error_reply(e: Exception) -> tuple[str, str, str]:
    if isinstance(e, AssistantError):
        return ("error", type(e).__name__, str(e))
    return ("error", "BackendError", f"local model: {type(e).__name__}: {e}")


def _error(kind: str, message: str) -> AssistantError:
    cls = getattr(errors, kind, None)
    if not (isinstance(cls, type) and issubclass(cls, AssistantError)):
        cls = AssistantError
    return cls(message)


_CRASHES = ("SIGSEGV", "SIGBUS", "SIGILL", "SIGABRT", "SIGFPE")


def _signal_name(exitcode: int | None) -> str:
    if exitcode is None or exitcode >= 0:
        return ""
    try:
        return signal.Signals(-exitcode).name
    except ValueError:
        return f"signal {-exitcode}"


def crash_message(signal_name: str, model: str, cpu_variant: str, loading: bool) -> str:
    """What a crash of native code inside llama.cpp means and what to do, on one line (CLI and app)."""
    from assistant.cpu import this_cpu
    from assistant.llm.cpu_variant import step_down

    cpu = this_cpu()
    where = f"while loading {model}" if loading else f"running {model}"
    lower = step_down(cpu_variant, cpu)
    todo = (f"set llama_cpu_variant = {lower} (ASSISTANT_LLAMA_CPU_VARIANT={lower}, or in the app's Settings) "
            "to use a plainer CPU library, or use a remote server; " if lower else
            "use a remote server (backend = remote); ")
    return (f"the language model crashed inside llama.cpp on this CPU ({signal_name} {where}; CPU: {cpu.name}, "
            f"llama.cpp's CPU library: {cpu_variant}); {todo}`assistant status` shows both")


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is None:
        return "it stopped answering"
    if exitcode >= 0:
        return f"exit code {exitcode}"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        return f"signal {-exitcode}"
    if name == "SIGKILL":
        return "killed by SIGKILL, perhaps out of memory"
    if name in ("SIGSEGV", "SIGBUS", "SIGILL", "SIGABRT", "SIGFPE"):
        return f"crashed with {name}"
    return f"ended by {name}"


class IsolatedLlamaCppBackend(ChatBackend):
    """LlamaCppBackend in a child process; a crash raises BackendError and the next call starts a new child."""

    name = "local"
    grammar = "llama.cpp"

    def __init__(self, model_path: str, model_name: str, *, n_ctx: int = 8192, n_gpu_layers: int = -2,
                 n_threads: int = 0, cpu_variant: str = "auto"):
        self.model = model_name
        self._args = (model_path, model_name, n_ctx, n_gpu_layers, n_threads, cpu_variant)
        self.cpu_variant = ""  # the child's llama.cpp CPU library, once it has loaded
        self._ctx = mp.get_context("spawn")
        self._proc = None
        self._conn = None
        self._closed = False
        self._awaiting_first = False  # a stream sent, no piece back yet: the child is reading the prompt
        self._interrupted = False
        self._lock = threading.Lock()  # one request at a time: the pipe carries one conversation
        with self._lock:
            self._start()

    @property
    def pid(self) -> int | None:
        """The child's process id (None before a restart)."""
        return self._proc.pid if self._proc is not None else None

    # ---- requests (all under self._lock)
    def count_tokens(self, messages: list[Message]) -> int:
        with self._lock:
            self._send(("count", messages))
            reply = self._receive()
            if reply[0] != "count":
                raise self._unexpected(reply)
            return reply[1]

    def stream(self, messages: list[Message], options: GenerationOptions) -> Iterator[str]:
        with self._lock:
            self._interrupted = False
            self._send(("stream", messages, options))
            self._awaiting_first = True
            finished = False
            try:
                while True:
                    try:
                        reply = self._receive()
                    except BackendError:
                        if self._interrupted:  # Stop while reading the prompt: an answer with no text
                            finished = True
                            return
                        raise
                    self._awaiting_first = False
                    if reply[0] == "piece":
                        yield reply[1]
                    else:
                        finished = True
                        if reply[0] == "end":
                            return
                        raise self._unexpected(reply)
            finally:
                self._awaiting_first = False
                if not finished and self._conn is not None:
                    self._stop_stream()

    def interrupt(self) -> None:
        """Stop before the first piece: reading a long prompt can take a minute on a CPU and cannot be
        stopped from inside, so the child is ended; the next request starts a new one."""
        proc = self._proc
        if self._awaiting_first and proc is not None:
            self._interrupted = True
            proc.kill()

    def _stop_stream(self) -> None:
        """Closed early: tell the child to stop and read up to its end, so the next request starts clean."""
        try:
            self._send(("stop",))
            while self._receive()[0] == "piece":
                pass
        except AssistantError:
            pass  # the child is gone or out of step; it was discarded and the next call starts a new one

    # ---- the child
    def _start(self) -> None:
        if self._closed:
            raise BackendError(f"the local model {self.model} was closed; restart the assistant")
        conn, child_conn = self._ctx.Pipe()
        proc = self._ctx.Process(target=_serve, args=(child_conn, *self._args), daemon=True,
                                 name=f"llama.cpp {self.model}")
        proc.start()
        child_conn.close()  # so that the child's death reads as end-of-file here
        self._proc, self._conn = proc, conn
        reply = self._receive(loading=True)
        if reply[0] != "ready":
            self._discard()
            raise self._unexpected(reply)
        self.n_ctx, self.n_gpu_layers, self.cpu_variant = reply[1], reply[2], reply[3]

    def _send(self, message: tuple) -> None:
        if self._conn is None:
            self._start()  # after a crash: a fresh child, so the user can retry
        try:
            self._conn.send(message)
        except (EOFError, OSError):
            raise self._died() from None

    def _receive(self, loading: bool = False) -> tuple:
        try:
            while not self._conn.poll(_POLL_S):
                if self._proc.exitcode is not None:
                    raise EOFError
            return self._conn.recv()
        except (EOFError, OSError):
            raise self._died(loading) from None

    def _died(self, loading: bool = False) -> BackendError:
        self._proc.join(5)
        how = "closed" if self._closed else _how_it_ended(self._proc.exitcode)
        sig = "" if self._closed else _signal_name(self._proc.exitcode)
        self._discard()
        if sig in _CRASHES:
            from assistant.llm.cpu_variant import choose

            try:
                variant = self.cpu_variant or choose(self._args[-1]).variant
            except AssistantError:
                variant = self._args[-1]
            return BackendError(crash_message(sig, self.model, variant, loading))
        what = f"while loading {self.model}" if loading else f"running {self.model}"
        return BackendError(f"the local model process stopped {what} ({how}); try again, or use a smaller "
                            "model, or lower n_ctx or n_gpu_layers")

    def _unexpected(self, reply: tuple) -> AssistantError:
        if reply[0] == "error":
            return _error(reply[1], reply[2])
        self._discard()
        return BackendError(f"the local model process sent {reply[0]!r} out of turn; try again")

    def _discard(self) -> None:
        """End the child if it is still there (send close, wait, then terminate, then kill)."""
        proc, conn, self._proc, self._conn = self._proc, self._conn, None, None
        if proc is None:
            return
        if proc.is_alive():
            try:
                conn.send(("close",))
            except OSError:
                pass
            proc.join(5)
        for end in (proc.terminate, proc.kill):
            if proc.is_alive():
                end()
                proc.join(5)
        conn.close()

    def close(self) -> None:
        """End the child. From another thread during a generation, it is killed and that stream raises."""
        self._closed = True
        if self._lock.acquire(timeout=2):
            try:
                self._discard()
            finally:
                self._lock.release()
        elif (proc := self._proc) is not None:
            proc.kill()  # the streaming thread owns the pipe; it sees the end and cleans up
