"""The bundle's figures: its size (folder, archive, largest parts) and how long its programs take to start.

    python packaging/measure.py dist/archive-assistant [dist/archive-assistant-....tar.gz] [--runs 3]

Start-up of the app is measured from starting `assistant-ui` to its first frame on the screen (a real X
window on Xvfb where Xvfb is installed, else offscreen), with a new empty data dir each time, as on a
first start. The first run is cold: the kernel's page cache is dropped before it where this user may
(root), else it is the coldest this machine gives (the files were just written by the build).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import xvfb  # noqa: E402

LIMIT_MB = 600


def size(path: Path) -> int:
    if path.is_symlink():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def drop_page_cache() -> bool:
    """Forget the files read so far (root only), so that the next start reads the bundle from disk."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def app_start(bundle: Path, display: str | None) -> float:
    with tempfile.TemporaryDirectory() as home:
        env = xvfb.window_env(display, HOME=home, ASSISTANT_UI_READY="report",
                              ASSISTANT_DATA_DIR=str(Path(home) / "data"))
        started = time.time()
        try:
            done = subprocess.run([str(bundle / "assistant-ui")], capture_output=True, text=True, timeout=120,
                                  env=env, cwd=home)
        except subprocess.TimeoutExpired as e:
            raise SystemExit(f"measure: assistant-ui did not show its window within 120 s: {e.stderr!r:.300}")
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("ready ")), "")
    if done.returncode != 0 or not line:
        raise SystemExit(f"measure: assistant-ui did not start (exit {done.returncode}): "
                         f"{(done.stderr.strip().splitlines() or ['no output'])[-1]}")
    return float(line.split()[1]) - started


def cli_start(bundle: Path) -> float:
    with tempfile.TemporaryDirectory() as home:
        started = time.perf_counter()
        subprocess.run([str(bundle / "assistant"), "--help"], capture_output=True, check=True, timeout=120,
                       env={"HOME": home, "PATH": "/usr/bin:/bin"}, cwd=home)
        return time.perf_counter() - started


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("bundle")
    p.add_argument("archive", nargs="?")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    bundle = Path(args.bundle).resolve()
    internal = bundle / "_internal"
    total, models = size(bundle), size(internal / "models")
    print(f"\n| bundle {bundle.name} | MiB |\n|---|---:|")
    print(f"| folder, all | {total / 2**20:.0f} |")
    print(f"| of which bundled models | {models / 2**20:.0f} |")
    if args.archive:
        print(f"| archive {Path(args.archive).name} | {size(Path(args.archive)) / 2**20:.0f} |")
    parts = sorted(((size(p), p.name) for p in internal.iterdir()), reverse=True)[:8]
    print("\nlargest parts of _internal/: " + ", ".join(f"{n} {s / 2**20:.0f} MiB" for s, n in parts))
    with xvfb.display() as display:
        where = f"a real X window on Xvfb {display}" if display else "offscreen (no Xvfb here)"
        cold = drop_page_cache()
        app = [app_start(bundle, display) for _ in range(args.runs)]
    cold_cli = drop_page_cache()
    cli = [cli_start(bundle) for _ in range(args.runs)]
    first = "first (page cache dropped)" if cold and cold_cli else "first"
    print(f"\n| start-up ({args.runs} runs, new data dir each) | {first} | median |\n|---|---:|---:|")
    print(f"| assistant-ui to its first frame, {where} | {app[0]:.2f} s | {statistics.median(app):.2f} s |")
    print(f"| assistant --help | {cli[0]:.2f} s | {statistics.median(cli):.2f} s |")
    verdict = "under" if total < LIMIT_MB * 2**20 else "OVER"
    print(f"\nsize: {total / 2**20:.0f} MiB, {verdict} the {LIMIT_MB} MiB goal; app start-up {app[0]:.2f} s "
          f"{'cold' if cold else 'first'}, median {statistics.median(app):.2f} s (goal 3 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
