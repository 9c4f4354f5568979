"""The HTTP API over hostile input (issue 12): any Unicode in bodies and path segments, any
JSON shape. Never a 5xx; a 4xx stores nothing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.storage.tables import actions, jobs, schedulers, tasks
from tests.integration.api_fixtures import Api, served_api
from tests.strategies import JSON, TASKS, TEXT

__all__ = ["served_api"]
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def segment(text: str) -> str:
    """A path segment from any text: lone surrogates travel as their (invalid) UTF-8."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="") or "%20"


def rows_of(api: Api, client_id: int) -> tuple[int, ...]:
    with api.engine.connect() as conn:
        return tuple(int(conn.execute(sa.select(sa.func.count()).select_from(table).where(
            table.c.client_id == client_id)).scalar_one())
            for table in (tasks, jobs, schedulers, actions))


def send(api: Api, token: str, client_id: int, method: str, path: str,
         body: Any = None) -> httpx.Response:
    before = rows_of(api, client_id)
    content = None if body is None else json.dumps(body)  # ASCII escapes: "\ud800" travels
    response = api.call(method, path, token, content=content,
                        headers={"Content-Type": "application/json"})
    assert response.status_code < 500, (method, path, body, response.text)
    if 400 <= response.status_code < 500:
        assert rows_of(api, client_id) == before, (method, path, body, response.text)
    return response


class Tenant:
    """One client with a scheduler, a job and a task, made once for the module."""

    def __init__(self, api: Api) -> None:
        self.client_id, self.token = api.new_client()
        self.scheduler_id = api.new_scheduler(self.client_id, self.token)
        added = api.call("POST", self.schedulers + f"/{self.scheduler_id}/tasks/", self.token,
                         json={"tasks": [{"a_number": "+15550000001", "b_number": "+15550000002",
                                          "start_time_utc": "2035-01-01 00:00:00"}]}).json()
        self.job_id, self.task_id = added["job_id"], added["tasks"][0]["id"]

    @property
    def schedulers(self) -> str:
        return f"/client/{self.client_id}/task_scheduler"


_tenants: dict[int, Tenant] = {}


def tenant(api: Api) -> Tenant:
    if id(api) not in _tenants:
        _tenants[id(api)] = Tenant(api)
    return _tenants[id(api)]


@given(body=st.one_of(JSON, st.fixed_dictionaries({"tasks": TASKS})))
@SETTINGS
def test_adding_tasks(served_api: Api, body: Any) -> None:
    t = tenant(served_api)
    send(served_api, t.token, t.client_id, "POST",
         f"{t.schedulers}/{t.scheduler_id}/tasks/", body)


@given(body=JSON, patch=st.booleans())
@SETTINGS
def test_creating_and_changing_schedulers(served_api: Api, body: Any, patch: bool) -> None:
    t = tenant(served_api)
    path = f"{t.schedulers}/{t.scheduler_id}" if patch else f"{t.schedulers}/"
    send(served_api, t.token, t.client_id, "PATCH" if patch else "POST", path, body)


@given(handle=st.one_of(TEXT, st.just("")), body=JSON)
@SETTINGS
def test_rescheduling_records(served_api: Api, handle: str, body: Any) -> None:
    t = tenant(served_api)
    handle = handle or str(t.task_id)
    send(served_api, t.token, t.client_id, "POST",
         f"/api/v2/me/outbound-records/{segment(handle)}", body)


@given(vdn=TEXT, campaign=TEXT, body=JSON)
@SETTINGS
def test_suspending_batches(served_api: Api, vdn: str, campaign: str, body: Any) -> None:
    t = tenant(served_api)
    send(served_api, t.token, t.client_id, "POST",
         f"/rest/isales/v1/openapi/campaigns/{segment(vdn)}/callbatch/{segment(campaign)}"
         "/pause", body)


@given(job=TEXT, action=st.one_of(TEXT, st.sampled_from(["pause", "resume", "cancel",
                                                          "restart"])))
@SETTINGS
def test_job_routes(served_api: Api, job: str, action: str) -> None:
    t = tenant(served_api)
    send(served_api, t.token, t.client_id, "POST",
         f"/interactions/jobs/{segment(job)}/{segment(action)}")
    send(served_api, t.token, t.client_id, "GET", f"/jobs/{segment(job)}")
    send(served_api, t.token, t.client_id, "GET",
         f"{t.schedulers}/{t.scheduler_id}/task/{segment(job)}")
