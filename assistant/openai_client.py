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


def describe_error(e: Exception) -> str:
    """One line saying what failed and what to do, from the SDK's exception class (not its text)."""
    import openai

    if isinstance(e, openai.APITimeoutError):
        return "timed out waiting for the server; it may be overloaded: try again or raise the read timeout"
    if isinstance(e, openai.APIConnectionError):
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
