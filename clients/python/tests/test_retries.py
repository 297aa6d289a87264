"""Retries on 429/503 with Retry-After, against an in-process transport (no server needed for the timing)."""

from typing import List

import httpx
import pytest

from memledger import AsyncMemLedger, MemLedger, RetryPolicy, ServiceUnavailableError


def _flaky(statuses: List[int], seen: List[httpx.Request]) -> httpx.MockTransport:
    """Answers the given statuses in turn (with Retry-After: 0), then 200."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) <= len(statuses):
            return httpx.Response(statuses[len(seen) - 1], headers={"retry-after": "0"}, json={"error": "JobBusUnavailable", "message": "the job bus is down; retry later"})
        return httpx.Response(201, json={"cubeId": "c", "name": "n"})

    return httpx.MockTransport(handle)


def test_a_write_is_retried_on_429_and_503_with_one_idempotency_key() -> None:
    seen: List[httpx.Request] = []
    with MemLedger("http://memledger.test", api_key="k", http_client=httpx.Client(transport=_flaky([429, 503], seen))) as ledger:
        assert ledger.cubes.create("n", owner={"kind": "user", "id": "a"})["cubeId"] == "c"
    assert len(seen) == 3
    keys = {r.headers["idempotency-key"] for r in seen}
    assert len(keys) == 1 and keys != {""}


def test_gives_up_after_the_policy_and_says_why() -> None:
    seen: List[httpx.Request] = []
    transport = _flaky([503, 503, 503], seen)
    with MemLedger("http://memledger.test", api_key="k", retry=RetryPolicy(max_retries=2), http_client=httpx.Client(transport=transport)) as ledger:
        with pytest.raises(ServiceUnavailableError) as down:
            ledger.cubes.list()
    assert len(seen) == 3
    assert down.value.status == 503 and down.value.code == "JobBusUnavailable"
    assert down.value.retry_after == 0


def test_retry_after_is_waited() -> None:
    policy = RetryPolicy(backoff_seconds=0.5, max_delay_seconds=30)
    assert policy.delay(0, 7.0) == 7.0
    assert policy.delay(2, None) == 2.0
    assert policy.delay(0, 999.0) == 30


async def test_the_async_client_retries_too() -> None:
    seen: List[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(429, headers={"retry-after": "0"}, json={"error": "RateLimited", "message": "slow down"})
        return httpx.Response(200, json={"cubes": []})

    async with AsyncMemLedger("http://memledger.test", api_key="k", http_client=httpx.AsyncClient(transport=httpx.MockTransport(handle))) as ledger:
        assert await ledger.cubes.list() == []
    assert len(seen) == 2
    assert seen[0].headers["authorization"] == "Bearer k"


def test_readiness_503_is_an_answer_not_a_retry() -> None:
    seen: List[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503, json={"status": "unavailable", "engines": []})

    with MemLedger("http://memledger.test", api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handle))) as ledger:
        assert ledger.ready()["status"] == "unavailable"
    assert len(seen) == 1


def test_each_write_gets_its_own_key_unless_the_call_gives_one() -> None:
    from memledger import RequestOptions

    seen: List[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"cubeId": "c"})

    client = httpx.Client(transport=httpx.MockTransport(handle))
    with MemLedger("http://memledger.test", api_key="k", options=RequestOptions(reason="import", idempotency_key="ignored"), http_client=client) as ledger:
        ledger.cubes.create("a", owner={"kind": "user", "id": "a"})
        ledger.cubes.create("b", owner={"kind": "user", "id": "a"})
        ledger.cubes.create("c", owner={"kind": "user", "id": "a"}, options=RequestOptions(idempotency_key="mine"))
    keys = [r.headers["idempotency-key"] for r in seen]
    assert len(set(keys[:2])) == 2 and "ignored" not in keys
    assert keys[2] == "mine"
    assert seen[0].headers["x-reason"] == "import"
