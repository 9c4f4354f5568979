"""The task_scheduler endpoints over real HTTP against a served app and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from models.shapes import views
from tests import support
from tests.integration import schemathesis_hooks as hooks
from tests.integration.api_fixtures import Api, served_api

__all__ = ["served_api"]

# The seed's "Respond field" table, written out here rather than imported.
SEED_TASK_FIELDS = {
    "status", "a_number", "b_number", "extension_id", "scheduler_id", "finish_result", "cdr",
    "try_count", "try_again_pause", "start_time_utc", "url_before", "url_before_again",
    "url_after", "url_success", "create_date_utc", "id", "name", "finish_comment",
    "callback_params",
}
A, B = "+15550000001", "+15550000002"


def test_openapi_document_is_served(served_api: Api) -> None:
    document = served_api.http.get(served_api.base_url + "/openapi.json").json()
    assert "/client/{client_id}/task_scheduler/{scheduler_id}/tasks/" in document["paths"]
    assert "AddTasksIn" in document["components"]["schemas"]


def test_scheduler_create_get_patch_and_duplicate_name(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    base = f"/client/{client_id}/task_scheduler"
    created = served_api.call("POST", f"{base}/", token, json={"name": "evening"})
    assert created.status_code == 201
    scheduler = created.json()
    assert set(scheduler) == {"id", "client_id", "name", "create_date_utc",
                              "concurrent_task_limit", "interval", "asr_threshold",
                              "asr_window", "asr_min_attempts", "asr_pause", "paused",
                              "calling_windows", "calling_window_preset", "holidays_country",
                              "skip_dates", "default_timezone", "retry_rules", "number_caps",
                              "duplicate_b_number", "default_region", "a_number_type"}
    assert scheduler["duplicate_b_number"] == "allow"
    assert (scheduler["default_region"], scheduler["a_number_type"]) == (None, "phone")
    assert (scheduler["concurrent_task_limit"], scheduler["asr_threshold"]) == (None, None)
    # No calling rules given: always open, every retry after try_again_pause, no caps.
    assert (scheduler["calling_windows"], scheduler["calling_window_preset"],
            scheduler["skip_dates"], scheduler["default_timezone"], scheduler["retry_rules"],
            scheduler["number_caps"]) == (None, None, [], "UTC", None, None)
    assert (scheduler["client_id"], scheduler["name"]) == (client_id, "evening")
    got = served_api.call("GET", f"{base}/{scheduler['id']}", token)
    assert got.status_code == 200 and got.json() == scheduler
    patched = served_api.call("PATCH", f"{base}/{scheduler['id']}", token, json={"name": "late"})
    assert patched.status_code == 200 and patched.json()["name"] == "late"
    again = served_api.call("POST", f"{base}/", token, json={"name": "late"})
    assert again.status_code == 409
    assert again.json()["error"]["message"].startswith("name:")


def test_added_tasks_answer_201_with_the_seed_fields_and_the_job(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    path = f"/client/{client_id}/task_scheduler/{scheduler_id}"
    response = served_api.call("POST", f"{path}/tasks/", token, json={"tasks": [
        {"name": "first", "a_number": A, "b_number": B, "try_count": 2, "try_again_pause": 30,
         "start_time_utc": "2031-05-06 07:08:09", "url_after": "https://example.test/a",
         "callback_params": {"caller_id_number": "+15551112222"}},
        {"a_number": A, "b_number": B},
    ]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"job_id", "tasks"}
    first, second = body["tasks"]
    assert set(first) == SEED_TASK_FIELDS and set(second) == SEED_TASK_FIELDS
    assert list(first) == list(views.TASK_FIELDS)
    assert first["start_time_utc"] == "2031-05-06 07:08:09"
    assert first["try_again_pause"] == "30" and first["status"] == "scheduled"
    assert len(first["create_date_utc"]) == len("YYYY-MM-DD HH:MM:SS")
    one = served_api.call("GET", f"{path}/task/{first['id']}", token)
    assert one.status_code == 200 and one.json() == first


def test_task_pages_filter_by_status_and_follow_the_cursor(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    path = f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/"
    later = {"a_number": A, "b_number": B, "start_time_utc": "2035-01-01 00:00:00"}
    added = served_api.call("POST", path, token, json={"tasks": [later] * 5}).json()
    seen: list[int] = []
    cursor: str | None = None
    for _ in range(5):
        params = {"limit": 2, "status": "scheduled", **({"cursor": cursor} if cursor else {})}
        page = served_api.call("GET", path, token, params=params).json()
        seen += [t["id"] for t in page["tasks"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [t["id"] for t in added["tasks"]]
    finished = served_api.call("GET", path, token, params={"status": "finished"}).json()
    assert finished == {"tasks": [], "next_cursor": None}


def test_ten_thousand_tasks_are_stored_in_one_transaction(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    path = f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/"
    batch = [{"a_number": f"+1555{i:07d}", "b_number": B,
              "start_time_utc": "2035-01-01 00:00:00"} for i in range(10_000)]
    response = served_api.call("POST", path, token, json={"tasks": batch})
    assert response.status_code == 201, response.text[:500]
    job_id = response.json()["job_id"]
    with served_api.engine.connect() as conn:
        count, transactions = conn.execute(sa.text(
            "SELECT count(*), count(DISTINCT xmin::text) FROM tasks WHERE job_id = :job"),
            {"job": job_id}).one()
    assert (count, transactions) == (10_000, 1)


def test_over_the_configured_maximum_answers_413_and_stores_none(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    path = f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/"
    task = {"a_number": A, "b_number": B}
    response = served_api.call("POST", path, token, json={"tasks": [task] * 10_001})
    assert response.status_code == 413
    assert "at most 10000 tasks" in response.json()["error"]["message"]
    listed = served_api.call("GET", path, token).json()
    assert listed["tasks"] == []


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    served_api: Api, tmp_path: Path
) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    served_api.call("POST", f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/", token,
                    json={"tasks": [{"a_number": A, "b_number": B,
                                     "start_time_utc": "2035-01-01 00:00:00"}]})
    config = tmp_path / "schemathesis.toml"
    # Requests carry the test client's token and, by the hooks, its id. Data whose rules
    # JSON Schema cannot say (a window ending before it starts, a date like 2026-02-30, a
    # host name that is not one, a number of a length impossible in its country) may get a
    # 400 even when it fits the schema: those operations name 400 among the answers valid
    # data may get.
    config.write_text(
        f'headers = {{ Authorization = "Bearer {token}" }}\n'
        '[[operations]]\n'
        'include-operation-id = ["create_scheduler", "update_scheduler", "add_tasks", '
        '"add_numbers", "list_numbers", "remove_number", "create_sip_account", '
        '"reschedule_record"]\n'
        'checks.positive_data_acceptance.expected-statuses = '
        '["2XX", "3XX", 400, 401, 403, 404, 409, 429]\n')
    env = support.with_this_checkout({**os.environ, hooks.CLIENT_ID_ENV: str(client_id),
                                      "SCHEMATHESIS_HOOKS": hooks.__name__})
    result = subprocess.run(
        [str(Path(sys.executable).parent / "st"), "--config-file", str(config), "run",
         f"{served_api.base_url}/openapi.json",
         "--checks", "all",
         "--max-examples", "20", "--seed", "1", "--request-timeout", "30",
         "--generation-database", "none",
         # The event stream stays open by design; it has tests of its own.
         "--exclude-path", "/events"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert " passed" in result.stdout and "failed" not in result.stdout.split("SUMMARY")[-1]


def test_pacing_settings_are_set_on_create_and_patch_and_validated(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    base = f"/client/{client_id}/task_scheduler"
    created = served_api.call("POST", f"{base}/", token, json={
        "name": "paced", "concurrent_task_limit": 3, "interval": 2, "asr_threshold": 50,
        "asr_window": 10, "asr_min_attempts": 5, "asr_pause": 60})
    assert created.status_code == 201, created.text
    scheduler = created.json()
    assert {k: scheduler[k] for k in ("concurrent_task_limit", "interval", "asr_threshold",
                                      "asr_window", "asr_min_attempts", "asr_pause")} == {
        "concurrent_task_limit": 3, "interval": 2, "asr_threshold": 50.0, "asr_window": 10,
        "asr_min_attempts": 5, "asr_pause": 60}
    path = f"{base}/{scheduler['id']}"
    for body, field in (({"asr_threshold": 150}, "asr_threshold"),
                        ({"interval": -1}, "interval"),
                        ({"concurrent_task_limit": 0}, "concurrent_task_limit")):
        refused = served_api.call("PATCH", path, token, json=body)
        assert refused.status_code == 400
        assert [f["field"] for f in refused.json()["error"]["fields"]] == [field]
    assert served_api.call("GET", path, token).json() == scheduler
    opened = served_api.call("PATCH", path, token, json={"concurrent_task_limit": None})
    assert opened.status_code == 200 and opened.json()["concurrent_task_limit"] is None


def test_stats_of_a_new_scheduler(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    path = f"/client/{client_id}/task_scheduler/{scheduler_id}"
    served_api.call("POST", f"{path}/tasks/", token, json={"tasks": [
        {"a_number": A, "b_number": B, "start_time_utc": "2035-01-01 00:00:00"}]})
    stats = served_api.call("GET", f"{path}/stats", token).json()
    assert stats["tasks_by_status"] == {
        "scheduled": 1, "executed": 0, "delayed": 0, "delayed_asr": 0,
        "delayed_concurrent_task": 0, "delayed_interval": 0, "delayed_calling_window": 0,
        "delayed_number_cap": 0, "finished": 0, "paused": 0, "cancelled": 0}
    assert stats["calling_rules"]["calling_windows"] is None  # none set: always open
    assert (stats["tries_running"], stats["asr"], stats["asr_tries"]) == (0, None, 0)
    assert (stats["acd_seconds"], stats["asr_hold_until"]) == (None, None)
