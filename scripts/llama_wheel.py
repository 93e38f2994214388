"""llama-cpp-python built to run on any x86-64 CPU, not only on the machine that built it.

    python scripts/llama_wheel.py fix WHEEL FLAGS    # after `pip wheel`: the wheel, made portable in place
    python scripts/llama_wheel.py installed FLAGS    # exit 0 when the installed llama_cpp is such a build
    python scripts/llama_wheel.py amx DIR...         # exit 1 when a library there holds AMX tile instructions

scripts/setup.sh builds llama.cpp as its portable releases are built (GGML_NATIVE=OFF, GGML_BACKEND_DL=ON,
GGML_CPU_ALL_VARIANTS=ON: one CPU library per CPU family, assistant/llm/cpu_variant.py picks one at run
time). `fix` then makes the wheel what the program expects:
- the CPU libraries, which the build puts in a top-level `bin/`, go beside libllama in `llama_cpp/lib/`
  (one place for the program and for the bundle to find them);
- the second copy of libggml in a top-level `lib/` (and the headers and CMake files) are left out, and so
  are the copies of each library under its versioned names that nothing loads;
- the AMX library (libggml-cpu-sapphirerapids.so) is left out: ggml's AMX code crashes on some models
  and CPUs (llama.cpp issue 20824);
- `llama_cpp/lib/BUILD-FLAGS` records the CMake flags, so that setup.sh knows a build made otherwise
  (an older native one, or one without CUDA) and rebuilds.
Standard library only: it runs before the virtual environment has anything in it.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

EXCLUDED = ("libggml-cpu-sapphirerapids",)
FLAGS_FILE = "llama_cpp/lib/BUILD-FLAGS"
# AMX tile instructions as objdump names them (tdpbssd, tdpbf16ps ..., tileloadd, ldtilecfg)
AMX = ("tdpb", "tdpf", "tileload", "ldtilecfg", "tilestore", "tilezero")


def _spare_copy(base: str) -> bool:
    """A library a wheel holds three times over (zip has no links): libllama.so, .so.0 and .so.0.5.0.
    llama_cpp loads lib<name>.so by path, which then answers to its soname (lib<name>.so.0) too; what
    the loader looks up by soname is kept: libggml.so.0 and libggml-base.so.0, which libllama needs."""
    stem, _, version = base.partition(".so.")
    if not version or not stem.startswith("lib"):
        return False
    return "." in version or stem in ("libllama", "libmtmd")


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def fix(wheel: Path, flags: str) -> list[str]:
    """Rewrite `wheel` in place (see the module's docstring); returns what changed, for the log."""
    notes: list[str] = []
    out = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        record_name = next(n for n in src.namelist() if n.endswith(".dist-info/RECORD"))
        record: list[str] = []
        for info in src.infolist():
            name = info.filename
            if name in (record_name, FLAGS_FILE) or name.endswith("/"):
                continue  # (written below; fixing a fixed wheel again changes nothing)
            first = name.split("/", 1)[0]
            base = Path(name).name
            if first in ("include", "lib") or (first == "bin" and not base.startswith("libggml")):
                notes.append(f"left out {name}")
                continue
            if base.startswith(EXCLUDED):
                notes.append(f"left out {name} (AMX)")
                continue
            if _spare_copy(base):
                notes.append(f"left out {name} (a copy of a library kept under another name)")
                continue
            if first == "bin":
                notes.append(f"moved {name} to llama_cpp/lib/")
                name = f"llama_cpp/lib/{base}"
            data = src.read(info)
            zi = zipfile.ZipInfo(name, date_time=info.date_time)
            zi.external_attr, zi.compress_type = info.external_attr, zipfile.ZIP_DEFLATED
            dst.writestr(zi, data)
            record.append(_record_line(name, data))
        stamp = (flags.strip() + "\n").encode()
        dst.writestr(FLAGS_FILE, stamp)
        record.append(_record_line(FLAGS_FILE, stamp))
        record.append(f"{record_name},,")
        dst.writestr(record_name, "\n".join(record) + "\n")
    out.replace(wheel)
    return notes


def installed(flags: str) -> bool:
    """Whether the llama_cpp importable here was built by `fix` with these flags."""
    import importlib.util

    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return False
    stamp = Path(list(spec.submodule_search_locations)[0]) / "lib" / "BUILD-FLAGS"
    return stamp.is_file() and stamp.read_text().strip() == flags.strip()


def amx_libraries(folders: list[Path]) -> dict[str, int]:
    """Every shared library under `folders` that holds AMX tile instructions, with how many."""
    objdump = shutil.which("objdump")
    if objdump is None:
        raise SystemExit("objdump is needed to look for AMX instructions: apt-get install binutils")
    found: dict[str, int] = {}
    for folder in folders:
        for lib in sorted(p for p in folder.rglob("*.so*") if p.is_file()):
            text = subprocess.run([objdump, "-d", "--no-show-raw-insn", str(lib)], capture_output=True,
                                  text=True, errors="replace").stdout
            n = sum(1 for line in text.splitlines() if "\t" in line and line.split("\t")[-1].lstrip().startswith(AMX))
            if n:
                found[str(lib)] = n
    return found


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "fix":
        for note in fix(Path(argv[1]), argv[2]):
            print(f"  {note}")
        return 0
    if len(argv) == 2 and argv[0] == "installed":
        return 0 if installed(argv[1]) else 1
    if len(argv) >= 2 and argv[0] == "amx":
        found = amx_libraries([Path(a) for a in argv[1:]])
        for lib, n in found.items():
            print(f"{lib}: {n} AMX tile instructions")
        return 1 if found else 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
