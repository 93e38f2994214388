"""The built bundle on other CPUs than the one that built it: its smoke test on emulated CPUs, and a CPU
below the minimum refused in one line.

    .venv/bin/python packaging/cpu_matrix.py dist/archive-assistant [--cpus native,Haswell,Nehalem]

Debian's `qemu-user` (qemu-x86_64) runs a program as on another CPU model, without root: `-cpu Haswell`
(AVX2, x86-64-v3), `-cpu Nehalem` (SSE4.2, no AVX: x86-64-v2, the minimum), `-cpu Conroe` (below it).
Each CPU gets packaging/smoke_test.py with every program and child process under the emulator: the
CLI's index (PDFium, ONNX Runtime, Chroma's Rust bindings), ask (llama.cpp, and which of its CPU
libraries was chosen), search, and the app's window (Qt). Tesseract, the system's, runs under the
emulator on its own. qemu 7.2 does not emulate AVX-512 or AMX: those CPUs are not in the matrix.
Prints a table; exit 1 when a row failed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))
from smoke_test import emulated_env  # noqa: E402
# what each emulated CPU is, and the llama.cpp CPU library the bundle must choose on it
CPUS = {"Haswell": ("x86-64-v3, AVX2", "haswell"), "Nehalem": ("x86-64-v2, SSE4.2, no AVX", "sse42")}
BELOW = "Conroe"  # Core 2: SSSE3, no SSE4.2 or POPCNT


def run(cmd: list[str], timeout: float, **kw) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    return done, time.perf_counter() - started


def tesseract_on(cpu: str, work: Path) -> str:
    """Tesseract (the system's) reading a typeset line on the emulated CPU: "ok", or what went wrong."""
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        return "not installed"
    from PIL import Image, ImageDraw, ImageFont

    image = work / "line.png"
    font = ImageFont.truetype("DejaVuSans.ttf", 40) if Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").exists() \
        else ImageFont.load_default()
    canvas = Image.new("L", (900, 90), 255)
    ImageDraw.Draw(canvas).text((20, 20), "Reading room closed 1923", fill=0, font=font)
    canvas.save(image)
    done, _ = run(["qemu-x86_64", "-cpu", cpu, tesseract, str(image), "stdout"], 600)
    if done.returncode != 0:
        return f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"
    return "ok" if "Reading room" in done.stdout else f"read {done.stdout.strip()!r}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bundle", type=Path)
    p.add_argument("--cpus", default="native,Haswell,Nehalem", help="comma-separated: native and qemu CPU models")
    args = p.parse_args(argv)
    bundle = args.bundle.resolve()
    if shutil.which("qemu-x86_64") is None:
        print("qemu-x86_64 is needed: apt-get install qemu-user", file=sys.stderr)
        return 2
    rows: list[tuple[str, str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for cpu in args.cpus.split(","):
            what, variant = CPUS.get(cpu, ("this machine", ""))
            cmd = [sys.executable, str(ROOT / "packaging" / "smoke_test.py"), str(bundle), str(work / cpu)]
            if cpu != "native":
                cmd += ["--cpu", cpu, "--expect-variant", variant]
            print(f"== smoke test on {cpu} ({what})", flush=True)
            done, seconds = run(cmd, 3600, cwd=ROOT)
            print(done.stdout + done.stderr, flush=True)
            chosen = next((ln.split("llama.cpp: ")[1].strip() for ln in done.stdout.splitlines()
                           if "llama.cpp: " in ln), "?")
            ocr = tesseract_on(cpu, work) if cpu != "native" else "ok (smoke test)"
            result = "passed" if done.returncode == 0 else "FAILED"
            rows.append((cpu, what, chosen, f"{result}, OCR: {ocr}", f"{seconds:.0f}"))

        print(f"== below the minimum: {BELOW}", flush=True)
        below_ok = True
        for program, *rest in (("assistant", "status"), ("assistant-ui",)):
            done, seconds = run(["qemu-x86_64", "-cpu", BELOW, str(bundle / program), *rest], 600,
                                env={"HOME": tmp, "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen",
                                     **emulated_env(bundle)})
            lines = [ln for ln in done.stderr.splitlines() if not ln.startswith("qemu-x86_64: warning")]
            one_line = done.returncode == 2 and len(lines) == 1 and "below the minimum" in lines[0]
            print(f"$ {' '.join([program, *rest])}   (exit {done.returncode})\n" + "\n".join(lines), flush=True)
            below_ok &= one_line
        rows.append((BELOW, "x86-64, SSSE3 (below the minimum)", "-",
                     "refused in one line, exit 2" if below_ok else "FAILED: not one line and exit 2", "-"))

    print("\n| CPU (emulated by qemu-x86_64 -cpu) | class | llama.cpp CPU library | bundle smoke test | s |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0 if all("FAILED" not in r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
