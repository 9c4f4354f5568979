"""A worker, a beat and a served API on the test's database, and an HTTP helper for them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from api import tokens
from api.access import Scope
from models import clock
from models.storage.tables import tasks
from tests import support
from tests.conftest import StackFactory
from tests.integration.test_core_flow import B_NUMBER, CLIENT_ID, new_scheduler

VENDOR_ACCEPT = "application/vnd.newvoicemedia.v1+json"
# The HTTP status of each "suspend a call batch" result code (the body carries the code).
STATUS_OF_CODE = {"0200000": 200, "0200001": 400, "02000001": 400, "0200007": 404,
                  "03000004": 404, "03000002": 409, "03000006": 409}


@dataclass
class Ops:
    stack: support.Stack
    engine: sa.Engine
    http: httpx.Client
    scheduler_id: int

    def add_job(self, task_list: list[dict[str, Any]], **headers: str) -> tuple[int, list[int]]:
        response = self.http.post(
            f"/client/{CLIENT_ID}/task_scheduler/{self.scheduler_id}/tasks/",
            json={"tasks": task_list}, headers=headers)
        assert response.status_code == 201, response.text
        body = response.json()
        return int(body["job_id"]), [t["id"] for t in body["tasks"]]

    def act(self, job_id: int, action: str) -> httpx.Response:
        return self.http.post(f"/interactions/jobs/{job_id}/{action}",
                              headers={"Accept": VENDOR_ACCEPT})

    def job(self, job_id: int) -> dict[str, Any]:
        response = self.http.get(f"/jobs/{job_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def statuses(self, task_ids: list[int]) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(tasks.c.status, sa.func.count())
                                .where(tasks.c.id.in_(task_ids))
                                .group_by(tasks.c.status)).all()
        return {str(s): int(n) for s, n in rows}

    def wait_statuses(self, task_ids: list[int], expected: dict[str, int],
                      timeout_s: float = 30) -> None:
        self.stack.wait_for(lambda: self.statuses(task_ids) == expected, timeout_s,
                            f"tasks to be {expected}")

    def dials(self) -> list[dict[str, Any]]:
        return support.read_dial_log(self.stack.workdir / "dial.log")


def numbers(prefix: str, count: int) -> list[dict[str, Any]]:
    return [{"a_number": f"{prefix}{i:04d}", "b_number": B_NUMBER} for i in range(count)]


OpsFactory = Callable[..., Ops]


@pytest.fixture
def ops_factory(
    engine: sa.Engine, stack_factory: StackFactory, tmp_path: Any
) -> Iterator[OpsFactory]:
    started: list[tuple[support.ApiServer, httpx.Client]] = []

    def build(scenario: dict[str, Any] | None = None, *,
              api_overrides: dict[str, str] | None = None, **settings: Any) -> Ops:
        """``api_overrides``: environment only the API process gets."""
        stack = stack_factory(scenario, **{"action_sweep_after_s": 2, **settings})
        stack.start_worker()
        stack.start_beat()
        api = support.ApiServer.start({**stack.env, **(api_overrides or {})}, tmp_path, "api")
        token = tokens.create_token(engine, CLIENT_ID, frozenset(Scope), clock.now())
        http = httpx.Client(base_url=api.base_url, timeout=30,
                            headers={"Authorization": f"Bearer {token}"})
        started.append((api, http))
        return Ops(stack, engine, http, new_scheduler(engine))

    yield build
    for api, http in started:
        http.close()
        api.stop()
