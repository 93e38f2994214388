"""Before Qt opens a window: the system libraries its X11 platform plugin needs, named with the command
that installs them.

Qt aborts the process when its platform plugin does not load ('Could not load the Qt platform plugin
"xcb" even though it was found'), and says nothing of which library is missing. On a fresh Debian or Ubuntu
desktop that is typically libxcb-cursor0, libxcb-icccm4 and libxcb-keysyms1. So on Linux, when the window
would go to an X display, the plugin's own dependencies are listed with `ldd` first, and a missing one
ends the start with one line that says what to install.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Library (soname) -> the Debian/Ubuntu package that provides it.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-shape.so.0": "libxcb-shape0", "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-sync.so.1": "libxcb-sync1", "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0", "libxcb-util.so.1": "libxcb-util1", "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0", "libxcb-glx.so.0": "libxcb-glx0", "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1", "libX11.so.6": "libx11-6", "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1", "libOpenGL.so.0": "libopengl0", "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6", "libdbus-1.so.3": "libdbus-1-3", "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6", "libglib-2.0.so.0": "libglib2.0-0", "libxcb-xkb.so.0": "libxcb-xkb1",
}


def wants_x11(env=os.environ) -> bool:
    """Qt will try its xcb plugin: Linux, no other platform asked for, and an X display (or xcb named)."""
    if not sys.platform.startswith("linux"):
        return False
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(":")[0].split(";")[0] == "xcb"
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def xcb_plugin() -> Path | None:
    from PySide6.QtCore import QLibraryInfo

    plugin = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(plugin: Path) -> list[str]:
    """The libraries `plugin` links to that the dynamic linker does not find ([] when ldd cannot tell)."""
    try:
        out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_ldd(out)


def parse_ldd(out: str) -> list[str]:
    return sorted({line.split("=>")[0].strip() for line in out.splitlines() if "=> not found" in line})


def fix_command(libraries: list[str]) -> str:
    """The one command that installs `libraries`, or what to look for where the packages are not known."""
    packages = [DEBIAN_PACKAGES.get(lib) for lib in libraries]
    if all(packages) and Path("/usr/bin/apt-get").exists():
        return "sudo apt-get install " + " ".join(dict.fromkeys(packages))
    if all(packages) and Path("/usr/bin/dnf").exists():
        return "sudo dnf install xcb-util-cursor xcb-util-wm xcb-util-keysyms xcb-util-image xcb-util-renderutil " \
               "libxkbcommon-x11"
    return "install the packages that provide " + ", ".join(libraries) + " with your system's package manager"


def problem() -> str:
    """Why a window cannot open here, with the command that fixes it ("" when nothing is known wrong)."""
    if not wants_x11():
        return ""
    plugin = xcb_plugin()
    missing = missing_libraries(plugin) if plugin else []
    if not missing:
        return ""
    return (f"the window cannot open: Qt's X11 plugin needs {', '.join(missing)}, which this system lacks; "
            f"install them: {fix_command(missing)}")


def missing_packages() -> list[str]:
    """The Debian/Ubuntu packages of the libraries the X11 plugin lacks here (for scripts/setup.sh)."""
    plugin = xcb_plugin()
    missing = missing_libraries(plugin) if plugin else []
    return list(dict.fromkeys(DEBIAN_PACKAGES.get(lib, lib) for lib in missing))


if __name__ == "__main__":  # python -m ui.platform_check: the missing packages, one line (empty: none)
    print(" ".join(missing_packages()))
