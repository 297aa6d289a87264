"""The same session with the async client."""

import pytest

from memledger import AsyncMemLedger, ConflictError, NotFoundError, PermissionDeniedError

OWNER = {"kind": "agent", "id": "planner"}


async def test_async_session(url: str, api_key: str, cube_id: str) -> None:
    async with AsyncMemLedger(url, api_key=api_key) as ledger:
        await ledger.cubes.create("Planner", owner=OWNER, cube_id=cube_id)
        added = await ledger.memories.add(cube_id, ["the launch is on Friday"], mode="sync")
        unit = added["memories"][0]

        hits = await ledger.search("launch Friday", [cube_id])
        assert [h["memory"]["memoryId"] for h in hits["results"]] == [unit["memoryId"]]

        edited = await ledger.memories.edit(unit["memoryId"], "the launch moved to Monday", if_match=unit["revision"])
        with pytest.raises(ConflictError):
            await ledger.memories.edit(unit["memoryId"], "the launch is cancelled", if_match=unit["revision"])

        history = await ledger.memories.history(unit["memoryId"])
        assert history[-1]["revision"] == edited["revision"]
        reverted = await ledger.memories.revert(unit["memoryId"], unit["revision"])
        assert reverted["content"]["text"] == "the launch is on Friday"

        with pytest.raises(NotFoundError) as missing:
            await ledger.memories.get("gone-for-good")
        assert missing.value.status == 404 and missing.value.details["memoryId"] == "gone-for-good"


async def test_async_read_only_key_is_refused(url: str, reader_key: str, cube_id: str) -> None:
    async with AsyncMemLedger(url, api_key=reader_key) as reader:
        with pytest.raises(PermissionDeniedError) as refused:
            await reader.cubes.create("Not mine", owner=OWNER, cube_id=cube_id)
    assert refused.value.status == 403
