"""A virtual X display for a real window without a screen (Xvfb), for the bundle's checks and the tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path


@contextlib.contextmanager
def display(width: int = 1280, height: int = 800):
    """Start Xvfb on a free display number; yield its DISPLAY value (None when Xvfb is not installed)."""
    if shutil.which("Xvfb") is None:
        yield None
        return
    number = next(n for n in range(90, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists()
                  and not Path(f"/tmp/.X{n}-lock").exists())
    proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Xvfb :{number} did not start (exit {proc.poll()})")
            time.sleep(0.05)
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def window_env(display_value: str | None, **extra: str) -> dict[str, str]:
    """An environment for the app on `display_value` (a real X window), or offscreen when there is none."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WAYLAND"))}
    if display_value:
        env["DISPLAY"] = display_value
        env["QT_QPA_PLATFORM"] = "xcb"
    else:
        env.pop("DISPLAY", None)
        env["QT_QPA_PLATFORM"] = "offscreen"
    return {**env, **extra}
