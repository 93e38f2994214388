"""One error tree. Every message says what went wrong and how to fix it, on one line."""


class AssistantError(Exception):
    """Base of all errors a user can act on; the CLI prints it as one line, the UI as a dialog."""


class ConfigError(AssistantError):
    """A setting has a value that cannot work."""


class ModelNotFoundError(AssistantError):
    """A model is neither a path on disk nor registered; the message names the command that fixes it.

    `kind` is "llm" or "embedding", so a front end can point at its own way to get one."""

    def __init__(self, message: str, kind: str = ""):
        super().__init__(message)
        self.kind = kind


class IndexLockedError(AssistantError):
    """Another process is writing to the same index."""


class EmbeddingMismatchError(AssistantError):
    """A collection was built with another embedding model than the one configured."""


class BackendError(AssistantError):
    """The language model or embedding backend failed (server down, timeout, auth, ...)."""


class ContextTooSmallError(AssistantError):
    """The question (with the minimum context) does not fit into the model's context window."""


class DownloadError(AssistantError):
    """A model download failed or was cancelled; nothing was installed."""


class BusyError(AssistantError):
    """The request would disturb work in progress (indexing, an answer being written)."""


class StoreDamagedError(AssistantError):
    """A collection's vector index is damaged (truncated or missing files); `assistant repair` rebuilds it."""


class StorageError(AssistantError):
    """The data dir cannot be written: its disk is full, or it is read-only."""
