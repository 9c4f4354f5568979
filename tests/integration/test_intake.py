"""Duplicate-proof intake on a served API: one Idempotency-Key sent twice at once stores one
job and answers both alike; another request with it is refused naming the key; keys are
per client and last a day; a scheduler's duplicate rule refuses or merges a B number that
has an active task, even under concurrent requests; ``dry_run`` stores nothing and says
what adding would do to each task."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from models import clock
from models.rules import timefmt
from models.storage.intake_tables import idempotency_keys
from models.storage.tables import jobs, tasks
from tests.integration.api_fixtures import Api, served_api

__all__ = ["served_api"]

TASKS_IN_BIG_REQUEST = 2000


def tasks_url(client_id: int, scheduler_id: int) -> str:
    return f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/"


def batch(count: int, prefix: str = "+1555007") -> dict[str, Any]:
    return {"tasks": [{"a_number": "+15550070000", "b_number": f"{prefix}{i:04d}",
                       "start_time_utc": timefmt.format(clock.now() + timedelta(days=1))}
                      for i in range(count)]}


def job_count(api: Api, scheduler_id: int) -> int:
    with api.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(jobs)
                                .where(jobs.c.scheduler_id == scheduler_id)).scalar_one())


def task_count(api: Api, scheduler_id: int) -> int:
    with api.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(tasks)
                                .where(tasks.c.scheduler_id == scheduler_id)).scalar_one())


def at_once(api: Api, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    """Send the requests together, each from its own thread and connection."""
    answers: list[httpx.Response | None] = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def send(index: int, url: str, token: str, kwargs: dict[str, Any]) -> None:
        with httpx.Client(timeout=120) as http:
            start.wait()
            answers[index] = http.post(api.base_url + url, headers={
                "Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}, **kwargs)

    threads = [threading.Thread(target=send, args=(i, *request))
               for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert all(answer is not None for answer in answers)
    return [answer for answer in answers if answer is not None]


def test_one_key_sent_twice_at_once_stores_one_job_and_answers_alike(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = batch(TASKS_IN_BIG_REQUEST)
    first, second = at_once(served_api, [
        (tasks_url(client_id, scheduler_id), token, {"json": body, "headers": key}),
        (tasks_url(client_id, scheduler_id), token, {"json": body, "headers": key})])
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert first.json() == second.json()
    assert len(first.json()["tasks"]) == TASKS_IN_BIG_REQUEST
    assert (job_count(served_api, scheduler_id), task_count(served_api, scheduler_id)) == (
        1, TASKS_IN_BIG_REQUEST)
    # Later, the same again: the same answer, still nothing new.
    again = served_api.call("POST", tasks_url(client_id, scheduler_id), token, json=body,
                            headers=key)
    assert (again.status_code, again.json()) == (201, first.json())
    assert job_count(served_api, scheduler_id) == 1


def test_a_key_with_another_request_is_refused_naming_the_key(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    url, key = tasks_url(client_id, scheduler_id), {"Idempotency-Key": "order-4711"}
    assert served_api.call("POST", url, token, json=batch(1), headers=key).status_code == 201
    for other in ({"json": batch(2)}, {"json": batch(1), "params": {"on_dnc": "finish"}}):
        refused = served_api.call("POST", url, token, headers=key, **other)
        assert refused.status_code == 409
        (field,) = refused.json()["error"]["fields"]
        assert field["field"] == "Idempotency-Key" and "order-4711" in field["rule"]
    assert job_count(served_api, scheduler_id) == 1
    bad = served_api.call("POST", url, token, json=batch(1), headers={"Idempotency-Key": "a b"})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"][0]["field"] == "Idempotency-Key"


def test_keys_are_per_client_last_a_day_and_a_refused_request_keeps_none(
    served_api: Api
) -> None:
    key = {"Idempotency-Key": "shared-key"}
    mine, my_token = served_api.new_client()
    theirs, their_token = served_api.new_client()
    my_scheduler = served_api.new_scheduler(mine, my_token)
    their_scheduler = served_api.new_scheduler(theirs, their_token)
    # Refused (an invalid number): the key is not kept, so the corrected request goes in.
    invalid = {"tasks": [{"a_number": "nope", "b_number": "+15550070001"}]}
    assert served_api.call("POST", tasks_url(mine, my_scheduler), my_token, json=invalid,
                           headers=key).status_code == 400
    for client_id, token, scheduler_id in ((mine, my_token, my_scheduler),
                                           (theirs, their_token, their_scheduler)):
        answer = served_api.call("POST", tasks_url(client_id, scheduler_id), token,
                                 json=batch(1), headers=key)
        assert answer.status_code == 201 and job_count(served_api, scheduler_id) == 1
    with served_api.engine.begin() as conn:  # a day and an hour later
        conn.execute(idempotency_keys.update().where(idempotency_keys.c.client_id == mine)
                     .values(created_at=clock.now() - timedelta(hours=25)))
    served_api.call("POST", tasks_url(mine, my_scheduler), my_token, json=batch(1), headers=key)
    assert job_count(served_api, my_scheduler) == 2


@pytest.mark.parametrize("rule", ["refuse", "merge"])
def test_a_b_number_with_an_active_task_is_refused_or_merged(served_api: Api,
                                                             rule: str) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    assert served_api.call("PATCH", f"/client/{client_id}/task_scheduler/{scheduler_id}",
                           token, json={"duplicate_b_number": rule}).json()[
        "duplicate_b_number"] == rule
    url = tasks_url(client_id, scheduler_id)
    (active,) = served_api.call("POST", url, token, json=batch(1)).json()["tasks"]
    answer = served_api.call("POST", url, token, json={"tasks": [
        *batch(1)["tasks"], *batch(2, "+1555008")["tasks"], batch(1, "+1555008")["tasks"][0]]})
    if rule == "refuse":
        assert answer.status_code == 400
        assert answer.json()["error"]["fields"] == [
            {"field": "tasks[0].b_number",
             "rule": f"already has an active task in this scheduler (task {active['id']})"},
            {"field": "tasks[3].b_number", "rule": "repeats the b_number of tasks[1]"}]
        assert task_count(served_api, scheduler_id) == 1
        return
    assert answer.status_code == 201, answer.text
    merged, first, second, repeat = answer.json()["tasks"]
    assert merged == active and repeat == first and first["id"] != second["id"]
    assert task_count(served_api, scheduler_id) == 3
    all_merged = served_api.call("POST", url, token, json=batch(1)).json()
    assert all_merged == {"job_id": None, "tasks": [active]}


def test_the_duplicate_rule_holds_under_concurrent_requests(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    served_api.call("PATCH", f"/client/{client_id}/task_scheduler/{scheduler_id}", token,
                    json={"duplicate_b_number": "refuse"})
    url = tasks_url(client_id, scheduler_id)
    answers = at_once(served_api, [(url, token, {"json": batch(1)}) for _ in range(6)])
    assert sorted(a.status_code for a in answers) == [201] + [400] * 5
    assert task_count(served_api, scheduler_id) == 1


def test_a_dry_run_says_what_adding_would_do_and_stores_nothing(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    now = clock.now()
    closed = now + timedelta(hours=3)  # a window of one hour from three hours on
    served_api.call("PATCH", f"/client/{client_id}/task_scheduler/{scheduler_id}", token,
                    json={"duplicate_b_number": "merge", "default_timezone": "UTC",
                          "calling_windows": {day: [[f"{closed:%H}:00", f"{closed:%H}:59"]]
                                              for day in ("mon", "tue", "wed", "thu", "fri",
                                                          "sat", "sun")}})
    assert served_api.call("POST", f"/client/{client_id}/dnc/", token,
                           json={"numbers": ["+15550090002"]}).status_code == 201
    start_in_window = closed.replace(minute=30, second=0, microsecond=0)
    report = served_api.call("POST", tasks_url(client_id, scheduler_id), token,
                             params={"dry_run": "true"}, json={"tasks": [
        {"a_number": "nope", "b_number": "+15550090001"},
        {"a_number": "+15550090000", "b_number": "+15550090002"},
        {"a_number": "+15550090000", "b_number": "+15550090003"},
        {"a_number": "+15550090000", "b_number": "+15550090003"},
        {"a_number": "+15550090000", "b_number": "+15550090004",
         "start_time_utc": timefmt.format(start_in_window)}]})
    assert report.status_code == 200, report.text
    items = report.json()["items"]
    assert [(i["verdict"], i["reason"]) for i in items] == [
        ("refuse", "invalid"), ("refuse", "do_not_call"), ("hold", "calling_window"),
        ("merge", "duplicate_b_number"), ("hold", "start_time")]
    assert items[0]["errors"][0]["field"] == "tasks[0].a_number"
    assert items[1]["errors"] == [{"field": "tasks[1].b_number",
                                   "rule": "is on the client's do-not-call list"}]
    assert items[2]["until"] == timefmt.format(closed.replace(minute=0, second=0,
                                                              microsecond=0))
    assert items[4]["until"] == timefmt.format(start_in_window)
    assert report.json()["verdicts"] == {"refuse": 2, "end_at_once": 0, "merge": 1,
                                         "hold": 2, "dial_now": 0}
    assert task_count(served_api, scheduler_id) == 0
