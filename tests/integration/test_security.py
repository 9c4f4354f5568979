"""Tokens that end, /metrics closed by default, guessing slowed per address (issue 12,
defect 8), through a served API of the test's own."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from api import tokens
from api.access import Scope
from models import clock
from tests import support
from tests.integration.api_fixtures import api_env

READ = frozenset({Scope.TASKS_READ})
SCHEDULERS = "/client/{}/task_scheduler/1"


Serve = Callable[..., support.ApiServer]


@pytest.fixture
def serve(database_url: str, redis_db: int, tmp_path: Path) -> Iterator[Serve]:
    """Starts `ringback api` with the given settings; stops every one at the end."""
    servers: list[support.ApiServer] = []

    def start(**settings: object) -> support.ApiServer:
        server = support.ApiServer.start(api_env(database_url, redis_db, **settings),
                                         tmp_path, f"api{len(servers)}")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def status(server: support.ApiServer, token: str, client_id: int = 41) -> int:
    return httpx.get(server.base_url + SCHEDULERS.format(client_id),
                     headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code


def test_a_revoked_or_expired_token_answers_401_at_once(
    serve: Serve, engine: sa.Engine, database_url: str, tmp_path: Path
) -> None:
    server = serve()
    now = clock.now()
    token_id, token = tokens.create_token_with_id(engine, 41, READ, now)
    expired = tokens.create_token(engine, 41, READ, now, expires_at=now - timedelta(seconds=1))
    lasting = tokens.create_token(engine, 41, READ, now, expires_at=now + timedelta(days=1))
    assert status(server, token) == 404  # authenticated: the scheduler does not exist
    assert status(server, lasting) == 404
    assert status(server, expired) == 401
    done = subprocess.run([sys.executable, "-m", "api.cli", "token", "revoke", "--id",
                           str(token_id)], env={"RINGBACK_DATABASE_URL": database_url,
                                                "PATH": "/usr/bin:/bin"},
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert status(server, token) == 401
    assert tokens.revoke_token(engine, clock.now(), token=lasting)
    assert status(server, lasting) == 401
    assert not tokens.revoke_token(engine, clock.now(), token=lasting)  # already revoked
    listed = {row["id"]: row for row in tokens.list_tokens(engine, 41)}
    assert listed[token_id]["revoked_at"] is not None


def test_metrics_are_closed_unless_a_token_is_given_or_they_are_opened(
    serve: Serve,
) -> None:
    closed = serve()
    assert httpx.get(f"{closed.base_url}/metrics", timeout=10).status_code == 401
    opened = serve(metrics_open="true")
    assert httpx.get(f"{opened.base_url}/metrics", timeout=10).status_code == 200
    guarded = serve(metrics_token="s3cret")
    for given, expected in (("Bearer s3cret", 200), ("Bearer s3cre", 401), ("", 401),
                            ("Bearer s3cret0", 401)):
        response = httpx.get(f"{guarded.base_url}/metrics", timeout=10,
                             headers={"Authorization": given} if given else {})
        assert response.status_code == expected, given


def test_an_address_that_keeps_guessing_tokens_is_slowed_down(
    serve: Serve, engine: sa.Engine
) -> None:
    server = serve(api_auth_failure_burst=5,
                                 api_auth_failures_per_s=0.01)
    good = tokens.create_token(engine, 41, READ, clock.now())
    answers = [status(server, f"rbk_guess{i}") for i in range(7)]
    assert answers == [401] * 5 + [429] * 2
    refused = httpx.get(server.base_url + SCHEDULERS.format(41), timeout=10,
                        headers={"Authorization": "Bearer rbk_guess9"})
    assert int(refused.headers["Retry-After"]) >= 1
    assert "failed authentications" in refused.json()["error"]["message"]
    # While the address waits, not even a right token is looked up from it.
    assert status(server, good) == 429
