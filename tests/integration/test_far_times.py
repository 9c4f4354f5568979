"""Tasks that start at the end of the calendar (9999-12-31 23:59:59) on a scheduler with
calling rules: the dry run, ``/why`` and ``ringback why`` answer, held with no opening,
instead of an OverflowError (issue 23, defect 5)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tests.integration.api_fixtures import Api, served_api

__all__ = ["served_api"]
A = "+15550000001"
NY, TOKYO = "+12125550100", "+81312345678"
# The calendar's last second, the first the rules no longer weigh, and the one before.
STARTS = ["9999-12-31 23:59:59", "9999-12-01 00:00:00", "9999-11-30 23:59:59"]
RULES = {"calling_windows": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu",
                                                                     "fri")},
         "number_caps": {"per_24h": 1, "per_local_day": 1}}


def far_tasks() -> list[dict[str, Any]]:
    """Each start for a number in New York (UTC-5) and in Tokyo and Kiritimati (UTC+9,
    UTC+14: where 9999-12-31 23:59:59 UTC has no local date)."""
    return [{"a_number": A, "b_number": b_number, "start_time_utc": start,
             **({"callback_params": {"timezone": zone}} if zone else {})}
            for start in STARTS
            for b_number, zone in ((NY, None), (TOKYO, None), (NY, "Pacific/Kiritimati"))]


@pytest.fixture(scope="module")
def scheduler(served_api: Api) -> tuple[str, str]:
    client_id, token = served_api.new_client()
    created = served_api.call("POST", f"/client/{client_id}/task_scheduler/", token,
                              json={"name": "far", "duplicate_b_number": "allow", **RULES})
    assert created.status_code == 201, created.text
    return f"/client/{client_id}/task_scheduler/{created.json()['id']}", token


def test_a_dry_run_holds_tasks_at_the_end_of_the_calendar(
    served_api: Api, scheduler: tuple[str, str]
) -> None:
    path, token = scheduler
    answer = served_api.call("POST", f"{path}/tasks/", token, params={"dry_run": "true"},
                             json={"tasks": far_tasks()})
    assert answer.status_code == 200, answer.text
    assert answer.json()["verdicts"]["hold"] == len(far_tasks())


def test_why_and_ringback_why_tell_tasks_at_the_end_of_the_calendar(
    served_api: Api, scheduler: tuple[str, str]
) -> None:
    path, token = scheduler
    added = served_api.call("POST", f"{path}/tasks/", token, json={"tasks": far_tasks()})
    assert added.status_code == 201, added.text
    tasks = added.json()["tasks"]
    for task in tasks[:3]:  # the calendar's last second, in each zone (a process each)
        printed = subprocess.run([sys.executable, "-m", "api.cli", "why", str(task["id"])],
                                 env=served_api.env, capture_output=True, text=True,
                                 timeout=60)
        assert printed.returncode == 0, printed.stderr
        assert f"task {task['id']} (scheduled)" in printed.stdout and not printed.stderr
    for task in tasks:
        told = served_api.call("GET", f"{path}/task/{task['id']}/why", token)
        assert told.status_code == 200, told.text
        assert told.json()["causes"][0]["cause"] == "start_time"
