"""memledger: Python client of the memledger memory engine (sync ``MemLedger``, async ``AsyncMemLedger``)."""

from ._core import RequestOptions, RetryPolicy
from .async_client import AsyncMemLedger
from .client import MemLedger
from .errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    MemLedgerConnectionError,
    MemLedgerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServiceUnavailableError,
)

__version__ = "0.1.0"

__all__ = [
    "AsyncMemLedger",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "MemLedger",
    "MemLedgerConnectionError",
    "MemLedgerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RequestOptions",
    "RetryPolicy",
    "ServiceUnavailableError",
]
