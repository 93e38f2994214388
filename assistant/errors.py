"""One error tree. Every message says what went wrong and how to fix it, on one line."""


class AssistantError(Exception):
    """Base of all errors a user can act on; the CLI prints it as one line, the UI as a dialog."""


class ConfigError(AssistantError):
    """A setting has a value that cannot work."""


class ModelNotFoundError(AssistantError):
    """A model is neither a path on disk nor registered; the message names the command that fixes it."""


class IndexLockedError(AssistantError):
    """Another process is writing to the same index."""


class EmbeddingMismatchError(AssistantError):
    """A collection was built with another embedding model than the one configured."""


class BackendError(AssistantError):
    """The language model or embedding backend failed (server down, timeout, auth, ...)."""


class ContextTooSmallError(AssistantError):
    """The question (with the minimum context) does not fit into the model's context window."""
