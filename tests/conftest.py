"""Fixtures. Integration tests use the real PostgreSQL and Redis on 127.0.0.1: a missing
server fails the test, it never skips it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa

from tests import support


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = support.create_template_database()
    yield name
    support.drop_database(name)


@pytest.fixture
def database_url(pg_template: str) -> Iterator[str]:
    name = support.clone_database(pg_template)
    yield support.pg_url(name)
    support.drop_database(name)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    with support.engine_for(database_url) as engine:
        yield engine


@pytest.fixture(scope="session")
def redis_db() -> int:
    # A database number of its own for this run, emptied before each stack starts;
    # RINGBACK_TEST_REDIS_DB pins it when several runs share the machine.
    pinned = os.environ.get("RINGBACK_TEST_REDIS_DB")
    return int(pinned) if pinned else 1 + os.getpid() % 15


@pytest.fixture
def broker_url(redis_db: int) -> str:
    client = redis.Redis.from_url(f"redis://{support.REDIS_HOST_PORT}/{redis_db}")
    client.flushdb()
    client.close()
    return f"redis://{support.REDIS_HOST_PORT}/{redis_db}"


StackFactory = Callable[..., support.Stack]


@pytest.fixture
def stack_factory(
    database_url: str, broker_url: str, tmp_path: Path
) -> Iterator[StackFactory]:
    """Builds a Stack whose processes see the test's database, broker, scenario and dial log;
    stops every process it started when the test ends."""
    stacks: list[support.Stack] = []

    def build(scenario: dict[str, Any] | None = None, **settings: Any) -> support.Stack:
        env = support.stack_env(database_url, broker_url, tmp_path, scenario, **settings)
        stack = support.Stack(env=env, workdir=tmp_path)
        stacks.append(stack)
        return stack

    yield build
    for stack in stacks:
        stack.stop_all()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[support.OwnRedis]:
    """A redis-server of the test's own, which it may kill and restart."""
    server = support.OwnRedis(support.free_port(), tmp_path)
    server.start()
    yield server
    server.kill()
