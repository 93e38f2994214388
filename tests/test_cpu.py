"""The CPU the program meets: read from the CPU itself, llama.cpp's CPU library chosen for it, a crash inside
llama.cpp told in one line, and the program on emulated CPUs (Debian's qemu-user: Haswell, Nehalem, and
Conroe below the minimum). The llama.cpp here is the one scripts/setup.sh builds (portable, no AMX)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import E5, ROOT, SMOLLM, run_cli

from assistant import cpu as cpus
from assistant.cpu import CpuInfo
from assistant.errors import ConfigError
from assistant.llm import cpu_variant
from assistant.llm.cpu_variant import VARIANTS, choose, step_down

QEMU = shutil.which("qemu-x86_64")
needs_qemu = pytest.mark.skipif(QEMU is None and not os.environ.get("QEMU_TESTS_REQUIRED"),
                                reason="qemu-x86_64 (Debian's qemu-user) is not installed")
X86 = pytest.mark.skipif(cpus.this_cpu().source == "none", reason="not an x86-64 machine")


def fake_cpu(*flags: str) -> CpuInfo:
    return CpuInfo("test CPU", frozenset(flags), "cpuid")


ALL = {n: Path(f"/lib/libggml-cpu-{n}.so") for n in VARIANTS}
HASWELL = fake_cpu("sse2", "sse3", "ssse3", "sse4_1", "sse4_2", "popcnt", "cx16", "avx", "f16c", "fma", "avx2",
                   "bmi1", "bmi2", "lzcnt", "movbe")
SPR = fake_cpu(*HASWELL.flags, "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vbmi", "avx512_vnni",
               "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16")


# ---- choosing llama.cpp's CPU library (logic)
def test_the_best_library_the_cpu_runs_is_chosen():
    assert choose("auto", HASWELL, ALL).variant == "haswell"
    assert choose("auto", SPR, ALL).variant == "zen4"  # AMX CPUs get the best library without AMX
    assert choose("auto", fake_cpu("sse2", "sse4_2", "popcnt"), ALL).variant == "sse42"
    assert choose("auto", fake_cpu("sse2"), ALL).variant == "x64"
    # AVX-512 that the OS did not enable is not in the flags (assistant.cpu checks XGETBV): haswell
    assert choose("auto", HASWELL, {**ALL, "sapphirerapids": Path("/x")}).variant == "haswell"


def test_a_library_named_in_the_setting_is_checked_against_the_cpu():
    assert choose("sse42", HASWELL, ALL).variant == "sse42"
    with pytest.raises(ConfigError, match="needs avx512f.*choose auto or one of"):
        choose("skylakex", HASWELL, ALL)
    with pytest.raises(ConfigError, match="is not used: ggml's AMX code crashes"):
        choose("sapphirerapids", SPR, ALL)
    with pytest.raises(ConfigError, match="llama_cpu_variant = nosuch is not installed"):
        choose("nosuch", HASWELL, ALL)
    assert choose("auto", HASWELL, {}).variant == "built in"


def test_after_a_crash_the_advice_steps_down():
    assert step_down("zen4", SPR) == "alderlake"  # out of AVX-512 entirely
    assert step_down("haswell", HASWELL) == "piledriver"
    assert step_down("x64", HASWELL) == ""
    assert step_down("built in", HASWELL) == ""


# ---- the CPU itself
@X86
def test_cpuid_agrees_with_the_kernel_on_this_machine():
    seen, kernel = cpus.this_cpu(), cpus._from_proc()
    assert seen.source == "cpuid" and seen.name
    for flag in ("sse4_2", "popcnt", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "amx_tile"):
        assert (flag in seen.flags) == (flag in kernel.flags), flag
    assert seen.meets_minimum() and cpus.below_minimum() is None


# ---- the llama.cpp that setup.sh installed
def test_llama_cpp_is_the_portable_build_without_amx():
    installed = cpu_variant.installed_names()
    assert {"x64", "sse42", "haswell", "skylakex", "icelake", "zen4"} <= set(installed), installed
    assert "sapphirerapids" not in installed
    lib = Path(cpu_variant.available()["x64"]).parent
    assert (lib / "BUILD-FLAGS").read_text().split()[1:4] == [
        "-DGGML_NATIVE=OFF", "-DGGML_BACKEND_DL=ON", "-DGGML_CPU_ALL_VARIANTS=ON"]
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "llama_wheel.py"), "amx", str(lib)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout  # no AMX tile instruction in any library shipped


@X86
def test_status_names_the_cpu_and_the_library_chosen(data_dir):
    import json

    done = run_cli("status", "--json", env={"ASSISTANT_EMBEDDING_MODEL": E5})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["cpu"]["name"] == cpus.this_cpu().name and data["cpu"]["minimum"] == "x86-64-v2"
    assert data["llm"]["cpu_variant"]["variant"] == choose().variant != "built in"
    assert data["embedding"]["instruction_set"].startswith("fp32 with ")
    text = run_cli("status", env={"ASSISTANT_EMBEDDING_MODEL": E5}).stdout
    assert f"llama.cpp's CPU library: {choose().variant} (the best for this CPU" in text


# ---- a crash inside llama.cpp, through the real CLI
def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmdline \
                    and b"resource_tracker" not in cmdline:
                out.append(int(entry.name))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGILL])
def test_a_crash_inside_llama_cpp_is_one_line_and_exit_2(settings_for, samples, sig):
    assert run_cli("index", str(samples), env={"ASSISTANT_EMBEDDING_MODEL": "all-MiniLM-L6-v2"}).returncode == 0
    env = {**os.environ, "ASSISTANT_EMBEDDING_MODEL": "all-MiniLM-L6-v2", "ASSISTANT_LLM_MODEL": SMOLLM,
           "ASSISTANT_N_CTX": "2048", "ASSISTANT_MAX_ANSWER_TOKENS": "400"}
    cli = subprocess.Popen([sys.executable, "-m", "assistant", "ask", "When was the reading room closed?"],
                           cwd=str(ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (kids := _children(cli.pid)) and time.monotonic() < deadline and cli.poll() is None:
        time.sleep(0.02)
    assert kids, "the CLI started no process for the language model"
    os.kill(kids[0], sig)  # what a fault in llama.cpp's native code does to the process
    out, err = cli.communicate(timeout=120)
    assert cli.returncode == 2, err
    lines = [ln for ln in err.splitlines() if not ln.startswith("note:")]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: the language model crashed inside llama.cpp on this CPU ({sig.name} ")
    assert f"llama.cpp's CPU library: {choose().variant}" in lines[0]
    assert "llama_cpu_variant = " in lines[0] and "`assistant status`" in lines[0]


# ---- emulated CPUs
def _python_on(cpu: str, code: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([QEMU or "qemu-x86_64", "-cpu", cpu, sys.executable, "-c", code], capture_output=True,
                          text=True, cwd=str(ROOT), timeout=timeout, env={**os.environ})


@needs_qemu
@X86
@pytest.mark.parametrize("model,level,variant", [("Haswell", "x86-64-v3", "haswell"),
                                                 ("Nehalem", "x86-64-v2", "sse42")])
def test_an_emulated_cpu_is_seen_as_itself(model, level, variant):
    done = _python_on(model, "from assistant.cpu import this_cpu; from assistant.llm.cpu_variant import choose\n"
                             "c = this_cpu(); print(c.level, choose().variant)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [level, variant]


@needs_qemu
@X86
def test_below_the_minimum_the_cli_says_so_in_one_line():
    done = subprocess.run([QEMU or "qemu-x86_64", "-cpu", "Conroe", sys.executable, "-m", "assistant", "status"],
                          capture_output=True, text=True, cwd=str(ROOT), timeout=300)
    lines = [ln for ln in done.stderr.splitlines() if not ln.startswith("qemu-x86_64: warning")]
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith("error: this CPU (") and "below the minimum this program runs on, x86-64-v2" in lines[0]
    assert "sse4_2" in lines[0]


@needs_qemu
@X86
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_llama_cpp_answers_on_an_emulated_nehalem(data_dir):
    """SmolLM2 through llama.cpp's sse42 library on a CPU without AVX: the portable build, end to end."""
    from assistant.models import Registry

    gguf = Registry(data_dir).resolve(SMOLLM, "llm").path
    code = ("from assistant.llm.local import LlamaCppBackend\nfrom assistant.llm import GenerationOptions\n"
            f"b = LlamaCppBackend({gguf!r}, 'smollm', n_ctx=256, n_gpu_layers=0)\n"
            "text = ''.join(b.stream([{'role': 'user', 'content': 'Name a colour.'}], "
            "GenerationOptions(max_tokens=6, temperature=0.0, seed=1)))\n"
            "print(b.cpu_variant, repr(text))")
    done = _python_on("Nehalem", code, timeout=1700)
    assert done.returncode == 0, done.stderr[-2000:]
    variant, text = done.stdout.strip().split(" ", 1)
    assert variant == "sse42" and len(eval(text).strip()) > 0


# ---- the embedder's precision, chosen by the CPU
def test_auto_precision_is_int8_only_where_int8_has_its_instructions(monkeypatch):
    from assistant import onnx_embedding

    for flags, expected in [(HASWELL.flags, "fp32"), (SPR.flags, "int8"),
                            (HASWELL.flags | {"avx_vnni"}, "int8"), (frozenset({"sse4_2"}), "fp32")]:
        monkeypatch.setattr(cpus, "this_cpu", lambda f=flags: CpuInfo("x", frozenset(f), "cpuid"))
        assert onnx_embedding.precision("auto") == expected
        assert onnx_embedding.precision("fp32") == "fp32" and onnx_embedding.precision("int8") == "int8"


def test_with_auto_a_collection_keeps_the_precision_it_was_built_with(settings_for, samples, tmp_path):
    """Built int8 (set by hand); with `auto` on a CPU that would choose otherwise, new files are embedded
    int8 too and no re-index is asked for. Setting fp32 by hand then asks for one."""
    from assistant.engine import build_assistant
    from assistant.onnx_embedding import precision

    a = build_assistant(settings_for(embedding_model=E5, embedding_precision="int8"))
    first = sorted(samples.rglob("*.pdf"))[:2]
    for _ in a.index([str(p) for p in first]):
        pass
    assert a.collections()[0].embed_runtime.startswith("onnx-int8")
    a.close()
    b = build_assistant(settings_for(embedding_model=E5, embedding_precision="auto"))
    assert b.index_notice("default") == ""
    for prog in b.index([str(samples)]):
        pass
    assert prog.count("indexed") == 3 and b.collections()[0].embed_runtime.startswith("onnx-int8")
    assert b.embedder().runtime.startswith(f"onnx-{precision('auto')}")  # a new collection's, on this CPU
    b.close()
    c = build_assistant(settings_for(embedding_model=E5, embedding_precision="fp32"))
    assert "ONNX int8, the settings say ONNX fp32" in c.index_notice("default")
    c.close()
