"""A scripted session with the sync client against a real server."""

import time
from datetime import datetime, timezone

import pytest

from memledger import (
    AuthenticationError,
    ConflictError,
    MemLedger,
    MemLedgerConnectionError,
    NotFoundError,
    PermissionDeniedError,
    RequestOptions,
)

OWNER = {"kind": "user", "id": "alice"}


def test_session_add_search_edit_history_revert(url: str, api_key: str, cube_id: str) -> None:
    with MemLedger(url, api_key=api_key) as ledger:
        cube = ledger.cubes.create("Alice's notes", owner=OWNER, cube_id=cube_id)
        assert cube["cubeId"] == cube_id
        assert cube_id in [c["cubeId"] for c in ledger.cubes.list()]

        added = ledger.memories.add(cube_id, ["Alice prefers green tea", {"text": "Alice lives in Lyon", "tags": ["place"]}], mode="sync")
        assert added["mode"] == "sync"
        tea, lyon = added["memories"]
        assert tea["status"] == "activated" and tea["revision"] >= 1
        assert lyon["content"]["tags"] == ["place"]

        hits = ledger.search("green tea", [cube_id], top_k=5)
        assert hits["results"], hits
        assert hits["results"][0]["memory"]["memoryId"] == tea["memoryId"]

        before_edit = datetime.now(timezone.utc)
        time.sleep(0.01)
        edited = ledger.memories.edit(tea["memoryId"], "Alice prefers black tea", if_match=tea["revision"], options=RequestOptions(reason="she said so"))
        assert edited["content"]["text"] == "Alice prefers black tea"
        assert edited["revision"] == tea["revision"] + 1

        # The same edit decided on the old revision is refused: the unit moved on.
        with pytest.raises(ConflictError) as stale:
            ledger.memories.edit(tea["memoryId"], "Alice prefers coffee", if_match=tea["revision"])
        # If-Match naming a revision that is no longer current: 412, with the current revision to decide again on.
        assert stale.value.status == 412
        assert stale.value.code == "PreconditionFailed"
        assert stale.value.details["actual"] == edited["revision"]
        assert stale.value.details["memoryId"] == tea["memoryId"]
        assert "read the memory again" in stale.value.hint

        history = ledger.memories.history(tea["memoryId"])
        assert [e["revision"] for e in history] == sorted(e["revision"] for e in history)
        assert history[-1]["reason"] == "she said so"
        assert ledger.memories.get(tea["memoryId"], revision=tea["revision"])["content"]["text"] == "Alice prefers green tea"
        assert ledger.memories.get(tea["memoryId"], as_of=before_edit)["content"]["text"] == "Alice prefers green tea"
        assert ledger.memories.diff(tea["memoryId"], tea["revision"], edited["revision"])

        reverted = ledger.memories.revert(tea["memoryId"], tea["revision"], if_match=edited["revision"])
        assert reverted["content"]["text"] == "Alice prefers green tea"
        assert reverted["revision"] == edited["revision"] + 1
        assert ledger.memories.history(tea["memoryId"])[-1]["revertedTo"] == tea["revision"]

        archived = ledger.memories.archive(lyon["memoryId"])
        assert archived["status"] == "archived"
        assert ledger.memories.restore(lyon["memoryId"])["status"] == "activated"
        assert {m["memoryId"] for m in ledger.cubes.memories(cube_id)} == {tea["memoryId"], lyon["memoryId"]}
        assert ledger.whoami()["principalId"]


def test_missing_memory_raises_not_found_with_its_id(url: str, api_key: str) -> None:
    with MemLedger(url, api_key=api_key) as ledger:
        with pytest.raises(NotFoundError) as missing:
            ledger.memories.get("no-such-memory")
    error = missing.value
    assert error.status == 404
    assert error.code == "MemoryNotFound"
    assert error.details["memoryId"] == "no-such-memory"
    assert "no-such-memory" in str(error)
    assert error.hint


def test_read_only_key_reads_but_cannot_write(url: str, api_key: str, reader_key: str, cube_id: str) -> None:
    with MemLedger(url, api_key=api_key) as admin:
        admin.cubes.create("Shared", owner=OWNER, cube_id=cube_id)
        unit = admin.memories.create(cube_id, "readers may see this")
    with MemLedger(url, api_key=reader_key) as reader:
        assert reader.memories.get(unit["memoryId"])["content"]["text"] == "readers may see this"
        with pytest.raises(PermissionDeniedError) as refused:
            reader.memories.create(cube_id, "but not write")
        assert refused.value.status == 403
        assert refused.value.code == "Forbidden"
        assert refused.value.hint
    with MemLedger(url, api_key=api_key) as admin:
        # The reader's read is in the read audit.
        assert any(r.get("memoryIds") and unit["memoryId"] in r["memoryIds"] for r in admin.audit.who_read(unit["memoryId"]))


def test_async_add_runs_as_a_job(url: str, api_key: str, cube_id: str) -> None:
    with MemLedger(url, api_key=api_key) as ledger:
        ledger.cubes.create("Jobs", owner=OWNER, cube_id=cube_id)
        result = ledger.memories.add(cube_id, ["processed later"], mode="async")
        assert result["mode"] == "async"
        waited = ledger.jobs.wait(result["job"]["jobId"], timeout=30)
        assert waited["finished"] is True
        assert waited["job"]["status"] == "done"
        assert ledger.memories.get(result["memoryIds"][0])["status"] == "activated"
        assert ledger.jobs.get(result["job"]["jobId"])["status"] == "done"


def test_legal_hold_refuses_an_erasure_until_released(url: str, api_key: str, cube_id: str) -> None:
    with MemLedger(url, api_key=api_key) as ledger:
        ledger.cubes.create("Held", owner=OWNER, cube_id=cube_id)
        unit = ledger.memories.create(cube_id, "evidence", subjectId=f"{cube_id}-subject")
        hold = ledger.holds.place("memory", unit["memoryId"], "case 42")
        assert hold["holdId"] in [h["holdId"] for h in ledger.holds.list()]
        with pytest.raises(ConflictError) as held:
            ledger.memories.erase(unit["memoryId"])
        assert held.value.code == "LegalHoldActive"
        ledger.holds.release(hold["holdId"], "case closed")
        assert hold["holdId"] not in [h["holdId"] for h in ledger.holds.list()]


def test_subject_export_and_erasure(url: str, api_key: str, cube_id: str) -> None:
    subject = f"{cube_id}-bob"
    with MemLedger(url, api_key=api_key) as ledger:
        ledger.cubes.create("Bob", owner=OWNER, cube_id=cube_id)
        unit = ledger.memories.create(cube_id, "Bob's phone is new", userId=subject)
        exported = ledger.subjects.export(subject)
        assert unit["memoryId"] in str(exported)
        certificate = ledger.subjects.erase(subject)
        assert certificate["subjectId"] == subject
        assert ledger.memories.get(unit["memoryId"])["content"] is None
        assert ledger.subjects.certificates(subject)


def test_wrong_api_key_is_unauthenticated(url: str) -> None:
    with MemLedger(url, api_key="not-a-key") as ledger:
        with pytest.raises(AuthenticationError) as refused:
            ledger.cubes.list()
    assert refused.value.status == 401


def test_unreachable_server_says_so() -> None:
    with MemLedger("http://127.0.0.1:9", api_key="k") as ledger:
        with pytest.raises(MemLedgerConnectionError, match="cannot reach the memledger server"):
            ledger.live()


def test_lifecycle_reports_and_operations(url: str, api_key: str, cube_id: str) -> None:
    with MemLedger(url, api_key=api_key) as ledger:
        assert ledger.live()["status"] == "ok"
        assert ledger.ready()["status"] in ("ready", "degraded")
        ledger.cubes.create("Lifecycle", owner=OWNER, cube_id=cube_id, description="merge, freeze, erase")
        assert ledger.cubes.get(cube_id)["description"] == "merge, freeze, erase"
        old = ledger.memories.create(cube_id, "Carol works at Acme")
        new = ledger.memories.create(cube_id, "Carol works at Acme as an engineer")
        merged = ledger.memories.merge(old["memoryId"], new["memoryId"])
        assert merged["status"] == "merged" and merged["successorId"] == new["memoryId"]
        frozen = ledger.memories.freeze(new["memoryId"], "other", "audit in progress")
        assert frozen["status"] == "frozen"
        doomed = ledger.memories.create(cube_id, "a secret to forget")
        assert ledger.memories.erase(doomed["memoryId"])["content"] is None

        # Reports are served from the compliance read model, which may be a moment behind the log.
        deadline = time.monotonic() + 10
        while not ledger.reports.changes(cubeId=cube_id, type="MemoryMerged")["rows"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ledger.reports.changes(cubeId=cube_id, type="MemoryMerged")["rows"]
        assert ledger.reports.lineage(old["memoryId"])["rows"]
        assert ledger.cubes.memories(cube_id, statuses=["frozen"])[0]["memoryId"] == new["memoryId"]
        assert isinstance(ledger.jobs.list(limit=5), list)
        assert isinstance(ledger.holds.pending_erasures(), list)
        me = ledger.whoami()["principalId"]
        ledger.memories.get(new["memoryId"])
        assert any(new["memoryId"] in r.get("memoryIds", []) for r in ledger.audit.reads_by(me, limit=1000))
