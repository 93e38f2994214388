"""The app and the CPU: Settings shows this CPU and picks llama.cpp's CPU library; a CPU below the minimum
stops the app before Qt loads; a crash inside llama.cpp reaches the error bar in the engine's words."""

from __future__ import annotations

import os
import subprocess
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from conftest import ROOT  # noqa: E402

from assistant.engine import Assistant  # noqa: E402
from assistant.errors import BackendError  # noqa: E402
from assistant.settings import config_file, load_settings  # noqa: E402
from ui.controller import Controller  # noqa: E402
from ui.jobs import Job  # noqa: E402
from ui.settings_dialog import SettingsDialog  # noqa: E402


def open_dialog(qtbot, controller: Controller) -> SettingsDialog:
    dialog = SettingsDialog(controller, "")
    qtbot.addWidget(dialog)
    return dialog


def items(dialog: SettingsDialog) -> list[str]:
    return [dialog.cpu_variant.itemData(i) for i in range(dialog.cpu_variant.count())]


def test_settings_show_this_cpu_and_the_installed_libraries(qtbot):
    controller = Controller(load_settings())
    try:
        status = controller.cpu_status()
        installed = status["llama_cpu_variant"]["installed"]
        dialog = open_dialog(qtbot, controller)
        assert items(dialog) == ["auto", *installed]
        assert dialog.cpu_variant.itemText(0) == f"Automatic ({status['llama_cpu_variant']['variant']})"
        assert dialog.cpu_variant.isEnabled() == bool(installed)  # built-in CPU code: nothing to choose
        assert dialog.cpu_info.text() == f"{status['name']}, {status['level']}, {status['simd']}"
        assert "llama_cpu_variant" not in dialog.changes()
    finally:
        controller.close()


def status_for(engine: Assistant) -> dict:
    """What Assistant.cpu_status says on an AVX2 CPU with four of llama.cpp's CPU libraries installed."""
    setting = engine.settings.llama_cpu_variant
    if setting == "zen4":
        library = {"variant": None, "error": "llama_cpu_variant = zen4 needs avx512f, which this CPU (Test CPU) "
                                             "lacks; choose auto or one of x64, sse42, haswell"}
    else:
        variant = "haswell" if setting == "auto" else setting
        library = {"variant": variant, "why": "", "path": f"/x/libggml-cpu-{variant}.so",
                   "installed": ["x64", "sse42", "haswell", "zen4"]}
    return {"name": "Test CPU", "level": "x86-64-v3", "simd": "AVX2", "flags": ["avx2"], "read_by": "cpuid",
            "minimum": "x86-64-v2", "llama_cpu_variant": library}


def test_a_chosen_library_is_saved_and_the_engine_rebuilt(qtbot, monkeypatch):
    monkeypatch.setattr(Assistant, "cpu_status", status_for)
    controller = Controller(load_settings())
    first = controller.engine
    try:
        dialog = open_dialog(qtbot, controller)
        assert items(dialog) == ["auto", "x64", "sse42", "haswell", "zen4"] and dialog.cpu_variant.isEnabled()
        assert dialog.cpu_variant.itemText(0) == "Automatic (haswell)"
        assert dialog.cpu_info.text() == "Test CPU, x86-64-v3, AVX2"
        dialog.cpu_variant.setCurrentIndex(dialog.cpu_variant.findData("sse42"))
        assert dialog.changes() == {"llama_cpu_variant": "sse42"}
        dialog.save_button.click()
        assert dialog.result() == SettingsDialog.DialogCode.Accepted, dialog.message.text()
        assert controller.settings.llama_cpu_variant == "sse42"
        assert 'llama_cpu_variant = "sse42"' in config_file().read_text()  # the file the CLI reads too
        assert controller.engine is not first  # a new model process loads the chosen library

        again = open_dialog(qtbot, controller)
        assert again.cpu_variant.currentData() == "sse42" and again.cpu_variant.itemText(0) == "Automatic"
        # one this CPU cannot run: saved, but the dialog stays open with the engine's reason
        again.cpu_variant.setCurrentIndex(again.cpu_variant.findData("zen4"))
        assert not again.save()
        assert "zen4 needs avx512f" in again.message.text()
        again.cpu_variant.setCurrentIndex(0)
        assert again.save() and controller.settings.llama_cpu_variant == "auto"
    finally:
        controller.close()

    stuck = Controller(load_settings({"llama_cpu_variant": "zen4"}))  # set so before: a way back to auto
    try:
        dialog = open_dialog(qtbot, stuck)
        assert items(dialog) == ["auto", "zen4"] and dialog.cpu_variant.isEnabled()
        assert dialog.cpu_variant.currentData() == "zen4" and "zen4 needs avx512f" in dialog.message.text()
    finally:
        stuck.close()


def test_a_crash_inside_llama_cpp_reaches_the_error_bar_as_the_engine_says_it(qtbot):
    message = ("the language model crashed inside llama.cpp on this CPU (SIGILL while loading tiny; CPU: "
               "Test CPU, llama.cpp's CPU library: zen4); set llama_cpu_variant = haswell "
               "(ASSISTANT_LLAMA_CPU_VARIANT=haswell, or in the app's Settings) to use a plainer CPU library, "
               "or use a remote server; `assistant status` shows both")

    def work(_cancel):
        raise BackendError(message)
        yield

    job = Job(work)  # its `failed` text is what the controller sends to the window's error bar
    with qtbot.waitSignal(job.failed, timeout=10_000) as failed:
        job.start()
    assert failed.args == [message]


def test_a_cpu_below_the_minimum_stops_the_app_before_qt_loads():
    line = "this CPU (Old CPU) is below the minimum this program runs on, x86-64-v2: it lacks popcnt, sse4_2"
    code = ("import sys, assistant.cpu as cpu\n"
            f"cpu.below_minimum = lambda: {line!r}\n"
            "from ui.app import main\n"
            "rc = main([])\n"
            "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt was loaded'\n"
            "sys.exit(rc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=str(ROOT))
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip() == f"error: {line}"
