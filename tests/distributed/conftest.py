"""A real redis-server on loopback (a free port, a temp dir), shared by the module's tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crawler.distributed.redis_server import RedisServer


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis(redis_server: RedisServer) -> Iterator[Any]:
    import redis as redis_py

    client = redis_py.Redis.from_url(redis_server.url)
    client.flushdb()
    yield client
    client.close()
