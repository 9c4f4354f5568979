"""Odd input through HTTP answers 400 (or the seed's own error codes), never 500, and stores
nothing (issue 12, defects 3 to 5); a row stored before the rules existed still reads."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from models.storage.tables import jobs, schedulers, tasks
from tests.integration.api_fixtures import Api, served_api

__all__ = ["served_api"]
A, B = "+15550000001", "+15550000002"
NUL, SURROGATE = "\x00", "\ud800"


def post(api: Api, path: str, token: str, body: Any) -> Any:
    """JSON with ASCII escapes, as a client's encoder may send "\\ud800" (httpx's own
    encoder cannot encode a lone surrogate at all)."""
    return api.call("POST", path, token, content=json.dumps(body),
                    headers={"Content-Type": "application/json"})


def row_counts(api: Api) -> tuple[int, int, int]:
    with api.engine.connect() as conn:
        return tuple(int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                     for t in (tasks, jobs, schedulers))  # type: ignore[return-value]


@pytest.mark.parametrize("task", [
    {"name": f"a{NUL}b"}, {"name": f"a{SURROGATE}b"},
    {"url_after": f"https://hooks.example/{NUL}"}, {"url_after": f"https://x/{SURROGATE}"},
    {"url_before": f"https://{'a' * 64}.example/hook"},
    {"callback_params": {"caller_id_name": f"Shop{SURROGATE}"}},
    {"callback_params": {"caller_id_name": "x" * 100_000}},
    {"callback_params": {"caller_id_name": "Bank\u202eknaB"}},  # shows as "BankBank"
    {"callback_params": {"caller_id_name": "\u2066Shop\u2069"}},
    {"callback_params": {"caller_id_number": "call me"}},
    {"callback_params": {"extended_a_numbers": [A]}},
    {"a_number": "+15551234567\n"}, {"try_again_pause": "60\n"},
    {f"{SURROGATE}odd": 1},
])
def test_odd_task_fields_answer_400_and_store_nothing(
    served_api: Api, task: dict[str, Any]
) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    before = row_counts(served_api)
    response = post(served_api, f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/",
                    token, {"tasks": [{"a_number": A, "b_number": B, **task}]})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["fields"][0]["field"].startswith("tasks[0].")
    assert row_counts(served_api) == before


@pytest.mark.parametrize("name", [f"s{NUL}", f"s{SURROGATE}"])
def test_odd_scheduler_names_answer_400(served_api: Api, name: str) -> None:
    client_id, token = served_api.new_client()
    before = row_counts(served_api)
    response = post(served_api, f"/client/{client_id}/task_scheduler/", token, {"name": name})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["fields"] == [
        {"field": "name", "rule": response.json()["error"]["fields"][0]["rule"]}]
    assert row_counts(served_api) == before


RECORD = {"operationName": "RescheduleRecord", "applicationId": 1, "campaignName": "c",
          "callbackType": "Personal", "timestamp": 2_000_000_000, "devicePath": "d"}


@pytest.mark.parametrize(("handle", "body", "status", "code"), [
    # A handle that is no record's id in any shape finds no record (the page's code 2).
    ("²", RECORD, 404, 2), ("¹", RECORD, 404, 2),
    ("7", {**RECORD, "referenceId": f"r{NUL}"}, 400, 1),
    ("7", {**RECORD, "referenceId": f"r{SURROGATE}"}, 400, 1),
])
def test_odd_record_reschedules_answer_the_pages_errors(
    served_api: Api, handle: str, body: dict[str, Any], status: int, code: int
) -> None:
    _, token = served_api.new_client()
    response = post(served_api, f"/api/v2/me/outbound-records/{handle}", token, body)
    assert response.status_code == status, response.text
    assert response.json()["statusCode"] == code


@pytest.mark.parametrize(("vdn", "campaign", "batch"), [
    ("²", "1", "1"), ("1", "¹", "1"), ("1", "1", "²"), ("1", "1", "1²"),
])
def test_odd_batch_suspensions_answer_the_pages_parameter_error(
    served_api: Api, vdn: str, campaign: str, batch: str
) -> None:
    _, token = served_api.new_client()
    response = post(served_api, f"/rest/isales/v1/openapi/campaigns/{vdn}/callbatch/{campaign}"
                    "/pause", token, {"id": batch})
    assert response.status_code == 400, response.text  # the page's parameter error
    assert response.json()["resultCode"] == "0200001"


def test_a_stored_lone_surrogate_still_reads(served_api: Api) -> None:
    """A row written before the rules refused it renders escaped, not as a 500."""
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    path = f"/client/{client_id}/task_scheduler/{scheduler_id}"
    added = served_api.call("POST", f"{path}/tasks/", token,
                            json={"tasks": [{"a_number": A, "b_number": B,
                                             "start_time_utc": "2035-01-01 00:00:00"}]})
    task_id = added.json()["tasks"][0]["id"]
    with served_api.engine.begin() as conn:
        conn.execute(tasks.update().where(tasks.c.id == task_id).values(
            callback_params={"caller_id_name": f"old{SURROGATE}"}))
    one = served_api.call("GET", f"{path}/task/{task_id}", token)
    listed = served_api.call("GET", f"{path}/tasks/", token)
    assert (one.status_code, listed.status_code) == (200, 200)
    assert one.json()["callback_params"]["caller_id_name"] == f"old{SURROGATE}"
