"""The desktop app in a real X window on Xvfb (the other UI tests run offscreen), and its start-up check
for the X11 libraries Qt's xcb plugin needs (ui/platform_check.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from ui import platform_check

sys.path.insert(0, str(ROOT / "packaging"))
import xvfb  # noqa: E402


def test_the_app_opens_a_real_x11_window(tmp_path):
    with xvfb.display() as display:
        if display is None:
            if os.environ.get("WINDOW_TESTS_REQUIRED"):
                pytest.fail("Xvfb is not installed (apt-get install xvfb); .ci/run installs it")
            pytest.skip("Xvfb is not installed")
        env = xvfb.window_env(display, ASSISTANT_UI_READY=f"report:{tmp_path / 'window.png'}")
        assert platform_check.problem() == "" or not platform_check.wants_x11(env)
        done = subprocess.run([sys.executable, "-m", "ui.app"], capture_output=True, text=True, env=env,
                              cwd=str(ROOT), timeout=120)
    assert done.returncode == 0, done.stderr
    assert "platform=xcb" in done.stdout, done.stdout
    from PIL import Image

    shot = Image.open(tmp_path / "window.png").convert("L")
    assert shot.width > 400 and shot.height > 300
    assert len(shot.getcolors(maxcolors=1 << 16) or range(17)) > 16  # drawn: not one flat colour


def test_missing_x11_libraries_end_the_start_with_the_command_that_installs_them(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ldd").write_text("#!/bin/sh\necho '\tlibxcb-cursor.so.0 => not found'\n"
                              "echo '\tlibxcb-icccm.so.4 => not found'\necho '\tlibc.so.6 => /lib/libc.so.6'\n")
    (fake / "ldd").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "DISPLAY": ":12345", "QT_QPA_PLATFORM": ""}
    done = subprocess.run([sys.executable, "-m", "ui.app"], capture_output=True, text=True, env=env,
                          cwd=str(ROOT), timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4" in lines[0]
    if Path("/usr/bin/apt-get").exists():
        assert lines[0].endswith("install them: sudo apt-get install libxcb-cursor0 libxcb-icccm4")


def test_ldd_output_is_read_for_missing_libraries():
    out = "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibxcb-keysyms.so.1 => not found\n\tlibX11.so.6 => /lib/libX11.so.6 (0x7f)\n"
    assert platform_check.parse_ldd(out) == ["libxcb-keysyms.so.1"]
    assert platform_check.fix_command(["libunknown.so.9"]).startswith("install the packages that provide libunknown.so.9")
    assert not platform_check.wants_x11({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"})
    assert platform_check.wants_x11({"DISPLAY": ":0"}) == sys.platform.startswith("linux")
