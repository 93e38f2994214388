"""Scanned pages read by the real Tesseract: generated scans in four languages indexed through the CLI with
multilingual-e5, English questions finding the scanned page, the cited passage highlighted over the scan,
blank and photo pages reported and never indexed, the cache, cancel and timeouts, and a machine without an
OCR engine. CI installs Tesseract (scripts/setup.sh); without it these tests fail there, not skip."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
import scans
from conftest import E5, SMOLLM, run_cli

from assistant.evidence import span_boxes
from assistant.samples import SAMPLES, write_pdf
from indexers import ocr
from indexers.ocr import Word, needs_ocr
from indexers.pdf import PageDone, ParseResult, parse_files

HAVE_TESSERACT = shutil.which("tesseract") is not None
LANGS = {"fin", "swe", "hun", "ita", "eng"}
needs_tesseract = pytest.mark.skipif(not HAVE_TESSERACT and not os.environ.get("OCR_TESTS_REQUIRED"),
                                     reason="Tesseract is not installed: " + ocr.install_command())

FI, SV, HU, IT = ("fi/kaupunginarkisto_poytakirja_1921.pdf", "sv/biblioteksstyrelsen_protokoll_1998.pdf",
                  "hu/konyvtar_tortenete.pdf", "it/regolamento_sala_lettura.pdf")
# English questions, each answered on one scanned page: (question, file, page in the scan)
QUESTIONS = [
    ("Who was elected director of the city archive in 1921?", FI, 2),
    ("How much will digitising the newspaper collection cost?", SV, 2),
    ("At what temperature and humidity are the old manuscripts kept?", HU, 3),  # p. 2 is a blank page
    ("What may readers write with when they consult the manuscripts?", IT, 3),  # p. 2 is a photo
]


def make_scans(folder: Path) -> Path:
    """The Finnish and Italian samples scanned clean, the Swedish and Hungarian ones noisy (skewed, grain,
    dust, JPEG at quality 40); a blank page after the Hungarian p. 1 and a photo after the Italian p. 1."""
    scans.scan_pages(SAMPLES[FI], folder / "fi_poytakirja_scan.pdf", seed=1)
    scans.scan_pages(SAMPLES[SV], folder / "sv_protokoll_scan.pdf", noise=True, seed=2)
    scans.scan_pages(SAMPLES[HU], folder / "hu_tortenete_scan.pdf", noise=True, seed=3, blank_after=(1,))
    scans.scan_pages(SAMPLES[IT], folder / "it_regolamento_scan.pdf", seed=4, photo_after=(1,))
    return folder


SCAN_NAMES = {FI: "fi_poytakirja_scan.pdf", SV: "sv_protokoll_scan.pdf", HU: "hu_tortenete_scan.pdf",
              IT: "it_regolamento_scan.pdf"}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, model_registry):
    """The four scans indexed through the CLI with e5; (docs folder, env for run_cli, index report)."""
    assert HAVE_TESSERACT, "Tesseract is not installed: " + ocr.install_command()
    root = tmp_path_factory.mktemp("scanned")
    docs = make_scans(root / "docs")
    data = root / "data"
    data.mkdir()
    shutil.copy(model_registry, data / "models.json")
    env = {"ASSISTANT_DATA_DIR": str(data), "ASSISTANT_CONFIG": str(root / "config.toml"),
           "ASSISTANT_EMBEDDING_MODEL": E5, "ASSISTANT_LLM_MODEL": SMOLLM, "ASSISTANT_N_CTX": "2048",
           "ASSISTANT_MAX_ANSWER_TOKENS": "96", "ASSISTANT_TEMPERATURE": "0", "ASSISTANT_PARSE_WORKERS": "2"}
    done = run_cli("index", str(docs), "--json", env=env)
    assert done.returncode == 0, done.stderr
    return docs, env, json.loads(done.stdout), data


@needs_tesseract
def test_tesseract_has_the_five_languages():
    engine, why = ocr.find_engine()
    assert engine is not None, why
    assert LANGS <= set(engine.languages), f"missing {LANGS - set(engine.languages)}: " + \
        ocr.language_install_command(tuple(sorted(LANGS - set(engine.languages))))


@needs_tesseract
def test_scans_in_four_languages_are_read_and_blank_and_photo_pages_reported(scanned):
    _docs, _env, report, _data = scanned
    files = {Path(f["path"]).name: f for f in report["files"]}
    assert {f["status"] for f in files.values()} == {"indexed"}, files
    for sample, name in SCAN_NAMES.items():
        assert files[name]["ocr_pages"] == len(SAMPLES[sample]), files[name]
        assert f"{len(SAMPLES[sample])} page(s) read by OCR" in files[name]["reason"]
    assert "p. 2 blank page" in files["hu_tortenete_scan.pdf"]["reason"]
    assert "1 page(s) not indexed" in files["it_regolamento_scan.pdf"]["reason"]
    assert "p. 2 no text found" in files["it_regolamento_scan.pdf"]["reason"]
    assert files["hu_tortenete_scan.pdf"]["pages"] == 3 and files["it_regolamento_scan.pdf"]["pages"] == 3
    assert report["ocr"]["pages"] == sum(len(SAMPLES[s]) for s in SCAN_NAMES) + 2  # the blank and the photo


@needs_tesseract
def test_english_questions_find_the_scanned_pages_and_ask_answers_from_them(scanned):
    docs, env, _report, _data = scanned
    for question, sample, page in QUESTIONS:
        done = run_cli("search", question, "--json", "-k", "3", env=env)
        assert done.returncode == 0, done.stderr
        top = json.loads(done.stdout)["pages"][0]
        assert (Path(top["file"]).name, top["page"]) == (SCAN_NAMES[sample], page), (question, top)
        blank_or_photo = [p for p in json.loads(done.stdout)["pages"]
                          if Path(p["file"]).name in (SCAN_NAMES[HU], SCAN_NAMES[IT]) and p["page"] == 2]
        assert not blank_or_photo, "a blank or photo page was indexed"
    # `ask` answers from the scanned page. Whether SmolLM2-135M then cites it is not asserted here: on these
    # OCR'd passages it loops ("1000000…", "1921: 1921: …") to the token limit and cites nothing with
    # llama-cpp-python 0.3.36 (it cited on the last question with the build before); citing is tested on
    # text PDFs (test_ask.py), and the highlight of a passage over a scan below
    for question, sample, page in QUESTIONS:
        done = run_cli("ask", question, "--json", env=env)
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        if answer["retrieved"]:  # (a reply of the not-found sentence keeps no passages)
            top = answer["retrieved"][0]
            assert (Path(top["file"]).name, top["page"]) == (SCAN_NAMES[sample], page), (question, top)
        for c in answer["citations"]:
            assert (Path(c["file"]).name, c["page"]) == (SCAN_NAMES[sample], page), answer["citations"]


@needs_tesseract
def test_the_cited_passage_is_highlighted_over_the_scan(scanned, qtbot):
    import numpy as np
    from PySide6.QtCore import QSize
    from PySide6.QtPdf import QPdfDocument

    from assistant.engine import build_assistant
    from assistant.settings import load_settings
    from ui.pdf_viewer import PdfViewer

    docs, env, _report, data = scanned
    engine = build_assistant(load_settings({"data_dir": str(data), "embedding_model": E5, "llm_model": SMOLLM}))
    try:
        viewer = PdfViewer()
        qtbot.addWidget(viewer)
        viewer.resize(720, 900)
        viewer.show()
        viewer.set_scanned_pages(engine.scanned_page)
        for question, sample, page in QUESTIONS:
            hit = engine.search(question, k=3).pages[0]
            path = str(docs / SCAN_NAMES[sample])
            assert viewer.show_source(path, page, hit.passage.chunk.text)
            rects = viewer.highlight_rects()
            assert rects, f"nothing highlighted for {question!r} on {SCAN_NAMES[sample]} p. {page}"
            # the boxes lie over the printed words: inside the page, darker than the page around them
            document = QPdfDocument()
            document.load(path)
            size = document.pagePointSize(page - 1)
            image = document.render(page - 1, QSize(int(size.width()), int(size.height())))
            document.close()
            grey = image.convertToFormat(image.Format.Format_Grayscale8)
            pixels = np.frombuffer(grey.constBits(), dtype=np.uint8).reshape(
                grey.height(), grey.bytesPerLine())[:, :grey.width()]
            inside = np.concatenate([pixels[int(r.top()):int(r.bottom()) + 1, int(r.left()):int(r.right()) + 1].ravel()
                                     for r in rects])
            assert all(0 <= r.left() < r.right() <= size.width() and 0 <= r.top() < r.bottom() <= size.height()
                       for r in rects)
            assert inside.mean() < pixels.mean() - 10, (question, inside.mean(), pixels.mean())
    finally:
        engine.close()


@needs_tesseract
def test_reindexing_takes_the_text_from_the_cache(scanned):
    docs, env, _report, data = scanned
    done = run_cli("index", "--json", env={**env, "ASSISTANT_CHUNK_TOKENS": "96"})  # every file indexed again
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert "indexed again" in report["notice"]
    assert report["ocr"]["pages"] == sum(len(SAMPLES[s]) for s in SCAN_NAMES) + 2
    assert report["ocr"]["seconds"] == 0, "pages read again instead of taken from the cache"
    assert {f["ocr_pages"] for f in report["files"]} == {len(SAMPLES[s]) for s in SCAN_NAMES}
    assert list((data / "ocr").glob("*/*/*/*.json")), "no OCR cache beside the index"
    # the source PDFs are never written
    assert all(p.stat().st_mtime < time.time() for p in docs.iterdir())


@needs_tesseract
def test_ocr_off_for_a_collection_then_on_again(tmp_path, data_dir):
    docs = tmp_path / "docs"
    scans.scan_pages(SAMPLES[IT][:1], docs / "it_scan.pdf", seed=5)
    write_pdf(docs / "text.pdf", SAMPLES["en/harbour_archive_report_1923.pdf"])
    env = {"ASSISTANT_EMBEDDING_MODEL": E5}
    assert run_cli("collection", "ocr", "default", "off", env=env).returncode != 0  # no such collection yet
    first = run_cli("index", str(docs), "--json", "--ocr", "off", env=env)
    assert first.returncode == 0, first.stderr
    scan = next(f for f in json.loads(first.stdout)["files"] if f["path"].endswith("it_scan.pdf"))
    assert scan["status"] == "failed" and "OCR is off" in scan["reason"]
    off = run_cli("collection", "ocr", "default", "off", env=env)
    assert off.returncode == 0 and "OCR off (its own)" in off.stdout, off.stdout + off.stderr
    again = json.loads(run_cli("index", "--json", env=env).stdout)
    assert next(f for f in again["files"] if f["path"].endswith("it_scan.pdf"))["status"] == "unchanged"
    on = run_cli("collection", "ocr", "default", "default", env=env)
    assert "OCR auto (from the `ocr` setting)" in on.stdout, on.stdout
    third = json.loads(run_cli("index", "--json", env=env).stdout)
    assert "1 file(s) with scanned pages are read again by OCR" in third["notice"]
    scan = next(f for f in third["files"] if f["path"].endswith("it_scan.pdf"))
    assert scan["status"] == "indexed" and scan["ocr_pages"] == 1
    assert next(f for f in third["files"] if f["path"].endswith("text.pdf"))["status"] == "unchanged"
    status = run_cli("status", env=env)
    assert "1 page(s) read by OCR" in status.stdout and "OCR: auto, tesseract" in status.stdout, status.stdout
    assert json.loads(run_cli("status", "--json", env=env).stdout)["ocr"]["engine"].startswith("tesseract")


@needs_tesseract
def test_a_file_of_blank_and_photo_pages_fails_with_its_reasons(tmp_path):
    path = scans.write_scan([scans.blank((1240, 1754), random.Random(1)), scans.photo((1240, 1754), random.Random(2))],
                            tmp_path / "nothing.pdf", dpi=150)
    config = ocr.configure("auto", "")
    [result] = [r for r in parse_files([str(path)], workers=1, ocr=config) if isinstance(r, ParseResult)]
    assert result.error.startswith("no readable text: p. 1 blank page; p. 2 "), result.error
    assert not result.pages


@needs_tesseract
def test_cancel_stops_within_a_page_and_kills_the_engine(tmp_path):
    path = scans.scan_pages(SAMPLES[FI] * 2, tmp_path / "long.pdf", seed=6)
    config = ocr.configure("auto", "fin+swe+hun+ita+eng", dpi=600)  # slow pages
    stop = threading.Event()
    events = []
    started = time.monotonic()
    gen = parse_files([str(path)], workers=1, ocr=config, stop=stop)
    threading.Timer(2.0, stop.set).start()
    for item in gen:
        events.append(item)
    elapsed = time.monotonic() - started
    assert elapsed < 4.0, f"stopped {elapsed - 2:.1f} s after the cancel"
    assert not any(isinstance(e, ParseResult) for e in events), "the file was finished, not cancelled"
    time.sleep(0.5)
    states = subprocess.run(["ps", "-o", "stat=", "-C", "tesseract"], capture_output=True, text=True).stdout.split()
    assert all(state.startswith("Z") for state in states), f"Tesseract still runs after the cancel: {states}"


@needs_tesseract
def test_the_time_limit_holds_for_each_page(tmp_path):
    path = scans.scan_pages(SAMPLES[FI], tmp_path / "slow.pdf", seed=7)
    config = ocr.configure("auto", "fin+swe+hun+ita+eng", dpi=600)
    results = list(parse_files([str(path)], workers=1, ocr=config, timeout_s=1.0))
    [result] = [r for r in results if isinstance(r, ParseResult)]
    assert result.error == "timeout: parsing or reading one page by OCR took longer than 1 s", result.error
    # with a limit each page keeps to, the same file is read, and the progress comes page by page
    results = list(parse_files([str(path)], workers=1, ocr=ocr.configure("auto", "fin"), timeout_s=30.0))
    assert [(r.done, r.of) for r in results if isinstance(r, PageDone)] == [(1, 3), (2, 3), (3, 3)]
    assert results[-1].ocr_pages == 3


@needs_tesseract
def test_missing_language_data_is_named_with_its_install_command():
    config = ocr.configure("auto", "fin+xyz")
    assert config.active and config.languages == "fin"
    assert "OCR language data not installed: xyz" in config.problem
    assert "tesseract-ocr-xyz" in config.problem or "brew" in config.problem or "winget" in config.problem


def test_without_an_ocr_engine_scans_are_reported_with_the_install_command(tmp_path, data_dir):
    docs = tmp_path / "docs"
    bin_dir = tmp_path / "bin"  # a PATH where only apt-get is found, not Tesseract
    bin_dir.mkdir()
    if shutil.which("apt-get"):
        os.symlink(shutil.which("apt-get"), bin_dir / "apt-get")
    scans.write_scan([scans.typeset("Protokoll. Styrelsen beslöt att digitalisera samlingen.", 150)],
                     docs / "scan.pdf", dpi=150)
    write_pdf(docs / "text.pdf", ["Text on a page.", "A second page of text."])
    env = {"PATH": str(bin_dir), "ASSISTANT_EMBEDDING_MODEL": E5}
    done = run_cli("index", str(docs), "--json", env=env)
    assert done.returncode == 0, done.stderr
    files = {Path(f["path"]).name: f for f in json.loads(done.stdout)["files"]}
    reason = files["scan.pdf"]["reason"]
    assert files["scan.pdf"]["status"] == "failed"
    assert reason.startswith("image-only (scanned): no extractable text in 1 page(s); no OCR engine (Tesseract) "
                             "is installed; install one: "), reason
    if shutil.which("apt-get"):
        assert reason.endswith("sudo apt-get install tesseract-ocr tesseract-ocr-fin tesseract-ocr-swe "
                               "tesseract-ocr-hun tesseract-ocr-ita tesseract-ocr-eng"), reason
    status = run_cli("status", env=env)
    assert "OCR: auto, not available: no OCR engine (Tesseract) is installed" in status.stdout, status.stdout


def test_which_pages_are_read_by_ocr():
    assert needs_ocr("", False, "auto") and needs_ocr("   \n", True, "auto")
    assert not needs_ocr("A page of ordinary text that is long enough.", False, "auto")
    assert needs_ocr("A page of ordinary text that is long enough.", False, "always")
    assert not needs_ocr("", True, "off")
    assert needs_ocr("Scanned by the archive", True, "auto")  # a stamp over a scan
    assert not needs_ocr("Scanned by the archive", False, "auto")  # a short page of text
    assert needs_ocr("\ue001\ue002\ue003 \ue004\ue005 abc", False, "auto")  # glyphs no font maps
    assert needs_ocr("x" * 200, True, "auto") and not needs_ocr("x" * 200, False, "auto")  # junk over a picture


def test_highlight_boxes_cover_the_span_one_per_line():
    words = [Word(0, 5, (10, 10, 40, 20)), Word(6, 11, (45, 10, 80, 20)), Word(12, 17, (10, 30, 42, 40)),
             Word(18, 22, (46, 31, 70, 41))]
    assert span_boxes(words, 0, 11) == [(10, 10, 80, 20)]
    assert span_boxes(words, 7, 20) == [(45, 10, 80, 20), (10, 30, 70, 41)]
    assert span_boxes(words, 30, 40) == []


def test_a_page_read_is_judged():
    assert ocr.judge("", 0.0, 0.0) == "blank page"
    assert ocr.judge("ab", 90.0, 0.1).startswith("no text found")
    assert ocr.judge("Lorem ipsum dolor sit amet, consectetur", 30.0, 0.1).startswith("no readable text (OCR "
                                                                                       "confidence 30")
    assert ocr.judge("Lorem ipsum dolor sit amet, consectetur", 91.0, 0.1) == ""
    assert ocr.judge("q" * 10 + "wertyuiopasdfghjklzxcvbnmqwertyuiop", 91.0, 0.1).startswith("no readable text")


@needs_tesseract
def test_the_app_shows_ocr_progress_and_turns_ocr_off_per_collection(qtbot, settings_for, tmp_path):
    from ui.controller import Controller
    from ui.main_window import MainWindow

    docs = tmp_path / "docs"
    scans.scan_pages(SAMPLES["en/harbour_archive_report_1923.pdf"], docs / "harbour_scan.pdf", seed=8)
    write_pdf(docs / "text.pdf", SAMPLES["it/regolamento_sala_lettura.pdf"])
    window = MainWindow(Controller(settings_for()))
    qtbot.addWidget(window)
    window.show()
    labels, finals = [], []
    window.controller.index_progress.connect(lambda p: labels.append((p.ocr, window.progress_label.text())))
    window.controller.index_finished.connect(finals.append)
    window.create_collection("scans", [str(docs)])
    qtbot.waitUntil(lambda: bool(finals), timeout=300_000)
    shown = [text for (path, _done, _of), text in labels if path]
    assert shown and all("harbour_scan.pdf: OCR page" in t and "pages/s" in t for t in shown), labels
    assert "3 page(s) read by OCR" in window.statusBar().currentMessage()
    window.set_collection("scans")
    info = window.collection_info.text()
    assert "OCR: on (tesseract" in info and "3 page(s) read by OCR" in info, info
    assert window.ocr_action.isChecked()
    window.ocr_action.trigger()  # off for this collection
    assert window.controller.engine.collection_ocr("scans") == "off"
    assert "OCR: off" in window.collection_info.text() and not window.ocr_action.isChecked()
    window.ocr_action.trigger()  # on again: follows the setting
    assert window.controller.engine.collection_ocr("scans") == ""
    row = next(window.documents.topLevelItem(i) for i in range(window.documents.topLevelItemCount())
               if window.documents.topLevelItem(i).text(0) == "harbour_scan.pdf")
    assert "3 page(s) read by OCR" in row.text(4)
