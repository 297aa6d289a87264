"""Every route the Python client calls, as a ``Call`` (docs/rest-api.md), built once for both clients."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from ._core import Call, RequestOptions, compact, moment, segment
from .types import (
    AddResult,
    Cube,
    CubeOwner,
    ErasureCertificate,
    HistoryEntry,
    Hold,
    Job,
    Memory,
    MemoryDiff,
    Principal,
    ReadRecord,
    ReportPage,
    SearchResponse,
    SubjectExport,
    WaitedJob,
)

Moment = Union[str, datetime]


def _memory(memory_id: str, action: str = "") -> str:
    return f"/memories/{segment(memory_id)}" + (f"/{action}" if action else "")


def _cube(cube_id: str, action: str = "") -> str:
    return f"/cubes/{segment(cube_id)}" + (f"/{action}" if action else "")


def _if_match(revision: Optional[int]) -> Dict[str, str]:
    # An entity tag is quoted (RFC 9110): the server answers a bare number with a 400.
    return {} if revision is None else {"if-match": f'"{revision}"'}


# --- health and the caller


def live() -> Call[Dict[str, Any]]:
    return Call("GET", "/health/live")


def ready(timeout_ms: Optional[int]) -> Call[Dict[str, Any]]:
    return Call("GET", "/health/ready", query=compact({"timeoutMs": timeout_ms}), answer_statuses=frozenset({503}))


def whoami() -> Call[Principal]:
    return Call("GET", "/me")


# --- cubes


def create_cube(name: str, owner: CubeOwner, cube_id: Optional[str], description: Optional[str], options: Optional[RequestOptions]) -> Call[Cube]:
    body = compact({"cubeId": cube_id, "name": name, "owner": {"kind": owner["kind"], "id": owner["id"]}, "description": description})
    return Call("POST", "/cubes", body=body, write=True, options=options)


def get_cube(cube_id: str) -> Call[Cube]:
    return Call("GET", _cube(cube_id))


def list_cubes() -> Call[List[Cube]]:
    return Call("GET", "/cubes", unwrap="cubes")


def cube_memories(cube_id: str, statuses: Optional[Iterable[str]], as_of: Optional[Moment], as_of_position: Optional[int]) -> Call[List[Memory]]:
    query = compact({"status": list(statuses) if statuses is not None else None, "asOf": moment(as_of) if as_of is not None else None, "asOfPosition": as_of_position})
    return Call("GET", _cube(cube_id, "memories"), query=query, unwrap="memories")


# --- memories


def create_memory(cube_id: str, text: str, fields: Mapping[str, Any], options: Optional[RequestOptions]) -> Call[Memory]:
    return Call("POST", "/memories", body={"cubeId": cube_id, "text": text, **compact(fields)}, write=True, options=options)


def add_memories(cube_id: str, memories: Sequence[Union[str, Mapping[str, object]]], mode: Optional[str], options: Optional[RequestOptions]) -> Call[AddResult]:
    items = [{"text": m} if isinstance(m, str) else dict(m) for m in memories]
    return Call("POST", _cube(cube_id, "add"), body=compact({"memories": items, "mode": mode}), write=True, options=options)


def get_memory(memory_id: str, as_of: Optional[Moment], revision: Optional[int], position: Optional[int]) -> Call[Memory]:
    given = [x for x in (as_of, revision, position) if x is not None]
    if len(given) > 1:
        raise ValueError("give at most one of as_of (a time), revision and position")
    query = compact({"asOfTime": moment(as_of) if as_of is not None else None, "asOfRevision": revision, "asOfPosition": position})
    return Call("GET", _memory(memory_id), query=query)


def edit_memory(memory_id: str, content: Mapping[str, Any], attributes: Mapping[str, Any], if_match: Optional[int], options: Optional[RequestOptions]) -> Call[Memory]:
    body = compact({"content": dict(content) or None, "attributes": dict(attributes) or None})
    if not body:
        raise ValueError("an edit needs at least one change: text, a content field or an attribute")
    return Call("PATCH", _memory(memory_id), body=body, headers=_if_match(if_match), write=True, options=options)


def memory_command(memory_id: str, action: str, body: Mapping[str, Any], if_match: Optional[int], options: Optional[RequestOptions]) -> Call[Memory]:
    """activate, archive, restore, merge, freeze, revert, erase: each a POST to /memories/{id}/{action}."""
    return Call("POST", _memory(memory_id, action), body=compact(body), headers=_if_match(if_match), write=True, options=options)


def history(memory_id: str) -> Call[List[HistoryEntry]]:
    return Call("GET", _memory(memory_id, "history"), unwrap="entries")


def diff(memory_id: str, from_revision: int, to_revision: int) -> Call[MemoryDiff]:
    return Call("GET", _memory(memory_id, "diff"), query={"from": from_revision, "to": to_revision})


# --- search, jobs, subjects


def search(query: str, cube_ids: Sequence[str], top_k: Optional[int], mode: Optional[str], as_of: Optional[Moment], extra: Mapping[str, Any]) -> Call[SearchResponse]:
    body = compact({"query": query, "cubeIds": list(cube_ids), "topK": top_k, "mode": mode, "asOf": {"time": moment(as_of)} if as_of is not None else None, **extra})
    return Call("POST", "/search", body=body)


def get_job(job_id: str) -> Call[Job]:
    return Call("GET", f"/jobs/{segment(job_id)}")


def list_jobs(cube_id: Optional[str], status: Optional[str], kind: Optional[str], limit: Optional[int]) -> Call[List[Job]]:
    return Call("GET", "/jobs", query=compact({"cubeId": cube_id, "status": status, "kind": kind, "limit": limit}), unwrap="jobs")


def wait_job(job_id: str, timeout_ms: int) -> Call[WaitedJob]:
    return Call("GET", f"/jobs/{segment(job_id)}/wait", query={"timeoutMs": timeout_ms}, timeout=timeout_ms / 1000 + 10)


def erase_subject(subject_id: str, options: Optional[RequestOptions]) -> Call[ErasureCertificate]:
    return Call("POST", f"/subjects/{segment(subject_id)}/erase", write=True, options=options)


def erasure_certificates(subject_id: str) -> Call[List[ErasureCertificate]]:
    return Call("GET", f"/subjects/{segment(subject_id)}/erasures", unwrap="certificates")


def export_subject(subject_id: str, after: Optional[str], limit: Optional[int]) -> Call[SubjectExport]:
    return Call("GET", f"/subjects/{segment(subject_id)}/export", query=compact({"after": after, "limit": limit}))


# --- legal holds, read audit, reports


def place_hold(kind: str, id: str, reason: str, options: Optional[RequestOptions]) -> Call[Hold]:
    return Call("POST", "/holds", body={"scope": {"kind": kind, "id": id}, "reason": reason}, write=True, options=options)


def release_hold(hold_id: str, reason: str, options: Optional[RequestOptions]) -> Call[Dict[str, Any]]:
    return Call("POST", f"/holds/{segment(hold_id)}/release", body={"reason": reason}, write=True, options=options)


def list_holds(include_released: bool, as_of: Optional[Moment]) -> Call[List[Hold]]:
    return Call("GET", "/holds", query=compact({"includeReleased": True if include_released else None, "asOfTime": moment(as_of) if as_of is not None else None}), unwrap="holds")


def pending_erasures() -> Call[List[Dict[str, Any]]]:
    return Call("GET", "/erasures/pending", unwrap="pending")


def reads(by: str, id: str, since: Optional[Moment], until: Optional[Moment], after: Optional[int], limit: Optional[int]) -> Call[List[ReadRecord]]:
    query = compact({by: id, "from": moment(since) if since is not None else None, "to": moment(until) if until is not None else None, "after": after, "limit": limit})
    return Call("GET", "/audit/reads", query=query, unwrap="reads")


def change_report(filters: Mapping[str, Any]) -> Call[ReportPage]:
    return Call("GET", "/reports/changes", query=compact(dict(filters)))


def lineage_report(memory_id: str, after: Optional[str], limit: Optional[int]) -> Call[ReportPage]:
    return Call("GET", f"/reports/lineage/{segment(memory_id)}", query=compact({"after": after, "limit": limit}))
