"""llama-cpp-python's OpenAI-compatible server on this machine's CPU: `python -m assistant.llm.server
--model X.gguf --host 127.0.0.1 --port 8000` takes llama_cpp.server's options.

The llama.cpp that scripts/setup.sh builds keeps its CPU code in one library per CPU family, which
`python -m llama_cpp.server` alone never loads (it then finds no device to run a model on); this loads
the one for this CPU first (assistant/llm/cpu_variant.py; the setting `llama_cpu_variant` names one).
"""

from __future__ import annotations

import runpy
import sys


def main() -> None:
    from assistant.llm.cpu_variant import ensure_loaded
    from assistant.settings import load_settings

    ensure_loaded(load_settings({}).llama_cpu_variant)
    sys.argv[0] = "llama_cpp.server"
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
