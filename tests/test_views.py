"""Page and document-opening vectors beside the chunks (index format 2): stored with their file, used to
rank passages, and older collections told to re-index instead of silently searched without them."""

import re

from conftest import MINILM, run_cli

from assistant.engine import build_assistant
from assistant.retrieval import view_bonus
from assistant.store import chroma_name, chroma_views_name
from assistant.types import Chunk, Hit


def hit(file: str, page: int, score: float) -> Hit:
    return Hit(Chunk(id=f"{file}-{page}-{score}", file=file, page=page, char_start=0, char_end=1, text="x"), score)


def test_a_passage_ranks_with_its_page_and_its_documents_opening():
    a, b = hit("a.pdf", 1, 0.80), hit("b.pdf", 3, 0.82)
    bonus = view_bonus([a, b], {("a.pdf", 1): 0.90, ("b.pdf", 3): 0.70}, {"a.pdf": 0.88, "b.pdf": 0.75}, 0.5, 0.5)
    assert a.score + bonus[0] > b.score + bonus[1]  # a's page and opening agree, b's passage alone scores higher
    # what is not stored (a page of junk text) neither helps nor hurts: the passage's own score stands in
    assert view_bonus([a], {}, {}, 0.5, 0.5) == [0.80]


def test_chroma_names_for_any_collection_name():
    assert chroma_name("eval.v1") == "col-eval.v1"  # names Chroma took before keep their store
    for name in ("x" * 63, "ends-with-dash-", "a"):
        for made in (chroma_name(name), chroma_views_name(name)):
            assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,61}[a-zA-Z0-9]", made), made
    assert chroma_name("x" * 63) != chroma_name("x" * 62 + "y")


def test_views_follow_their_file(settings_for, samples):
    a = build_assistant(settings_for())
    list(a.index([str(samples)]))
    store = a.store("default")
    files = a.files("default")
    pages = sum(r.pages - r.empty_pages for r in files.values())
    assert store.views.count() == pages + len(files)
    question = a.embedder().embed_query("When was the reading room closed?")
    en = next(p for p in files if p.endswith("harbour_archive_report_1923.pdf"))
    by_page, by_file = store.view_scores(question, [(en, 1), (en, 2), (en, 99)])
    assert set(by_page) == {(en, 1), (en, 2)} and set(by_file) == {en}
    assert all(-1 <= s <= 1 for s in [*by_page.values(), *by_file.values()])
    (samples / "en/harbour_archive_report_1923.pdf").unlink()
    list(a.index([]))
    assert store.view_scores(question, [(en, 1)]) == ({}, {})
    a.close()


def test_an_older_index_says_re_index_needed_then_is_indexed_again(settings_for, samples):
    a = build_assistant(settings_for())
    list(a.index([str(samples)]))
    assert a.collection_status("default").reindex == "" and a.search("reading room").notice == ""
    # what an index made before page and document vectors looks like: format 1, no views
    a._ledger.set_layout("default", "128/32", 1)
    store = a.store("default")
    store.views.delete(ids=store.views.get(include=[])["ids"])
    status = a.collection_status("default")
    assert "re-index needed" in status.reindex and "assistant index --collection default" in status.reindex
    result = a.search("When was the reading room closed?")
    assert "re-index needed" in result.notice and result.pages  # still searchable, chunk vectors only
    a.close()
    env = {"ASSISTANT_EMBEDDING_MODEL": MINILM}
    out = run_cli("status", env=env)
    assert out.returncode == 0 and "page and document vectors" in out.stdout and "re-index needed" in out.stdout
    out = run_cli("search", "When was the reading room closed?", env=env)
    assert out.returncode == 0 and "re-index needed" in out.stderr and "harbour_archive_report_1923" in out.stdout
    b = build_assistant(settings_for())
    last = list(b.index([]))[-1]
    assert last.count("indexed") == 5 and "page and document vectors" in last.notice
    assert b.collection_status("default").reindex == "" and b.store("default").views.count() > 0
    assert list(b.index([]))[-1].count("unchanged") == 5
    b.close()
