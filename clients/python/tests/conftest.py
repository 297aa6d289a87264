"""The server under test: test/pythonClient.test.ts starts a real one and sets these variables."""

import os
import uuid

import pytest


def _setting(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: these tests run against a real server (npx vitest run test/pythonClient.test.ts starts one and sets it)")
    return value


@pytest.fixture
def url() -> str:
    return _setting("MEMLEDGER_URL")


@pytest.fixture
def api_key() -> str:
    return _setting("MEMLEDGER_API_KEY")


@pytest.fixture
def reader_key() -> str:
    """A key of a principal with the tenant role reader and the key scope read."""
    return _setting("MEMLEDGER_READER_API_KEY")


@pytest.fixture
def cube_id() -> str:
    """A fresh cube id per test, so tests share the server but not their data."""
    return f"py-{uuid.uuid4().hex[:12]}"
