"""``AsyncMemLedger``: the asyncio client, the same methods as ``MemLedger`` (client.py), awaited; requests are built by the same core."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Dict, Awaitable, Iterable, List, Mapping, Optional, Protocol, Sequence, TypeVar, Union

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
    """Sends a call and awaits its answer, typed by the call's builder."""

    def __call__(self, call: Call[T]) -> Awaitable[T]: ...


class AsyncCubes:
    def __init__(self, run: Run) -> None:
        self._run = run

    async def create(self, name: str, *, owner: CubeOwner, cube_id: Optional[str] = None, description: Optional[str] = None, options: Optional[RequestOptions] = None) -> Cube:
        """A new cube (a container of memories) of the caller's tenant; ``owner`` is ``{"kind": "user"|"agent", "id": ...}``."""
        return await self._run(_calls.create_cube(name, owner, cube_id, description, options))

    async def get(self, cube_id: str) -> Cube:
        return await self._run(_calls.get_cube(cube_id))

    async def list(self) -> List[Cube]:
        """The cubes of the API key's tenant that the principal may read."""
        return await self._run(_calls.list_cubes())

    async def memories(self, cube_id: str, *, statuses: Optional[Iterable[str]] = None, as_of: Optional[Moment] = None, as_of_position: Optional[int] = None) -> List[Memory]:
        """The cube's units, now or as they were at a time (``as_of``) or a log position."""
        return await self._run(_calls.cube_memories(cube_id, statuses, as_of, as_of_position))


class AsyncMemories:
    def __init__(self, run: Run) -> None:
        self._run = run

    async def create(self, cube_id: str, text: str, *, options: Optional[RequestOptions] = None, **fields: Any) -> Memory:
        """One unit, activated; ``fields`` are those of ``NewMemory`` in the server's spelling (``memoryId``, ``tags``, ``userId``...)."""
        return await self._run(_calls.create_memory(cube_id, text, fields, options))

    async def add(self, cube_id: str, memories: Sequence[Union[str, NewMemory]], *, mode: Optional[str] = None, options: Optional[RequestOptions] = None) -> AddResult:
        """MemOS ``add``: several at once, ``mode="sync"`` (activated on return) or ``"async"`` (a job activates them: ``jobs.wait``)."""
        return await self._run(_calls.add_memories(cube_id, memories, mode, options))

    async def get(self, memory_id: str, *, as_of: Optional[Moment] = None, revision: Optional[int] = None, position: Optional[int] = None) -> Memory:
        """The unit now, or as it was at a time (``as_of``), a revision of its own, or a log position."""
        return await self._run(_calls.get_memory(memory_id, as_of, revision, position))

    async def edit(self, memory_id: str, text: Optional[str] = None, *, content: Optional[Mapping[str, Any]] = None, attributes: Optional[Mapping[str, Any]] = None, if_match: Optional[int] = None, options: Optional[RequestOptions] = None) -> Memory:
        """A partial edit. ``if_match`` is the revision the change was decided on: if the unit moved on, ``ConflictError``."""
        changes = {**(content or {}), **({"text": text} if text is not None else {})}
        return await self._run(_calls.edit_memory(memory_id, changes, attributes or {}, if_match, options))

    async def activate(self, memory_id: str, *, if_match: Optional[int] = None, options: Optional[RequestOptions] = None) -> Memory:
        return await self._run(_calls.memory_command(memory_id, "activate", {}, if_match, options))

    async def archive(self, memory_id: str, *, if_match: Optional[int] = None, options: Optional[RequestOptions] = None) -> Memory:
        return await self._run(_calls.memory_command(memory_id, "archive", {}, if_match, options))

    async def restore(self, memory_id: str, *, if_match: Optional[int] = None, options: Optional[RequestOptions] = None) -> Memory:
        return await self._run(_calls.memory_command(memory_id, "restore", {}, if_match, options))

    async def merge(self, memory_id: str, successor_id: str, *, if_match: Optional[int] = None, options: Optional[RequestOptions] = None) -> Memory:
        """Marks the unit merged into ``successor_id`` (which must be activated in the same cube)."""
        return await self._run(_calls.memory_command(memory_id, "merge", {"successorId": successor_id}, if_match, options))

    async def freeze(self, memory_id: str, reason: FreezeReason, note: Optional[str] = None, *, if_match: Optional[int] = None, options: Optional[RequestOptions] = None) -> Memory:
        return await self._run(_calls.memory_command(memory_id, "freeze", {"reason": reason, "note": note}, if_match, options))

    async def erase(self, memory_id: str, *, options: Optional[RequestOptions] = None) -> Memory:
        """Crypto-shreds the unit: its content is gone for good, its history stays (content ``None``)."""
        return await self._run(_calls.memory_command(memory_id, "erase", {}, None, options))

    async def revert(self, memory_id: str, to_revision: int, *, if_match: Optional[int] = None, options: Optional[RequestOptions] = None) -> Memory:
        """A new revision with the content of ``to_revision``; nothing is rewritten."""
        return await self._run(_calls.memory_command(memory_id, "revert", {"toRevision": to_revision}, if_match, options))

    async def history(self, memory_id: str) -> List[HistoryEntry]:
        """Every change of the unit: who, when, why, what changed."""
        return await self._run(_calls.history(memory_id))

    async def diff(self, memory_id: str, from_revision: int, to_revision: int) -> MemoryDiff:
        return await self._run(_calls.diff(memory_id, from_revision, to_revision))


class AsyncJobs:
    def __init__(self, run: Run) -> None:
        self._run = run

    async def get(self, job_id: str) -> Job:
        return await self._run(_calls.get_job(job_id))

    async def list(self, *, cube_id: Optional[str] = None, status: Optional[str] = None, kind: Optional[str] = None, limit: Optional[int] = None) -> List[Job]:
        return await self._run(_calls.list_jobs(cube_id, status, kind, limit))

    async def wait(self, job_id: str, timeout: float = 30.0) -> WaitedJob:
        """Blocks until the job is done or dead, or ``timeout`` seconds pass (then ``finished`` is False)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            # The server blocks at most 120 s per request: longer waits are several.
            waited: WaitedJob = await self._run(_calls.wait_job(job_id, min(remaining_ms, 120_000)))
            if waited["finished"] or remaining_ms <= 120_000:
                return waited


class AsyncSubjects:
    def __init__(self, run: Run) -> None:
        self._run = run

    async def erase(self, subject_id: str, *, options: Optional[RequestOptions] = None) -> ErasureCertificate:
        """Erases every unit of a data subject (GDPR art. 17) and answers the certificate."""
        return await self._run(_calls.erase_subject(subject_id, options))

    async def certificates(self, subject_id: str) -> List[ErasureCertificate]:
        return await self._run(_calls.erasure_certificates(subject_id))

    async def export(self, subject_id: str, *, after: Optional[str] = None, limit: Optional[int] = None) -> SubjectExport:
        """One page of the subject's data (GDPR art. 15, 20): units, versions, reads and changes."""
        return await self._run(_calls.export_subject(subject_id, after, limit))


class AsyncHolds:
    def __init__(self, run: Run) -> None:
        self._run = run

    async def place(self, kind: str, id: str, reason: str, *, options: Optional[RequestOptions] = None) -> Hold:
        """A legal hold on a ``"memory"``, a ``"cube"`` or a ``"subject"``: erasures and changes of what it covers are refused."""
        return await self._run(_calls.place_hold(kind, id, reason, options))

    async def release(self, hold_id: str, reason: str, *, options: Optional[RequestOptions] = None) -> Dict[str, Any]:
        return await self._run(_calls.release_hold(hold_id, reason, options))

    async def list(self, *, include_released: bool = False, as_of: Optional[Moment] = None) -> List[Hold]:
        return await self._run(_calls.list_holds(include_released, as_of))

    async def pending_erasures(self) -> List[Dict[str, Any]]:
        return await self._run(_calls.pending_erasures())


class AsyncAudit:
    def __init__(self, run: Run) -> None:
        self._run = run

    async def who_read(self, memory_id: str, *, since: Optional[Moment] = None, until: Optional[Moment] = None, after: Optional[int] = None, limit: Optional[int] = None) -> List[ReadRecord]:
        return await self._run(_calls.reads("memoryId", memory_id, since, until, after, limit))

    async def reads_by(self, principal_id: str, *, since: Optional[Moment] = None, until: Optional[Moment] = None, after: Optional[int] = None, limit: Optional[int] = None) -> List[ReadRecord]:
        return await self._run(_calls.reads("principalId", principal_id, since, until, after, limit))


class AsyncReports:
    def __init__(self, run: Run) -> None:
        self._run = run

    async def changes(self, **filters: Any) -> ReportPage:
        """The change log (``from``, ``to``, ``actor``, ``cubeId``, ``memoryId``, ``type``, ``after``, ``limit``)."""
        return await self._run(_calls.change_report(filters))

    async def lineage(self, memory_id: str, *, after: Optional[str] = None, limit: Optional[int] = None) -> ReportPage:
        return await self._run(_calls.lineage_report(memory_id, after, limit))


class AsyncMemLedger:
    """A memledger server over REST, as the principal of ``api_key`` sees it.

    >>> async with AsyncMemLedger("http://127.0.0.1:8080", api_key="...") as ledger:
    ...     cube = await ledger.cubes.create("Notes", owner={"kind": "user", "id": "alice"})
    ...     await ledger.memories.add(cube["cubeId"], ["Alice prefers tea"], mode="sync")

    Failures raise ``MemLedgerError`` subclasses (status, code, message, details, hint);
    429 and 503 answers are retried as ``retry`` says, honouring Retry-After.
    """

    def __init__(self, base_url: str, api_key: str, *, on_behalf_of: Optional[str] = None, options: Optional[RequestOptions] = None, retry: Optional[RetryPolicy] = None, timeout: float = 30.0, http_client: Optional[httpx.AsyncClient] = None) -> None:
        self._core = Core(base_url, api_key, on_behalf_of=on_behalf_of, default_options=options, retry=retry)
        self._http = http_client or httpx.AsyncClient(timeout=timeout)
        self._owns_http = http_client is None
        self.cubes = AsyncCubes(self._run)
        self.memories = AsyncMemories(self._run)
        self.jobs = AsyncJobs(self._run)
        self.subjects = AsyncSubjects(self._run)
        self.holds = AsyncHolds(self._run)
        self.audit = AsyncAudit(self._run)
        self.reports = AsyncReports(self._run)

    async def search(self, query: str, cube_ids: Sequence[str], *, top_k: Optional[int] = None, mode: Optional[str] = None, as_of: Optional[Moment] = None, **extra: Any) -> SearchResponse:
        """Hybrid search over cubes, now or as of a time; ``extra`` takes the other fields of the request (``filters``, ``minScore``...)."""
        return await self._run(_calls.search(query, cube_ids, top_k, mode, as_of, extra))

    async def whoami(self) -> Principal:
        return await self._run(_calls.whoami())

    async def live(self) -> Dict[str, Any]:
        return await self._run(_calls.live())

    async def ready(self, timeout_ms: Optional[int] = None) -> Dict[str, Any]:
        """Readiness: every engine probed; ``status`` is ready, degraded or unavailable."""
        return await self._run(_calls.ready(timeout_ms))

    async def close(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> "AsyncMemLedger":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _run(self, call: Call[T]) -> T:
        prepared = self._core.prepare(call)
        attempt = 0
        while True:
            try:
                response = await self._http.request(prepared.method, prepared.url, params=prepared.params, headers=prepared.headers, content=prepared.content, timeout=call.timeout if call.timeout is not None else httpx.USE_CLIENT_DEFAULT)
            except httpx.TransportError as cause:
                raise MemLedgerConnectionError(self._core.base_url, cause) from cause
            delay = self._core.retry_delay(call, response, attempt)
            if delay is None:
                return self._core.answer(call, response)
            await asyncio.sleep(delay)
            attempt += 1
