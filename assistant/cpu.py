"""What this CPU can run: its instruction-set extensions as the running process sees them, and the minimum.

Native parts (llama.cpp, ONNX Runtime, Chroma, Qt) die with SIGILL on an instruction the CPU lacks, so
the program asks the CPU itself (the CPUID instruction, and XGETBV for the register state the operating
system enabled: a VM can report AVX and still not let a program use it) before it loads any of them.
CPUID runs from a few bytes of machine code mapped executable through ctypes, with no compiler needed;
where that is not allowed (a hardened kernel) or not x86-64, the kernel's /proc/cpuinfo flags stand in.
An emulated CPU (`qemu-x86_64 -cpu Haswell`) answers CPUID as that CPU, and so is seen as it.
"""

from __future__ import annotations

import ctypes
import functools
import mmap
import platform
from dataclasses import dataclass

# push rbx; mov eax,edi; mov ecx,esi; mov r8,rdx; cpuid; mov [r8],eax; mov [r8+4],ebx; mov [r8+8],ecx;
# mov [r8+12],edx; pop rbx; ret   --  void cpuid(uint32 leaf, uint32 subleaf, uint32 out[4])
_CPUID = bytes.fromhex("53 89f8 89f1 4989d0 0fa2 418900 41895804 41894808 4189500c 5b c3")
# mov ecx,edi; xgetbv; shl rdx,32; or rax,rdx; ret   --  uint64 xgetbv(uint32 register)
_XGETBV = bytes.fromhex("89f9 0f01d0 48c1e220 4809d0 c3")

# (name, leaf, subleaf, register 0-3 = eax ebx ecx edx, bit): the extensions native code here chooses by
_BITS = [
    ("sse3", 1, 0, 2, 0), ("ssse3", 1, 0, 2, 9), ("fma", 1, 0, 2, 12), ("cx16", 1, 0, 2, 13),
    ("sse4_1", 1, 0, 2, 19), ("sse4_2", 1, 0, 2, 20), ("popcnt", 1, 0, 2, 23), ("osxsave", 1, 0, 2, 27),
    ("avx", 1, 0, 2, 28), ("f16c", 1, 0, 2, 29), ("sse2", 1, 0, 3, 26),
    ("bmi1", 7, 0, 1, 3), ("avx2", 7, 0, 1, 5), ("bmi2", 7, 0, 1, 8), ("avx512f", 7, 0, 1, 16),
    ("avx512dq", 7, 0, 1, 17), ("avx512bw", 7, 0, 1, 30), ("avx512vl", 7, 0, 1, 31),
    ("avx512_vbmi", 7, 0, 2, 1), ("avx512_vnni", 7, 0, 2, 11), ("amx_bf16", 7, 0, 3, 22),
    ("amx_tile", 7, 0, 3, 24), ("amx_int8", 7, 0, 3, 25), ("avx_vnni", 7, 1, 0, 4),
    ("avx512_bf16", 7, 1, 0, 5), ("lzcnt", 0x80000001, 0, 2, 5), ("movbe", 1, 0, 2, 22),
]
# what needs which register state enabled by the OS (XCR0 bits): SSE 1, AVX 2, AVX-512 0xe0, AMX 0x60000
_STATE = {"avx": 0x6, "fma": 0x6, "f16c": 0x6, "avx2": 0x6, "avx_vnni": 0x6, "avx512f": 0xe6,
          "avx512dq": 0xe6, "avx512bw": 0xe6, "avx512vl": 0xe6, "avx512_vbmi": 0xe6, "avx512_vnni": 0xe6,
          "avx512_bf16": 0xe6, "amx_tile": 0x60000, "amx_int8": 0x60000, "amx_bf16": 0x60000}

# x86-64 micro-architecture levels (the psABI's), each with what it adds
LEVELS = [
    ("x86-64-v2", {"cx16", "popcnt", "sse3", "sse4_1", "sse4_2", "ssse3"}),
    ("x86-64-v3", {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "lzcnt", "movbe"}),
    ("x86-64-v4", {"avx512f", "avx512bw", "avx512dq", "avx512vl"}),
]
# The least this program runs on: every native part it loads was run on an emulated CPU of this level
# (packaging/cpu_matrix.py); below it, something fails with SIGILL.
MINIMUM = "x86-64-v2"
MINIMUM_WORDS = "x86-64-v2 (SSE4.2 and POPCNT: Intel Nehalem, AMD Bulldozer, or newer)"


@dataclass(frozen=True)
class CpuInfo:
    name: str  # the brand string, e.g. "Intel(R) Xeon(R) Platinum 8480+"
    flags: frozenset[str]  # the extensions above that this process may use
    source: str  # "cpuid" or "/proc/cpuinfo"

    @property
    def level(self) -> str:
        """The highest x86-64 level whose every extension is here ("x86-64" for the baseline)."""
        level = "x86-64"
        for name, needs in LEVELS:
            if not needs <= self.flags:
                break
            level = name
        return level

    @property
    def simd(self) -> str:
        """The widest vector instructions here, in words: what a CPU-dispatching library will use."""
        f = self.flags
        for name, needs in [("AMX", {"amx_tile", "amx_int8"}), ("AVX-512 VNNI", {"avx512f", "avx512_vnni"}),
                            ("AVX-512", {"avx512f", "avx512bw"}), ("AVX-VNNI", {"avx2", "avx_vnni"}),
                            ("AVX2", {"avx2", "fma"}), ("AVX", {"avx"}), ("SSE4.2", {"sse4_2"})]:
            if needs <= f:
                return name
        return "SSE2"

    def meets_minimum(self) -> bool:
        order = ["x86-64"] + [name for name, _ in LEVELS]
        return order.index(self.level) >= order.index(MINIMUM)


def _machine_code(code: bytes, restype, *argtypes):
    """A ctypes function over `code` in an executable page; the page lives as long as the function."""
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(code)
    address = ctypes.addressof(ctypes.c_char.from_buffer(page))
    fn = ctypes.CFUNCTYPE(restype, *argtypes)(address)
    fn._page = page  # keep the mapping alive
    return fn


def _from_cpuid() -> CpuInfo:
    cpuid = _machine_code(_CPUID, None, ctypes.c_uint32, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32))

    def regs(leaf: int, sub: int = 0) -> tuple[int, int, int, int]:
        out = (ctypes.c_uint32 * 4)()
        cpuid(leaf, sub, out)
        return tuple(out)  # type: ignore[return-value]

    top, top_ext = regs(0)[0], regs(0x80000000)[0]
    flags = set()
    for name, leaf, sub, reg, bit in _BITS:
        if leaf > (top_ext if leaf >= 0x80000000 else top) or (leaf == 7 and sub > regs(7)[0]):
            continue
        if regs(leaf, sub)[reg] >> bit & 1:
            flags.add(name)
    enabled = 0
    if "osxsave" in flags:  # XGETBV faults unless the OS turned XSAVE on
        enabled = _machine_code(_XGETBV, ctypes.c_uint64, ctypes.c_uint32)(0)
    flags = {f for f in flags if _STATE.get(f, 0) & enabled == _STATE.get(f, 0)}
    name = ""
    if top_ext >= 0x80000004:
        raw = b"".join(r.to_bytes(4, "little") for leaf in (0x80000002, 0x80000003, 0x80000004)
                       for r in regs(leaf))
        name = raw.split(b"\0")[0].decode("ascii", "replace").strip()
    return CpuInfo(name or platform.processor() or "unknown CPU", frozenset(flags), "cpuid")


def _from_proc() -> CpuInfo:
    name, flags = platform.processor() or platform.machine() or "unknown CPU", set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name":
                    name = value.strip()
                elif key == "flags":
                    flags = set(value.split())
                    flags |= {"sse3"} if "pni" in flags else set()
                    flags |= {"lzcnt"} if "abm" in flags else set()
                    break
    except OSError:
        pass
    known = {b[0] for b in _BITS}
    return CpuInfo(name, frozenset(flags & known), "/proc/cpuinfo")


@functools.cache
def this_cpu() -> CpuInfo:
    """This CPU as the process sees it (cached: it does not change while the program runs)."""
    if platform.machine().lower() in ("x86_64", "amd64"):
        try:
            return _from_cpuid()
        except (OSError, ValueError, AttributeError):  # no executable mapping allowed here
            pass
        return _from_proc()
    return CpuInfo(platform.processor() or platform.machine() or "unknown CPU", frozenset(), "none")


def below_minimum() -> str | None:
    """One line for a CPU this program cannot run on (None when it can, or when it is not x86-64)."""
    cpu = this_cpu()
    if cpu.source == "none" or cpu.meets_minimum():
        return None
    missing = sorted(dict(LEVELS)[MINIMUM] - cpu.flags)
    return (f"this CPU ({cpu.name}) is below the minimum this program runs on, {MINIMUM_WORDS}: it lacks "
            f"{', '.join(missing)}; run it on a newer machine")
