# The bundle's first runtime hook, before PyInstaller's own (whose PySide6 hook loads Qt, which dies with
# SIGILL on a CPU below x86-64-v2): on such a CPU, one line and exit 2 (assistant/cpu.py).
import sys

from assistant.cpu import below_minimum

if (_line := below_minimum()) is not None:
    print(f"error: {_line}", file=sys.stderr)
    sys.exit(2)
