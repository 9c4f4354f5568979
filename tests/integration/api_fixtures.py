"""A served API on a database of its own, shared by the tests of a module."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from api import access, tokens
from models import clock
from tests import support

ALL_SCOPES = ",".join(s.value for s in access.Scope)
_client_ids = itertools.count(100)


@dataclass
class Api:
    base_url: str
    engine: sa.Engine
    env: dict[str, str]
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60))
    log_path: Path | None = None  # what the API process wrote (stdout and stderr)

    def token(self, client_id: int, scopes: str = ALL_SCOPES) -> str:
        return tokens.create_token(self.engine, client_id, access.parse_scopes(scopes),
                                   clock.now())

    def call(self, method: str, path: str, token: str | None, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.base_url + path, headers=headers, **kwargs)

    def new_client(self, scopes: str = ALL_SCOPES) -> tuple[int, str]:
        client_id = next(_client_ids)
        return client_id, self.token(client_id, scopes)

    def new_scheduler(self, client_id: int, token: str) -> int:
        response = self.call("POST", f"/client/{client_id}/task_scheduler/", token,
                             json={"name": f"s-{uuid.uuid4().hex[:8]}"})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])


def api_env(database_url: str, redis_db: int, **settings: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGBACK_")}
    env["RINGBACK_DATABASE_URL"] = database_url
    env["RINGBACK_BROKER_URL"] = f"redis://{support.REDIS_HOST_PORT}/{redis_db}"
    env.update({f"RINGBACK_{k.upper()}": str(v) for k, v in settings.items()})
    return env


@pytest.fixture(scope="module")
def served_api(
    pg_template: str, redis_db: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    name = support.clone_database(pg_template)
    url = support.pg_url(name)
    # /metrics opened: schemathesis exercises it with the client's token, not a scraper's.
    env = api_env(url, redis_db, max_tasks_per_request=10_000, api_rate_per_s=1000,
                  api_rate_burst=1000, metrics_open="true")
    workdir: Path = tmp_path_factory.mktemp("api")
    server = support.ApiServer.start(env, workdir)
    with support.engine_for(url) as engine:
        api = Api(server.base_url, engine, env, log_path=workdir / "api.log")
        try:
            yield api
        finally:
            api.http.close()
            server.stop()
    support.drop_database(name)
