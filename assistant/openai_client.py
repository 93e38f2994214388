"""The OpenAI SDK client for remote servers, with explicit timeouts and retries, and its errors in words.

The SDK's defaults (a 600 s timeout, 2 retries) would leave a user staring at nothing for half an hour.
"""

from __future__ import annotations


def make_client(url: str, api_key: str, connect_timeout_s: float, read_timeout_s: float, max_retries: int):
    import httpx
    import openai

    timeout = httpx.Timeout(read_timeout_s, connect=connect_timeout_s)
    # Servers without auth still need a non-empty key for the SDK; it is never printed.
    return openai.OpenAI(base_url=url, api_key=api_key or "no-key", timeout=timeout, max_retries=max_retries)


def _caused_by(e: BaseException, *names: str) -> bool:
    """Whether an exception of one of these class names is in `e`'s chain of causes. By name: the SDK may
    bring its own copy of httpx (seen: `httpx2.ConnectTimeout`), whose classes are not httpx's."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if type(e).__name__ in names:
            return True
        e = e.__cause__ or e.__context__
    return False


def describe_error(e: Exception, *, midway: bool = False, connect_s: float | None = None,
                   read_s: float | None = None) -> str:
    """One line saying what failed and what to do, from the SDK's exception class and its cause (not its
    text). `midway`: the answer had begun to arrive."""
    import openai

    if midway and isinstance(e, openai.APITimeoutError):
        return (f"the answer stalled: nothing came from the server for {_s(read_s)} in the middle of the answer "
                "(remote_read_timeout_s); the server may be overloaded")
    if midway and isinstance(e, openai.APIConnectionError):
        return "the server closed the connection in the middle of the answer (it stopped or was restarted)"
    if isinstance(e, openai.APITimeoutError):
        if _caused_by(e, "ConnectTimeout"):
            return (f"no connection within {_s(connect_s)} (remote_connect_timeout_s); check the URL and the "
                    "network")
        return (f"connected, but no answer came within {_s(read_s)} (remote_read_timeout_s); the server may be "
                "overloaded: try again or raise the read timeout")
    if isinstance(e, openai.APIConnectionError):
        if _caused_by(e, "RemoteProtocolError", "ReadError"):
            return "the server accepted the connection and closed it without answering; see the server's log"
        return "cannot connect (refused or unreachable); check the URL and that the server is running"
    if isinstance(e, openai.AuthenticationError):
        return "authentication failed (401); check the API key (ASSISTANT_REMOTE_API_KEY)"
    if isinstance(e, openai.PermissionDeniedError):
        return "access denied (403); the API key is not allowed to use this model"
    if isinstance(e, openai.NotFoundError):
        return "not found (404); check the model name and that the URL ends with /v1"
    if isinstance(e, openai.RateLimitError):
        return "rate limited (429); the server is busy: try again later"
    if isinstance(e, openai.BadRequestError):
        return f"request rejected (400), often a prompt longer than the model's context: {_message(e)}"
    if isinstance(e, openai.InternalServerError):
        return f"server error ({e.status_code}); see the server's log: {_message(e)}"
    if isinstance(e, openai.APIStatusError):
        return f"server answered HTTP {e.status_code}: {_message(e)}"
    return f"{type(e).__name__}: {' '.join(str(e).split())[:200]}"


def _message(e) -> str:
    body = getattr(e, "body", None)
    msg = None
    if isinstance(body, dict):
        err = body.get("error")
        msg = err.get("message") if isinstance(err, dict) else body.get("message")
    return " ".join(str(msg or e).split())[:200]


def _s(seconds: float | None) -> str:
    return f"{seconds:g} s" if seconds is not None else "the time allowed"
