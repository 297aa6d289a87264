"""Failures of a memledger call, one exception class per kind of HTTP answer.

The server answers every failure as ``{"error": <code>, "message": <text>, ...details}``
(src/server/errorResponses.ts): the code is the typed error's tag
(``MemoryNotFound``, ``RevisionMismatch``, ``Forbidden``...), the message says
what went wrong and, mostly, what to do, and the details name the ids involved
(``memoryId``, ``cubeId``, ``expected``/``actual`` revisions...).
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional


class MemLedgerError(Exception):
    """A non-2xx answer of the server.

    ``status`` is the HTTP status, ``code`` the server's error code (its ``error``
    field), ``message`` its explanation, ``details`` every other field of the
    body (the ids: ``details["memoryId"]``...), and ``hint`` what to do next.
    """

    def __init__(self, status: int, code: str, message: str, *, method: str, path: str, details: Optional[Mapping[str, Any]] = None, retry_after: Optional[float] = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.method = method
        self.path = path
        self.details: Dict[str, Any] = dict(details or {})
        self.retry_after = retry_after
        super().__init__(f"{code} (HTTP {status}) on {method} {path}: {message}")

    @property
    def hint(self) -> str:
        """What to do about it: the server's own advice when it gives one, else the usual remedy for the status."""
        given = self.details.get("hint") or self.details.get("what")
        if isinstance(given, str):
            return given
        return _remedies.get(self.code) or _remedies_by_status.get(self.status, "see the message; the request was not carried out")


class BadRequestError(MemLedgerError):
    """400/413: the request itself is wrong (``details.get("field")`` names the field); fix it, do not retry as is."""


class AuthenticationError(MemLedgerError):
    """401: no API key, or one that is unknown, expired or revoked."""


class PermissionDeniedError(MemLedgerError):
    """403: the principal lacks the permission the message names."""


class NotFoundError(MemLedgerError):
    """404: the memory, cube, job or hold named in ``details`` does not exist in the caller's tenant."""


class ConflictError(MemLedgerError):
    """409/412: the unit moved on (``RevisionMismatch``), a transition is not allowed, a legal hold binds it..."""


class RateLimitedError(MemLedgerError):
    """429 after the client's retries: too many requests; ``retry_after`` says when to come back."""


class ServiceUnavailableError(MemLedgerError):
    """5xx after the client's retries: an engine (log, job bus, model) is down or failing."""


class MemLedgerConnectionError(Exception):
    """The server could not be reached at all (refused, DNS, timeout)."""

    def __init__(self, base_url: str, cause: BaseException) -> None:
        self.base_url = base_url
        super().__init__(f"cannot reach the memledger server at {base_url} ({cause}); check the URL and that the server is running")


_remedies = {
    "RevisionMismatch": "read the memory again (its current revision is in details['actual']) and retry the change against it",
    "PreconditionFailed": "read the memory again and send its current ETag as if_match",
    "LegalHoldActive": "the unit is under a legal hold (details name it); it can change only after the hold is released",
    "ChatModelNotConfigured": "configure a chat model on the server (the message names the environment variables)",
}

_remedies_by_status = {
    400: "fix the request (details['field'] names the field when known)",
    401: "check the API key (MEMLEDGER_API_KEY), or ask an admin for a new one (memledger key issue)",
    403: "ask a tenant admin for a role or a cube grant that allows this",
    404: "check the id; it may belong to another tenant or never have existed",
    409: "read the current state and decide again",
    413: "send fewer or smaller items, or use mode='async'",
    429: "slow down and retry after retry_after seconds",
    503: "retry later; an engine of the server is unavailable",
}

_classes = {400: BadRequestError, 413: BadRequestError, 401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError, 409: ConflictError, 412: ConflictError, 429: RateLimitedError}


def error_for(status: int, body: Any, *, method: str, path: str, text: str, retry_after: Optional[float]) -> MemLedgerError:
    """The exception for a non-2xx answer; a body not in the server's format (a proxy's page) still gives one, coded ``HTTPError``."""
    cls = _classes.get(status) or (ServiceUnavailableError if status >= 500 else MemLedgerError)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        message = body.get("message")
        details = {k: v for k, v in body.items() if k not in ("error", "message")}
        return cls(status, body["error"], message if isinstance(message, str) else f"{body['error']} (HTTP {status})", method=method, path=path, details=details, retry_after=retry_after)
    return cls(status, "HTTPError", f"HTTP {status}" + (f": {text[:200]}" if text else ""), method=method, path=path, retry_after=retry_after)
