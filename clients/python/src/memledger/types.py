"""The JSON shapes the REST API takes and answers (docs/rest-api.md), as TypedDicts.

They mirror the server's TypeScript types (src/client/index.ts exports the same
ones for TypeScript). Fields a shape does not always carry are in a
``total=False`` part.
"""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, TypedDict, Union

MemoryStatus = Literal["generated", "activated", "merged", "archived", "frozen", "erased"]
FreezeReason = Literal["legal_hold", "retention", "other"]
TenantRole = Literal["tenant_admin", "writer", "reader", "auditor", "data_protection_officer"]
KeyScope = Literal["read", "write", "admin"]
PrincipalKind = Literal["user", "agent", "admin"]
JobStatus = Literal["waiting", "running", "failed", "done", "dead"]
MetadataValue = Union[str, int, float, bool, None]


class CubeOwner(TypedDict):
    kind: str
    id: str


class _CubeOptional(TypedDict, total=False):
    description: str
    branchedFrom: Dict[str, str]


class Cube(_CubeOptional):
    cubeId: str
    tenantId: str
    name: str
    owner: CubeOwner
    memoryCount: int
    branches: List[str]
    rollbacks: int
    createdAt: str
    createdBy: str
    revision: int


class _ContentOptional(TypedDict, total=False):
    key: str
    userId: str
    agentId: str
    sessionId: str


class MemoryContent(_ContentOptional):
    text: str
    tags: List[str]
    sources: List[Dict[str, Any]]
    metadata: Dict[str, MetadataValue]


class _AttributesOptional(TypedDict, total=False):
    eventTime: str


class MemoryAttributes(_AttributesOptional):
    memoryType: str
    confidence: float
    visibility: str


class _MemoryOptional(TypedDict, total=False):
    successorId: str
    frozen: Dict[str, Any]
    branchedFrom: Dict[str, Any]
    copiedFrom: Dict[str, Any]
    movedTo: Dict[str, Any]
    subjectId: str
    processingFailure: Dict[str, Any]


class Memory(_MemoryOptional):
    memoryId: str
    cubeId: str
    status: MemoryStatus
    revision: int
    version: int
    #: None once the unit's data key was destroyed (erased or crypto-shredded).
    content: Optional[MemoryContent]
    attributes: MemoryAttributes
    createdAt: str
    createdBy: str
    updatedAt: str
    updatedBy: str
    position: int


class NewMemory(TypedDict, total=False):
    """One item of ``memories.add``; only ``text`` is needed."""

    memoryId: str
    text: str
    key: str
    tags: List[str]
    sources: List[Dict[str, Any]]
    userId: str
    agentId: str
    sessionId: str
    metadata: Dict[str, MetadataValue]
    memoryType: str
    confidence: float
    visibility: str
    eventTime: str
    subjectId: str


class _HistoryOptional(TypedDict, total=False):
    changedFields: List[str]
    revertedTo: int
    successorId: str
    onBehalfOf: str
    reason: str
    causationId: str
    commandId: str


class HistoryEntry(_HistoryOptional):
    revision: int
    position: int
    eventId: str
    type: str
    statusAfter: MemoryStatus
    versionAfter: int
    recordedAt: str
    actor: str
    correlationId: str


class MemoryDiff(TypedDict, total=False):
    memoryId: str
    fromRevision: int
    toRevision: int
    fields: List[Dict[str, Any]]
    text: List[Dict[str, Any]]


class SearchHit(TypedDict):
    memory: Memory
    version: int
    score: float
    why: Dict[str, Any]


class _SearchOptional(TypedDict, total=False):
    asOf: Dict[str, Any]
    behind: int
    degraded: List[Dict[str, str]]


class SearchResponse(_SearchOptional):
    mode: str
    results: List[SearchHit]


class _JobOptional(TypedDict, total=False):
    cubeId: str
    idempotencyKey: str
    lastError: str
    result: Any
    finishedAt: str


class Job(_JobOptional):
    jobId: str
    kind: str
    key: str
    payload: Any
    priority: int
    notBefore: str
    status: JobStatus
    attempts: int
    maxAttempts: int
    enqueuedAt: str
    updatedAt: str


class WaitedJob(TypedDict):
    job: Job
    #: False when the timeout passed first; ``job`` is then its latest status.
    finished: bool


class AddResult(TypedDict, total=False):
    """``mode`` "sync": ``memories`` (activated); "async": ``memoryIds`` and the ``job`` that activates them."""

    mode: Literal["sync", "async"]
    memories: List[Memory]
    memoryIds: List[str]
    job: Job


class Principal(TypedDict, total=False):
    principalId: str
    tenantId: str
    kind: PrincipalKind
    displayName: str
    roles: List[TenantRole]
    groups: List[str]
    disabled: bool


class IssuedKey(TypedDict, total=False):
    """The whole key (``token``) is in this answer only; the server keeps its hash."""

    token: str
    keyId: str
    principalId: str
    prefix: str
    scopes: List[KeyScope]
    expiresAt: str


class Hold(TypedDict, total=False):
    holdId: str
    scope: Dict[str, str]
    reason: str
    placedBy: str
    placedAt: str
    releasedAt: str
    releasedBy: str


class ReadRecord(TypedDict, total=False):
    """One read the server recorded (no query text, only its fingerprint)."""

    seq: int
    at: str
    tenantId: str
    principalId: str
    onBehalfOf: str
    action: str
    queryFingerprint: str
    cubeIds: List[str]
    memoryIds: List[str]


#: Erasure certificates, subject exports and report pages are documents with many parts (docs/compliance.md): kept as plain dicts.
ErasureCertificate = Dict[str, Any]
SubjectExport = Dict[str, Any]
ReportPage = Dict[str, Any]
