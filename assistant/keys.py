"""API keys in the operating system's keyring (Keychain, Credential Manager, Secret Service), by server URL.

Optional: without the `keyring` package or a working keyring, `get` finds nothing and `put` says no, and
the caller keeps the key in the (owner-only) config file instead.
"""

from __future__ import annotations

SERVICE = "archive-assistant"


def _keyring():
    try:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
    except Exception:
        return None
    inner = getattr(backend, "backends", None)  # the chainer: usable when it chains something real
    if isinstance(backend, (fail.Keyring, null.Keyring)) or (inner is not None and not inner):
        return None
    return keyring


def available() -> bool:
    return _keyring() is not None


def get(url: str) -> str:
    kr = _keyring()
    if kr is None or not url:
        return ""
    try:
        return kr.get_password(SERVICE, url) or ""
    except Exception:
        return ""


def put(url: str, secret: str) -> bool:
    """Store (or with an empty secret, delete) the key for `url`; False when no keyring can hold it."""
    kr = _keyring()
    if kr is None:
        return False
    try:
        if secret:
            kr.set_password(SERVICE, url, secret)
        elif kr.get_password(SERVICE, url) is not None:
            kr.delete_password(SERVICE, url)
        return True
    except Exception:
        return False
