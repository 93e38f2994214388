"""The audit record of an answer: written by `assistant ask --record`, read back and checked by
`assistant show`, on the real pipeline (Chroma, MiniLM, llama.cpp with the packaged SmolLM2)."""

import json
import os

import pytest
from conftest import run_cli

from assistant.audit import HashCache, load_records
from assistant.errors import ConfigError
from indexers.files import file_sha256

ENV = {"ASSISTANT_EMBEDDING_MODEL": "all-MiniLM-L6-v2", "ASSISTANT_LLM_MODEL": "smollm2-135m-instruct-q4_1",
       "ASSISTANT_MAX_ANSWER_TOKENS": "48",
       "ASSISTANT_TEMPERATURE": "0"}


def test_ask_record_then_show_checks_the_sources(settings_for, samples, tmp_path):
    assert run_cli("index", str(samples), env=ENV).returncode == 0
    out = run_cli("ask", "--json", "--record", str(tmp_path / "records"), "When was the reading room closed?",
                  env=ENV)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    path = data["record"]
    assert os.path.dirname(path) == str(tmp_path / "records") and os.listdir(tmp_path / "records") == [
        os.path.basename(path)]  # whole, no temporary file left
    (record,) = load_records(path)
    assert record["question"] == "When was the reading room closed?" and record["answer"] == data["answer"]
    lm = record["language_model"]
    assert lm["backend"] == "local" and lm["model"] == "smollm2-135m-instruct-q4_1"
    assert lm["sha256"] == file_sha256(lm["file"])
    assert record["embedding_model"]["model"] == "all-MiniLM-L6-v2"
    assert len(record["prompt_sha256"]) == 64
    assert [p["file"] for p in record["passages"]] == [r["file"] for r in data["retrieved"]]
    for p in record["passages"]:
        assert p["chunk_id"] and p["text"] and p["file_sha256"] == file_sha256(p["file"])
    assert record["settings"]["max_answer_tokens"] == 48 and record["settings"]["constrained_citations"] is True
    assert "remote_api_key" not in json.dumps(record)
    assert record["sentences"] == data["sentences"] and record["verified"] == data["verified"]
    assert record["timings"]["total_s"] == data["timings"]["total_s"]

    shown = run_cli("show", path)
    assert shown.returncode == 0, shown.stderr
    assert "When was the reading room closed?" in shown.stdout and data["answer"].strip() in shown.stdout
    assert f"sha256 {lm['sha256']}" in shown.stdout and "unchanged:" in shown.stdout

    cited = record["passages"][0]["file"]
    with open(cited, "ab") as fh:
        fh.write(b"\n% changed after the answer\n")
    changed = run_cli("show", "--json", path)
    assert changed.returncode == 1
    now = {c["file"]: c["status"] for c in json.loads(changed.stdout)["files_now"]}
    assert now[cited] == "changed" and set(now.values()) <= {"changed", "unchanged"}
    os.remove(cited)
    missing = run_cli("show", path)
    assert missing.returncode == 1 and "MISSING" in missing.stdout


def test_a_refusal_is_recorded_without_a_prompt(settings_for, samples, tmp_path):
    assert run_cli("index", str(samples), env=ENV).returncode == 0
    out = run_cli("ask", "--record", str(tmp_path / "r"), "What is the boiling point of mercury?",
                  env={**ENV, "ASSISTANT_LLM_MODEL": "no-such-model"})
    assert out.returncode == 0, out.stderr
    assert "record: " in out.stderr
    (record,) = load_records(next((tmp_path / "r").iterdir()))
    assert record["found"] is False and record["refused"]["reason"] and record["prompt_sha256"] is None
    assert record["language_model"]["sha256"] is None  # no such model: named, not hashed


@pytest.mark.parametrize("content, message", [
    ("not json", "not JSON"),
    ('{"question": "q"}', "not an answer record"),
    ('{"kind": "assistant-answer-record", "format": 99}', "newer than this program reads"),
])
def test_show_refuses_what_is_not_a_record_in_one_line(tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    out = run_cli("show", str(bad))
    assert out.returncode == 2 and message in out.stderr and len(out.stderr.strip().splitlines()) == 1
    with pytest.raises(ConfigError, match=message):
        load_records(bad)


def test_record_into_a_folder_that_cannot_be_made_is_one_line(settings_for, samples, tmp_path):
    assert run_cli("index", str(samples), env=ENV).returncode == 0
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    out = run_cli("ask", "--record", str(blocker / "sub"), "What is the boiling point of mercury?", env=ENV)
    assert out.returncode == 2 and "cannot create the record folder" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_a_large_model_is_hashed_once(tmp_path):
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 4096)
    cache = HashCache(tmp_path / "hashes.json")
    first = cache.sha256(str(model))
    assert first == file_sha256(str(model))
    model.write_bytes(b"GGUF" + b"\1" * 4096)  # replaced: size is the same, the time is not
    os.utime(model, ns=(1, 1))
    assert cache.sha256(str(model)) == file_sha256(str(model)) != first
    assert len(json.loads((tmp_path / "hashes.json").read_text())) == 1  # the old entry went
