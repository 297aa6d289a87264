"""``MemLedger``: the synchronous client. ``AsyncMemLedger`` (async_client.py) has the same methods, awaited."""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Protocol, Sequence, TypeVar, Union

import httpx

from . import _calls
from ._calls import Moment
from ._core import Call, Core, RequestOptions, RetryPolicy
from .errors import MemLedgerConnectionError
from .types import (
    AddResult,
    Cube,
    CubeOwner,
    ErasureCertificate,
    FreezeReason,
    HistoryEntry,
    Hold,
    Job,
    Memory,
    MemoryDiff,
    NewMemory,
    Principal,
    ReadRecord,
    ReportPage,
    SearchResponse,
    SubjectExport,
    WaitedJob,
)

T = TypeVar("T")


class Run(Protocol):
    """Sends a call and returns its answer, typed by the call's builder."""

    def __call__(self, call: Call[T]) -> T: ...


class Cubes:
    def __init__(self, run: Run) -> None:
        self._run = run

    def create(self, name: str, *, owner: CubeOwner, cube_id: Optional[str] = None, description: Optional[str] = None, options: Optional[RequestOptions] = None) -> Cube:
        """A new cube (a container of memories) of the caller's tenant; ``owner`` is ``{"kind": "user"|"agent", "id": ...}``."""
        return self._run(_calls.create_cube(name, owner, cube_id, description, options))

    def get(self, cube_id: str) -> Cube:
        return self._run(_calls.get_cube(cube_id))

    def list(self) -> List[Cube]:
        """The cubes of the API key's tenant that the principal may read."""
        return self._run(_calls.list_cubes())

    def memories(self, cube_id: str, *, statuses: Optional[Iterable[str]] = None, as_of: Optional[Moment] = None, as_of_position: Optional[int] = None) -> List[Memory]:
        """The cube's units, now or as they were at a time (``as_of``) or a log position."""
        return self._run(_calls.cube_memories(cube_id, statuses, as_of, as_of_position))


class Memories:
    def __init__(self, run: Run) -> None:
        self._run = run

    def create(self, cube_id: str, text: str, *, options: Optional[RequestOptions] = None, **fields: Any) -> Memory:
        """One unit, activated; ``fields`` are those of ``NewMemory`` in the server's spelling (``memoryId``, ``tags``, ``userId``...)."""
        return self._run(_calls.create_memory(cube_id, text, fields, options))

    def add(self, cube_id: str, memories: Sequence[Union[str, NewMemory]], *, mode: Optional[str] = None, options: Optional[RequestOptions] = None) -> AddResult:
        """MemOS ``add``: several at once, ``mode="sync"`` (activated on return) or ``"async"`` (a job activates them: ``jobs.wait``)."""
        return self._run(_calls.add_memories(cube_id, memories, mode, options))

    def get(self, memory_id: str, *, as_of: Optional[Moment] = None, revision: Optional[int] = None, position: Optional[int] = None) -> Memory:
        """The unit now, or as it was at a time (``as_of``), a revision of its own, or a log position."""
        return self._run(_calls.get_memory(memory_id, as_of, revision, position))

    def edit(self, memory_id: str, text: Optional[str] = None, *, content: Optional[Mapping[str, Any]] = None, attributes: Optional[Mapping[str, Any]] = None, if_match: Optional[int] = None, options: Optional[RequestOptions] = None) -> Memory:
        """A partial edit. ``if_match`` is the revision the change was decided on: if the unit moved on, ``ConflictError``."""
        changes = {**(content or {}), **({"text": text} if text is not None else {})}
        return self._run(_calls.edit_memory(memory_id, changes, attributes or {}, if_match, options))

    def activate(self, memory_id: str, *, if_match: Optional[int] = None, options: Optional[RequestOptions] = None) -> Memory:
        return self._run(_calls.memory_command(memory_id, "activate", {}, if_match, options))

    def archive(self, memory_id: str, *, if_match: Optional[int] = None, options: Optional[RequestOptions] = None) -> Memory:
        return self._run(_calls.memory_command(memory_id, "archive", {}, if_match, options))

    def restore(self, memory_id: str, *, if_match: Optional[int] = None, options: Optional[RequestOptions] = None) -> Memory:
        return self._run(_calls.memory_command(memory_id, "restore", {}, if_match, options))

    def merge(self, memory_id: str, successor_id: str, *, if_match: Optional[int] = None, options: Optional[RequestOptions] = None) -> Memory:
        """Marks the unit merged into ``successor_id`` (which must be activated in the same cube)."""
        return self._run(_calls.memory_command(memory_id, "merge", {"successorId": successor_id}, if_match, options))

    def freeze(self, memory_id: str, reason: FreezeReason, note: Optional[str] = None, *, if_match: Optional[int] = None, options: Optional[RequestOptions] = None) -> Memory:
        return self._run(_calls.memory_command(memory_id, "freeze", {"reason": reason, "note": note}, if_match, options))

    def erase(self, memory_id: str, *, options: Optional[RequestOptions] = None) -> Memory:
        """Crypto-shreds the unit: its content is gone for good, its history stays (content ``None``)."""
        return self._run(_calls.memory_command(memory_id, "erase", {}, None, options))

    def revert(self, memory_id: str, to_revision: int, *, if_match: Optional[int] = None, options: Optional[RequestOptions] = None) -> Memory:
        """A new revision with the content of ``to_revision``; nothing is rewritten."""
        return self._run(_calls.memory_command(memory_id, "revert", {"toRevision": to_revision}, if_match, options))

    def history(self, memory_id: str) -> List[HistoryEntry]:
        """Every change of the unit: who, when, why, what changed."""
        return self._run(_calls.history(memory_id))

    def diff(self, memory_id: str, from_revision: int, to_revision: int) -> MemoryDiff:
        return self._run(_calls.diff(memory_id, from_revision, to_revision))


class Jobs:
    def __init__(self, run: Run) -> None:
        self._run = run

    def get(self, job_id: str) -> Job:
        return self._run(_calls.get_job(job_id))

    def list(self, *, cube_id: Optional[str] = None, status: Optional[str] = None, kind: Optional[str] = None, limit: Optional[int] = None) -> List[Job]:
        return self._run(_calls.list_jobs(cube_id, status, kind, limit))

    def wait(self, job_id: str, timeout: float = 30.0) -> WaitedJob:
        """Blocks until the job is done or dead, or ``timeout`` seconds pass (then ``finished`` is False)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            # The server blocks at most 120 s per request: longer waits are several.
            waited: WaitedJob = self._run(_calls.wait_job(job_id, min(remaining_ms, 120_000)))
            if waited["finished"] or remaining_ms <= 120_000:
                return waited


class Subjects:
    def __init__(self, run: Run) -> None:
        self._run = run

    def erase(self, subject_id: str, *, options: Optional[RequestOptions] = None) -> ErasureCertificate:
        """Erases every unit of a data subject (GDPR art. 17) and answers the certificate."""
        return self._run(_calls.erase_subject(subject_id, options))

    def certificates(self, subject_id: str) -> List[ErasureCertificate]:
        return self._run(_calls.erasure_certificates(subject_id))

    def export(self, subject_id: str, *, after: Optional[str] = None, limit: Optional[int] = None) -> SubjectExport:
        """One page of the subject's data (GDPR art. 15, 20): units, versions, reads and changes."""
        return self._run(_calls.export_subject(subject_id, after, limit))


class Holds:
    def __init__(self, run: Run) -> None:
        self._run = run

    def place(self, kind: str, id: str, reason: str, *, options: Optional[RequestOptions] = None) -> Hold:
        """A legal hold on a ``"memory"``, a ``"cube"`` or a ``"subject"``: erasures and changes of what it covers are refused."""
        return self._run(_calls.place_hold(kind, id, reason, options))

    def release(self, hold_id: str, reason: str, *, options: Optional[RequestOptions] = None) -> Dict[str, Any]:
        return self._run(_calls.release_hold(hold_id, reason, options))

    def list(self, *, include_released: bool = False, as_of: Optional[Moment] = None) -> List[Hold]:
        return self._run(_calls.list_holds(include_released, as_of))

    def pending_erasures(self) -> List[Dict[str, Any]]:
        return self._run(_calls.pending_erasures())


class Audit:
    def __init__(self, run: Run) -> None:
        self._run = run

    def who_read(self, memory_id: str, *, since: Optional[Moment] = None, until: Optional[Moment] = None, after: Optional[int] = None, limit: Optional[int] = None) -> List[ReadRecord]:
        return self._run(_calls.reads("memoryId", memory_id, since, until, after, limit))

    def reads_by(self, principal_id: str, *, since: Optional[Moment] = None, until: Optional[Moment] = None, after: Optional[int] = None, limit: Optional[int] = None) -> List[ReadRecord]:
        return self._run(_calls.reads("principalId", principal_id, since, until, after, limit))


class Reports:
    def __init__(self, run: Run) -> None:
        self._run = run

    def changes(self, **filters: Any) -> ReportPage:
        """The change log (``from``, ``to``, ``actor``, ``cubeId``, ``memoryId``, ``type``, ``after``, ``limit``)."""
        return self._run(_calls.change_report(filters))

    def lineage(self, memory_id: str, *, after: Optional[str] = None, limit: Optional[int] = None) -> ReportPage:
        return self._run(_calls.lineage_report(memory_id, after, limit))


class MemLedger:
    """A memledger server over REST, as the principal of ``api_key`` sees it.

    >>> with MemLedger("http://127.0.0.1:8080", api_key="...") as ledger:
    ...     cube = ledger.cubes.create("Notes", owner={"kind": "user", "id": "alice"})
    ...     ledger.memories.add(cube["cubeId"], ["Alice prefers tea"], mode="sync")

    Failures raise ``MemLedgerError`` subclasses (status, code, message, details, hint);
    429 and 503 answers are retried as ``retry`` says, honouring Retry-After.
    """

    def __init__(self, base_url: str, api_key: str, *, on_behalf_of: Optional[str] = None, options: Optional[RequestOptions] = None, retry: Optional[RetryPolicy] = None, timeout: float = 30.0, http_client: Optional[httpx.Client] = None) -> None:
        self._core = Core(base_url, api_key, on_behalf_of=on_behalf_of, default_options=options, retry=retry)
        self._http = http_client or httpx.Client(timeout=timeout)
        self._owns_http = http_client is None
        self.cubes = Cubes(self._run)
        self.memories = Memories(self._run)
        self.jobs = Jobs(self._run)
        self.subjects = Subjects(self._run)
        self.holds = Holds(self._run)
        self.audit = Audit(self._run)
        self.reports = Reports(self._run)

    def search(self, query: str, cube_ids: Sequence[str], *, top_k: Optional[int] = None, mode: Optional[str] = None, as_of: Optional[Moment] = None, **extra: Any) -> SearchResponse:
        """Hybrid search over cubes, now or as of a time; ``extra`` takes the other fields of the request (``filters``, ``minScore``...)."""
        return self._run(_calls.search(query, cube_ids, top_k, mode, as_of, extra))

    def whoami(self) -> Principal:
        return self._run(_calls.whoami())

    def live(self) -> Dict[str, Any]:
        return self._run(_calls.live())

    def ready(self, timeout_ms: Optional[int] = None) -> Dict[str, Any]:
        """Readiness: every engine probed; ``status`` is ready, degraded or unavailable."""
        return self._run(_calls.ready(timeout_ms))

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> "MemLedger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, call: Call[T]) -> T:
        prepared = self._core.prepare(call)
        attempt = 0
        while True:
            try:
                response = self._http.request(prepared.method, prepared.url, params=prepared.params, headers=prepared.headers, content=prepared.content, timeout=call.timeout if call.timeout is not None else httpx.USE_CLIENT_DEFAULT)
            except httpx.TransportError as cause:
                raise MemLedgerConnectionError(self._core.base_url, cause) from cause
            delay = self._core.retry_delay(call, response, attempt)
            if delay is None:
                return self._core.answer(call, response)
            time.sleep(delay)
            attempt += 1
