"""Every error code of the API, in one JSON shape naming the field or rule; tenant isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests import support
from tests.integration.api_fixtures import Api, api_env, served_api

__all__ = ["served_api"]
A, B = "+15550000001", "+15550000002"


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "message", "fields"}
    assert body["error"]["status"] == status and body["error"]["message"]
    return dict(body["error"])


@pytest.mark.parametrize(("task", "field", "rule_part"), [
    ({"a_number": "12ab", "b_number": B}, "tasks[0].a_number", "phone number"),
    ({"a_number": A}, "tasks[0].b_number", "is required"),
    ({"a_number": A, "b_number": B, "try_count": 51}, "tasks[0].try_count", "from 1 to 50"),
    ({"a_number": A, "b_number": B, "try_again_pause": -5}, "tasks[0].try_again_pause",
     "whole number"),
    ({"a_number": A, "b_number": B, "start_time_utc": "2030-01-01T10:00:00Z"},
     "tasks[0].start_time_utc", "YYYY-MM-DD HH:MM:SS"),
    # Shapes strptime read (issue 23, defect 5): fullwidth digits, unpadded, two spaces.
    *(({"a_number": A, "b_number": B, "start_time_utc": odd}, "tasks[0].start_time_utc",
       "YYYY-MM-DD HH:MM:SS")
      for odd in ("".join(chr(0xFF10 + int(d)) for d in "2027") + "-01-01 00:00:00",
                  "2027-1-1 0:0:0", "2027-01-01  00:00:00", "2027-01-01 00:00:00\n")),
    ({"a_number": A, "b_number": B, "colour": "red"}, "tasks[0].colour", "not a known"),
])
def test_invalid_tasks_answer_400_naming_field_and_rule(
    served_api: Api, task: dict[str, Any], field: str, rule_part: str
) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    path = f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/"
    error = error_of(served_api.call("POST", path, token, json={"tasks": [task]}), 400)
    assert [f["field"] for f in error["fields"]] == [field]
    assert rule_part in error["fields"][0]["rule"]
    assert field in error["message"]
    assert served_api.call("GET", path, token).json()["tasks"] == []


@pytest.mark.parametrize(("body", "message_part"), [
    ({"tasks": []}, "tasks: must contain one or more tasks"),
    ({"tasks": [{"a_number": A, "b_number": B}], "extra": 1}, "extra: is not a known field"),
    ([1, 2], "body: must be a JSON object"),
])
def test_malformed_requests_answer_400(
    served_api: Api, body: Any, message_part: str
) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    path = f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/"
    assert message_part in error_of(served_api.call("POST", path, token, json=body), 400)[
        "message"]


def test_broken_json_answers_400_and_other_media_415(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    path = f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/"
    broken = served_api.call("POST", path, token, content=b"{not json",
                             headers={"Content-Type": "application/json"})
    assert "not valid JSON" in error_of(broken, 400)["message"]
    text = served_api.call("POST", path, token, content=b"tasks=1",
                           headers={"Content-Type": "text/plain"})
    assert "Content-Type" in error_of(text, 415)["message"]


def test_missing_or_wrong_token_answers_401_and_missing_scope_403(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    path = f"/client/{client_id}/task_scheduler/{scheduler_id}"
    assert "Bearer" in error_of(served_api.call("GET", path, None), 401)["message"]
    wrong = served_api.call("GET", path, "rbk_not-a-real-token")
    assert error_of(wrong, 401)["message"] == "Authorization: the token is not valid"
    reader = served_api.token(client_id, "tasks:read")
    refused = served_api.call("POST", f"{path}/tasks/", reader,
                              json={"tasks": [{"a_number": A, "b_number": B}]})
    assert "tasks:write" in error_of(refused, 403)["message"]
    writer_only = served_api.token(client_id, "tasks:write")
    assert "tasks:read" in error_of(served_api.call("GET", path, writer_only), 403)["message"]


def test_unknown_rows_404_wrong_method_405_bad_path_400(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    base = f"/client/{client_id}/task_scheduler"
    error_of(served_api.call("GET", f"{base}/{scheduler_id + 999}", token), 404)
    error_of(served_api.call("GET", f"{base}/{scheduler_id}/task/999999", token), 404)
    error_of(served_api.call("POST", f"{base}/{scheduler_id + 999}/tasks/", token,
                             json={"tasks": [{"a_number": A, "b_number": B}]}), 404)
    gone = served_api.call("DELETE", f"{base}/{scheduler_id}", token)
    error_of(gone, 405)
    assert "GET" in gone.headers["allow"]
    bad = served_api.call("GET", f"{base}/not-a-number", token)
    assert [f["field"] for f in error_of(bad, 400)["fields"]] == ["scheduler_id"]
    cursor = served_api.call("GET", f"{base}/{scheduler_id}/tasks/", token,
                             params={"cursor": "abc"})
    assert [f["field"] for f in error_of(cursor, 400)["fields"]] == ["cursor"]


def test_each_client_sees_only_its_own_rows_both_ways(served_api: Api) -> None:
    seven, seven_token = served_api.new_client()
    eight, eight_token = served_api.new_client()
    rows = {}
    for client_id, token, number in ((seven, seven_token, "+15557000007"),
                                     (eight, eight_token, "+15558000008")):
        scheduler_id = served_api.new_scheduler(client_id, token)
        added = served_api.call(
            "POST", f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/", token,
            json={"tasks": [{"a_number": number, "b_number": B}]}).json()
        rows[client_id] = (scheduler_id, added["tasks"][0]["id"], number)
    for me, token, other in ((seven, seven_token, eight), (eight, eight_token, seven)):
        their_scheduler, their_task, their_number = rows[other]
        my_scheduler = rows[me][0]
        attempts = [
            ("GET", f"/client/{other}/task_scheduler/{their_scheduler}"),
            ("GET", f"/client/{other}/task_scheduler/{their_scheduler}/task/{their_task}"),
            ("GET", f"/client/{other}/task_scheduler/{their_scheduler}/tasks/"),
            ("GET", f"/client/{me}/task_scheduler/{their_scheduler}"),
            ("GET", f"/client/{me}/task_scheduler/{their_scheduler}/tasks/"),
            ("GET", f"/client/{me}/task_scheduler/{my_scheduler}/task/{their_task}"),
            ("PATCH", f"/client/{me}/task_scheduler/{their_scheduler}"),
            ("POST", f"/client/{me}/task_scheduler/{their_scheduler}/tasks/"),
        ]
        for method, path in attempts:
            body = ({"name": "mine now"} if method == "PATCH"
                    else {"tasks": [{"a_number": A, "b_number": B}]})
            response = served_api.call(method, path, token,
                                       json=body if method != "GET" else None)
            error_of(response, 404)
            assert their_number not in response.text
        mine = served_api.call("GET", f"/client/{other}/task_scheduler/{their_scheduler}",
                               served_api.token(other)).json()
        assert mine["name"] != "mine now"


def test_a_client_over_its_rate_limit_gets_429_with_retry_after(
    pg_template: str, redis_db: int, tmp_path: Any
) -> None:
    name = support.clone_database(pg_template)
    env = api_env(support.pg_url(name), redis_db, api_rate_per_s=0.5, api_rate_burst=3)
    server = support.ApiServer.start(env, tmp_path, "api-limited")
    try:
        with support.engine_for(support.pg_url(name)) as engine:
            api = Api(server.base_url, engine, env)
            client_id, token = api.new_client()
            statuses = [api.call("GET", f"/client/{client_id}/task_scheduler/1", token)
                        for _ in range(5)]
            other_id, other_token = api.new_client()
            other = api.call("GET", f"/client/{other_id}/task_scheduler/1", other_token)
            api.http.close()
        assert [r.status_code for r in statuses[:3]] == [404, 404, 404]
        limited = statuses[3]
        error_of(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1
        assert other.status_code == 404  # another client's bucket is its own
    finally:
        server.stop()
        support.drop_database(name)
