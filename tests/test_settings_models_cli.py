"""Settings precedence, model registry errors, and the CLI's messages."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from assistant import keys
from assistant.errors import AssistantError, ConfigError, ModelNotFoundError
from assistant.models import Registry, add, pull
from assistant.settings import config_file, load_settings, save_settings


def test_precedence_flag_over_env_over_file_over_default(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('top_k = 3\ncollection = "from-file"\nn_ctx = 1024\n')
    env = {"ASSISTANT_CONFIG": str(cfg), "ASSISTANT_TOP_K": "4", "ASSISTANT_COLLECTION": "from-env"}
    s = load_settings({"top_k": 6}, env=env)
    assert (s.top_k, s.collection, s.n_ctx, s.temperature) == (6, "from-env", 1024, 0.1)
    assert load_settings({}, env=env).top_k == 4
    assert load_settings({}, env={"ASSISTANT_CONFIG": str(cfg)}).top_k == 3


@pytest.mark.parametrize("content, message", [("top_k = ", "not valid TOML"), ('top_k = "many"', "must be a whole number"),
                                              ("colour = 1", "unknown setting 'colour'"),
                                              ('backend = "cloud"', "one of local, remote"),
                                              ("top_k = 0", "'top_k' .* must be between 1 and 100, got 0"),
                                              ("temperature = -0.5", "between 0.0 and 2.0"),
                                              ('constrained_citations = "ture"', "must be true or false"),
                                              ("chunk_tokens = 64\nchunk_overlap_tokens = 64", "must be smaller than"),
                                              ("n_ctx = 512\nmax_answer_tokens = 512", "must be smaller than n_ctx")])
def test_bad_config_is_named(tmp_path, content, message):
    cfg = tmp_path / "c.toml"
    cfg.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings({}, env={"ASSISTANT_CONFIG": str(cfg)})


@pytest.mark.parametrize("env, message", [
    ({"ASSISTANT_TOP_K": "-3"}, "environment variable ASSISTANT_TOP_K must be between 1 and 100, got '-3'"),
    ({"ASSISTANT_TOPK": "3"}, "unknown environment variable ASSISTANT_TOPK \\(did you mean ASSISTANT_TOP_K\\?\\)"),
    ({"ASSISTANT_REMOTE_MAX_RETRIES": "many"}, "must be a whole number"),
])
def test_environment_variables_are_checked_like_the_file(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({}, env={"ASSISTANT_CONFIG": str(tmp_path / "none.toml"), **env})


def test_a_setting_out_of_range_is_one_line_before_any_work(settings_for):
    out = run_cli("search", "anything", env={"ASSISTANT_TOP_K": "0"})
    assert out.returncode == 2 and out.stderr.strip().splitlines() == [
        "error: setting 'top_k' from environment variable ASSISTANT_TOP_K must be between 1 and 100, got '0'"]


def test_config_show_masks_secrets():
    out = run_cli("config", "show", env={"ASSISTANT_REMOTE_API_KEY": "sk-live-123", "ASSISTANT_TOP_K": "7"})
    assert out.returncode == 0
    assert "sk-live-123" not in out.stdout
    assert "remote_api_key = (set)" in out.stdout and "top_k = 7" in out.stdout


def test_missing_model_says_which_command_fixes_it(data_dir):
    reg = Registry(data_dir)
    with pytest.raises(ModelNotFoundError, match="assistant models pull llama-3.1-8b-instruct-q4_k_m"):
        reg.resolve("llama-3.1-8b-instruct-q4_k_m", "llm")
    with pytest.raises(ModelNotFoundError, match="assistant models add PATH"):
        reg.resolve("some-model", "embedding")


def test_cli_missing_model_is_one_line_without_traceback(samples):
    out = run_cli("index", str(samples), env={"ASSISTANT_EMBEDDING_MODEL": "intfloat/multilingual-e5-large"})
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "assistant models pull intfloat/multilingual-e5-large" in out.stderr


def test_add_registers_and_rejects_non_models(tmp_path, data_dir):
    reg = Registry(data_dir)
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"not a gguf")
    with pytest.raises(ConfigError, match="not a GGUF file"):
        add(reg, str(fake))
    with pytest.raises(ConfigError, match="no such file"):
        add(reg, str(tmp_path / "nothing"))
    entry = reg.entries()["smollm2-135m-instruct-q4_1"]
    again = add(reg, entry.path, "my-model")
    assert reg.resolve("my-model", "llm").path == again.path
    with pytest.raises(ConfigError, match="not a embedding model|is a llm model"):
        reg.resolve("my-model", "embedding")


@pytest.mark.parametrize("name", ["intfloat/multilingual-e5-small", "llama-3.2-3b-instruct-q4_k_m"])
def test_pull_without_a_hub_explains_the_offline_route(data_dir, monkeypatch, name):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with pytest.raises(AssistantError, match="assistant models add PATH"):
        pull(Registry(data_dir), name, hub_url="http://127.0.0.1:9")
    assert not list((data_dir / "models").rglob("*.gguf*"))


def test_pull_downloads_a_gguf_with_progress_and_registers_it(data_dir, hub):
    url, size = hub
    seen = []
    entry = pull(Registry(data_dir), "tiny-test", hub_url=url, progress=lambda d, t: seen.append((d, t)))
    assert Path(entry.path).stat().st_size == size
    assert seen[-1] == (size, size) and len(seen) > 1
    assert Registry(data_dir).resolve("tiny-test", "llm").path == entry.path


def test_pull_refuses_a_file_that_is_not_gguf_and_leaves_nothing(data_dir, hub):
    url, _ = hub
    with pytest.raises(ConfigError, match="not a GGUF"):
        pull(Registry(data_dir), "broken-test", hub_url=url)
    assert not list((data_dir / "models").rglob("*.gguf*"))
    assert "broken-test" not in Registry(data_dir).entries()


def test_cancelled_pull_installs_nothing(data_dir, hub):
    import threading

    url, _ = hub
    cancel = threading.Event()
    with pytest.raises(AssistantError, match="cancelled"):
        pull(Registry(data_dir), "tiny-test", hub_url=url, progress=lambda d, t: cancel.set(), cancel=cancel)
    assert not list((data_dir / "models").rglob("*.gguf*"))


def test_help_is_fast_and_imports_nothing_heavy():
    code = ("import sys; from assistant import cli; cli._parser(); "
            "print(sorted(m for m in ('torch','llama_cpp','chromadb','sentence_transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT))
    assert out.stdout.strip() == "[]"


def test_status_and_collection_commands(samples, data_dir):
    env = {"ASSISTANT_EMBEDDING_MODEL": "all-MiniLM-L6-v2"}
    assert run_cli("index", str(samples), "--collection", "minutes", env=env).returncode == 0
    out = run_cli("status", env=env)
    assert out.returncode == 0, out.stderr
    assert "collection minutes: 5 documents, 12 pages" in out.stdout and "store check: ok" in out.stdout
    assert "GPU offload:" in out.stdout
    files = run_cli("collection", "files", "minutes", env=env)
    assert files.stdout.count("indexed") == 5
    ask = run_cli("ask", "anything", "--collection", "nope", env=env)
    assert ask.returncode == 2 and "collection 'nope' does not exist" in ask.stderr
    bad = run_cli("index", str(samples), "--collection", "bad/name", env=env)
    assert bad.returncode == 2 and "invalid collection name" in bad.stderr
    assert run_cli("collection", "delete", "minutes", env=env).returncode == 0


def test_second_index_process_is_told_who_holds_the_lock(samples, data_dir):
    from assistant.store import WriterLock

    with WriterLock(data_dir):
        out = run_cli("index", str(samples), env={"ASSISTANT_EMBEDDING_MODEL": "all-MiniLM-L6-v2"})
    assert out.returncode == 2 and f"pid {os.getpid()}" in out.stderr and "wait for it" in out.stderr


def test_saved_settings_round_trip_and_keep_other_lines(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('top_k = 3\n')
    env = {"ASSISTANT_CONFIG": str(cfg)}
    path, plain = save_settings({"backend": "remote", "remote_url": "http://gpu:8000/v1",
                                 "remote_model": 'llama "70b"', "temperature": 0.3,
                                 "remote_api_key": "sk-secret"}, env=env)
    s = load_settings(env=env)
    assert (s.top_k, s.backend, s.remote_model, s.temperature) == (3, "remote", 'llama "70b"', 0.3)
    # no keyring on this machine: the key is in the file, which only its owner can read
    assert plain == ["remote_api_key"] and s.remote_api_key == "sk-secret"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(ConfigError, match="'n_ctx'"):
        save_settings({"n_ctx": "lots"}, env=env)


class MemoryKeyring:
    """A real keyring backend (keyring's API) kept in memory, standing in for the OS keyring."""

    def __init__(self):
        import keyring.backend

        class Backend(keyring.backend.KeyringBackend):
            priority = 1
            store: dict = {}

            def get_password(self, service, user):
                return self.store.get((service, user))

            def set_password(self, service, user, password):
                self.store[(service, user)] = password

            def delete_password(self, service, user):
                self.store.pop((service, user), None)

        self.backend = Backend()


def test_api_key_goes_to_the_keyring_not_the_file(tmp_path):
    import keyring

    mem = MemoryKeyring().backend
    old = keyring.get_keyring()
    keyring.set_keyring(mem)
    try:
        env = {"ASSISTANT_CONFIG": str(tmp_path / "c.toml")}
        _, plain = save_settings({"remote_url": "http://gpu:8000/v1", "remote_api_key": "sk-secret"}, env=env)
        assert plain == [] and "sk-secret" not in config_file(env).read_text()
        assert mem.store[(keys.SERVICE, "http://gpu:8000/v1")] == "sk-secret"
        assert load_settings(env=env).remote_api_key == "sk-secret"
        save_settings({"remote_url": "http://gpu2:8000/v1"}, env=env)  # the key moves with the server
        assert load_settings(env=env).remote_api_key == "sk-secret"
        assert list(mem.store) == [(keys.SERVICE, "http://gpu2:8000/v1")]
        save_settings({"remote_api_key": ""}, env=env)  # clearing the key removes it from the keyring
        assert load_settings(env=env).remote_api_key == "" and not mem.store
    finally:
        keyring.set_keyring(old)
