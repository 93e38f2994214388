"""The bundle's one entry point: `assistant` (the CLI) and `assistant-ui` (the desktop app) are two names
for one frozen program, which looks at the name it was started by.

A frozen program has no interpreter to hand `-c CODE` to, so the few places that run a snippet in a child
process (`assistant/store_check.py` opens a possibly damaged index there, so that a crash is not shared)
get it here; multiprocessing's own children (the PDF parsing workers, the isolated language model) are
started by `multiprocessing.freeze_support()`.
"""

import multiprocessing
import os
import sys


def main() -> None:
    # packaging/cpu_matrix.py runs the bundle under an emulated CPU (qemu-x86_64 -cpu Haswell), which runs
    # only the program it was given: children started through this wrapper run under it as well
    if wrapper := os.environ.get("ASSISTANT_CHILD_EXECUTABLE"):
        sys.executable = wrapper
    multiprocessing.freeze_support()
    if len(sys.argv) > 2 and sys.argv[1] == "-c":
        code, sys.argv = sys.argv[2], ["-c", *sys.argv[3:]]
        exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
        sys.exit(0)
    name = os.path.basename(sys.argv[0])  # the link's name (sys.executable is the program it points to)
    if name.removesuffix(".exe") == "assistant-ui":
        from ui.app import main as ui_main

        sys.exit(ui_main())
    from assistant.cli import run

    run()


if __name__ == "__main__":
    main()
