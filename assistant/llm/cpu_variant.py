"""Which of llama.cpp's CPU builds this process runs, chosen for the CPU it meets.

scripts/setup.sh (and so the bundle) builds llama.cpp the way its portable releases are built: no
`-march=native`, the backends as libraries of their own (`GGML_BACKEND_DL`), and one CPU library per CPU
family (`GGML_CPU_ALL_VARIANTS`: libggml-cpu-haswell.so, -icelake.so ...). llama-cpp-python loads none of
them by itself, so this module picks one and registers it, through the same libggml that libllama uses.

It picks by what `assistant.cpu` reads from the CPU (CPUID, and the register state the OS enabled), not
by ggml's own scoring, which trusts CPUID alone and would load an AVX-512 library in a VM whose OS does
not enable AVX-512. The AMX library (sapphirerapids) is never loaded and setup leaves it out: ggml's AMX
path crashes on some models and machines (SIGSEGV in decode, SIGILL on load; llama.cpp issue 20824).
`llama_cpu_variant` (ASSISTANT_LLAMA_CPU_VARIANT) names one instead of "auto", e.g. "haswell" to step
down after a crash.

A llama.cpp built the old way (CPU code built in, e.g. a user's own CUDA build without GGML_BACKEND_DL)
needs none of this: it is reported as "built in".
"""

from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from assistant.cpu import CpuInfo, this_cpu
from assistant.errors import ConfigError

# llama.cpp's x86 variants (ggml/src/CMakeLists.txt, GGML_CPU_ALL_VARIANTS) and what each is compiled for,
# lowest first; the CPU flags are assistant.cpu's names
VARIANTS: dict[str, frozenset[str]] = {name: frozenset(flags.split()) for name, flags in [
    ("x64", ""),
    ("sse42", "sse4_2"),
    ("sandybridge", "sse4_2 avx"),
    ("ivybridge", "sse4_2 avx f16c"),
    ("piledriver", "sse4_2 avx f16c fma"),
    ("haswell", "sse4_2 avx f16c fma avx2 bmi2"),
    ("alderlake", "sse4_2 avx f16c fma avx2 bmi2 avx_vnni"),
    ("skylakex", "sse4_2 avx f16c fma avx2 bmi2 avx512f"),
    ("cannonlake", "sse4_2 avx f16c fma avx2 bmi2 avx512f avx512_vbmi"),
    ("cascadelake", "sse4_2 avx f16c fma avx2 bmi2 avx512f avx512_vnni"),
    ("icelake", "sse4_2 avx f16c fma avx2 bmi2 avx512f avx512_vbmi avx512_vnni"),
    ("cooperlake", "sse4_2 avx f16c fma avx2 bmi2 avx512f avx512_vnni avx512_bf16"),
    ("zen4", "sse4_2 avx f16c fma avx2 bmi2 avx512f avx512_vbmi avx512_vnni avx512_bf16"),
]}
# built by GGML_CPU_ALL_VARIANTS but never loaded (see the module's docstring)
EXCLUDED = {"sapphirerapids": "ggml's AMX code crashes on some models and CPUs (llama.cpp issue 20824)"}
_GPU_BACKENDS = ("cuda", "hip", "vulkan", "metal", "sycl", "musa", "opencl")


@dataclass(frozen=True)
class Choice:
    variant: str  # "haswell", ..., or "built in"
    path: str  # the library loaded ("" when built in)
    why: str  # "best for this CPU" / "llama_cpu_variant = haswell" / ...


def library_dirs() -> list[Path]:
    """Where the variant libraries may be: beside libllama (setup.sh's layout, and the bundle's), then the
    `bin/` folder beside site-packages' llama_cpp, where a plain `pip install` puts them."""
    import importlib.util

    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return []
    pkg = Path(list(spec.submodule_search_locations)[0])
    return [d for d in (pkg / "lib", pkg.parent / "bin") if d.is_dir()]


def available() -> dict[str, Path]:
    """The CPU variant libraries installed: name -> path (empty for a llama.cpp with its CPU code built in)."""
    found: dict[str, Path] = {}
    for folder in library_dirs():
        for path in sorted(folder.glob("libggml-cpu-*.so")) + sorted(folder.glob("ggml-cpu-*.dll")):
            name = path.name.split("ggml-cpu-", 1)[1].rsplit(".", 1)[0]
            found.setdefault(name, path)
    return found


def installed_names() -> list[str]:
    """The installed CPU libraries by name, lowest first (ones this program does not know last)."""
    order = list(VARIANTS)
    return sorted(available(), key=lambda n: (order.index(n) if n in order else len(order), n))


def runs_here(installed, cpu: CpuInfo) -> list[str]:
    """The installed variants this CPU runs (every extension each was compiled for is here), lowest first."""
    return [n for n in VARIANTS if n in installed and VARIANTS[n] <= cpu.flags]


def choose(setting: str = "auto", cpu: CpuInfo | None = None,
           installed: dict[str, Path] | None = None) -> Choice:
    """The variant to load: the most capable one the CPU runs, or the one `setting` names."""
    cpu = cpu or this_cpu()
    installed = available() if installed is None else installed
    if not installed:
        return Choice("built in", "", "llama.cpp here has its CPU code built in")
    fits = runs_here(installed, cpu)
    if setting not in ("", "auto"):
        if setting in EXCLUDED:
            raise ConfigError(f"llama_cpu_variant = {setting} is not used: {EXCLUDED[setting]}; choose one "
                              f"of {', '.join(fits)}")
        if setting not in installed or setting not in VARIANTS:
            raise ConfigError(f"llama_cpu_variant = {setting} is not installed; choose auto or one of "
                              f"{', '.join(fits)}")
        if setting not in fits:
            need = ", ".join(sorted(VARIANTS[setting] - cpu.flags))
            raise ConfigError(f"llama_cpu_variant = {setting} needs {need}, which this CPU ({cpu.name}) "
                              f"lacks; choose auto or one of {', '.join(fits)}")
        return Choice(setting, str(installed[setting]), f"llama_cpu_variant = {setting}")
    if not fits:
        raise ConfigError(f"none of llama.cpp's CPU libraries ({', '.join(installed)}) runs on this CPU "
                          f"({cpu.name}); reinstall with `bash scripts/setup.sh`")
    # the most capable: the one compiled for the most extensions (ggml's own score works the same way)
    best = max(fits, key=lambda n: (len(VARIANTS[n]), list(VARIANTS).index(n)))
    return Choice(best, str(installed[best]), "the best for this CPU")


def step_down(variant: str, cpu: CpuInfo | None = None) -> str:
    """A plainer variant to try after a crash in `variant`: the best one without AVX-512 after an AVX-512
    one, else the next one down ("" when there is none, or llama.cpp has its CPU code built in)."""
    if variant not in VARIANTS:
        return ""
    cpu = cpu or this_cpu()
    now = VARIANTS[variant]
    lower = [n for n in VARIANTS if VARIANTS[n] <= cpu.flags and len(VARIANTS[n]) < len(now)
             and not ("avx512f" in now and "avx512f" in VARIANTS[n])]
    return max(lower, key=lambda n: (len(VARIANTS[n]), list(VARIANTS).index(n)), default="")


_loaded: Choice | None = None


def ensure_loaded(setting: str = "auto") -> Choice:
    """Register the chosen CPU library (and any GPU one installed) with the libggml that libllama uses.
    Once per process; llama_cpp must be importable. Later calls return the first choice."""
    global _loaded
    if _loaded is not None:
        return _loaded
    choice = choose(setting)
    if choice.path:
        import logging

        import llama_cpp  # noqa: F401  (loads libllama and with it libggml)

        # llama-cpp-python prints llama.cpp's log on stderr until a model is loaded quietly; errors only
        logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)

        ggml = ctypes.CDLL(_loaded_libggml())
        ggml.ggml_backend_load.restype = ctypes.c_void_p
        ggml.ggml_backend_load.argtypes = [ctypes.c_char_p]
        if not ggml.ggml_backend_load(os.fsencode(choice.path)):
            raise ConfigError(f"llama.cpp could not load its CPU library {choice.path}; reinstall with "
                              "`bash scripts/setup.sh`")
        folder = Path(choice.path).parent
        for name in _GPU_BACKENDS:
            for lib in sorted(folder.glob(f"libggml-{name}*.so")):
                ggml.ggml_backend_load(os.fsencode(str(lib)))  # no GPU or driver: it declines, CPU remains
    _loaded = choice
    return choice


def _loaded_libggml() -> str:
    """The libggml.so this process mapped for libllama: a second copy would keep a registry of its own."""
    if sys.platform.startswith("linux"):
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                path = line.rstrip("\n").split(" ", 5)[-1].strip()
                if Path(path).name.startswith("libggml.so"):
                    return path
    for folder in library_dirs():
        for name in ("libggml.so", "libggml.dylib", "ggml.dll"):
            if (folder / name).exists():
                return str(folder / name)
    raise ConfigError("llama.cpp's libggml was not found beside llama_cpp; reinstall with `bash scripts/setup.sh`")
