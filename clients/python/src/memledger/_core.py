"""What the sync and the async client share: how a call becomes an HTTP request,
how an answer becomes a result or an exception, and when to retry.

Only the sending differs between ``MemLedger`` and ``AsyncMemLedger``; every
route's path, query, body and headers are built here (see ``_calls.py``), once.
"""

from __future__ import annotations

import email.utils
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, FrozenSet, Generic, Mapping, Optional, Tuple, TypeVar, Union, cast
from urllib.parse import quote

import httpx

from .errors import MemLedgerError, error_for

T = TypeVar("T")

#: Statuses that say "not now" rather than "no": the request was not carried out, so sending it again is safe.
RETRIABLE_STATUSES: FrozenSet[int] = frozenset({429, 503})


@dataclass(frozen=True)
class RequestOptions:
    """What a caller may add to one request: why (``reason``, recorded on the events), how it relates to others
    (``correlation_id``), and its ``idempotency_key`` (by default the client makes one per write, reused by its retries)."""

    reason: Optional[str] = None
    correlation_id: Optional[str] = None
    idempotency_key: Optional[str] = None


@dataclass(frozen=True)
class RetryPolicy:
    """Retries on 429 and 503, waiting what the server's Retry-After says (capped), else an exponential backoff."""

    max_retries: int = 3
    backoff_seconds: float = 0.5
    max_delay_seconds: float = 30.0

    def delay(self, attempt: int, retry_after: Optional[float]) -> float:
        wait = retry_after if retry_after is not None else self.backoff_seconds * (2**attempt)
        return max(0.0, min(wait, self.max_delay_seconds))


@dataclass(frozen=True)
class Call(Generic[T]):
    """One REST call: the route, what to send, and how to read the answer (a ``T``: the builder in _calls.py says which)."""

    method: str
    path: str
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: The answer's field to return (``{"cubes": [...]}`` -> the list); None returns the whole body.
    unwrap: Optional[str] = None
    #: A write: it gets an Idempotency-Key, so its retries cannot apply it twice.
    write: bool = False
    #: Non-2xx statuses whose body is still the answer (readiness answers 503 with its report).
    answer_statuses: FrozenSet[int] = frozenset()
    options: Optional[RequestOptions] = None
    transform: Optional[Callable[[Any], Any]] = None
    #: Seconds to wait for the answer when the route blocks on purpose (a job wait); None keeps the client's timeout.
    timeout: Optional[float] = None


def segment(value: str) -> str:
    """A path segment: an id may hold any character, so each is escaped whole."""
    return quote(str(value), safe="")


def moment(value: Union[str, datetime]) -> str:
    """An ISO-8601 time; a naive datetime is taken as UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat().replace("+00:00", "Z")
    return value


def compact(mapping: Mapping[str, Any]) -> Dict[str, Any]:
    """The entries that are set: an absent option is not sent, so the server's default applies."""
    return {k: v for k, v in mapping.items() if v is not None}


@dataclass(frozen=True)
class Prepared:
    method: str
    url: str
    params: Dict[str, str]
    headers: Dict[str, str]
    content: Optional[bytes]


class Core:
    """The connection settings and the request/answer rules both clients use."""

    def __init__(self, base_url: str, api_key: str, *, on_behalf_of: Optional[str] = None, default_options: Optional[RequestOptions] = None, retry: Optional[RetryPolicy] = None, user_agent: str = "memledger-python/0.1.0") -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError("an api_key is needed: every route but /health needs Authorization: Bearer <key> (the first admin key is in <dataDir>/admin.key)")
        self.base_url = base_url.rstrip("/")
        self._headers = {"authorization": f"Bearer {api_key.strip()}", "accept": "application/json", "user-agent": user_agent}
        if on_behalf_of is not None:
            self._headers["x-on-behalf-of"] = on_behalf_of
        self.default_options = default_options or RequestOptions()
        self.retry = retry or RetryPolicy()

    def prepare(self, call: Call[Any]) -> Prepared:
        """The request; a write's idempotency key is fixed here, once, so every retry carries the same one."""
        options = call.options or self.default_options
        headers = dict(self._headers)
        headers.update(call.headers)
        if options.reason is not None:
            headers["x-reason"] = options.reason
        if options.correlation_id is not None:
            headers["x-correlation-id"] = options.correlation_id
        # A key names one command: one given in the client's default options would make every write after the first a replay of it.
        given = call.options.idempotency_key if call.options is not None else None
        key = given or (str(uuid.uuid4()) if call.write else None)
        if key is not None:
            headers["idempotency-key"] = key
        content: Optional[bytes] = None
        if call.method in ("POST", "PUT", "PATCH"):
            headers["content-type"] = "application/json"
            content = json.dumps(call.body if call.body is not None else {}).encode("utf-8")
        params = {k: _query_value(v) for k, v in call.query.items() if v is not None}
        return Prepared(call.method, self.base_url + call.path, params, headers, content)

    def retry_delay(self, call: Call[Any], response: httpx.Response, attempt: int) -> Optional[float]:
        """Seconds to wait before sending again, or None when this answer is final (a 503 that is the answer, as readiness's, is final)."""
        if response.status_code not in RETRIABLE_STATUSES or response.status_code in call.answer_statuses or attempt >= self.retry.max_retries:
            return None
        return self.retry.delay(attempt, retry_after_seconds(response))

    def answer(self, call: Call[T], response: httpx.Response) -> T:
        """The result of a call, or the exception its failure is."""
        text = response.text
        body = _json_or_none(text)
        if response.is_success or response.status_code in call.answer_statuses:
            if call.unwrap is not None and isinstance(body, dict):
                body = body.get(call.unwrap)
            # The shape is the server's (its response schemas); it is not validated again here.
            return cast(T, call.transform(body) if call.transform is not None else body)
        raise error_for(response.status_code, body, method=call.method, path=call.path, text=text, retry_after=retry_after_seconds(response))


def retry_after_seconds(response: httpx.Response) -> Optional[float]:
    """Retry-After as seconds: a number of seconds or an HTTP date (RFC 9110 §10.2.3)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return moment(value)
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _json_or_none(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


__all__: Tuple[str, ...] = ("Call", "Core", "RequestOptions", "RetryPolicy", "MemLedgerError", "segment", "moment", "compact")
