"""`GET .../task/{id}/why` and `ringback why`, checked against a real stack (worker, beat,
API) brought into each state: a later start, a retry pause, a closed calling window, a
number cap, the concurrency limit, the interval, an ASR hold, a paused job, a paused
scheduler, a do-not-call list, a running try and a finished task."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

from models import clock
from models.rules import timefmt
from tests.integration.job_fixtures import CLIENT_ID, Ops, OpsFactory, ops_factory
from tests.integration.test_calling_holds import every_day
from tests.integration.test_core_flow import attempts_of, task_row

__all__ = ["ops_factory"]

A_NUMBER, A_SILENT = "+15550007101", "+15550007109"
B_BUSY = "+15550007002"
TALK_S = 30  # connected calls stay running while the test looks


def b(n: int) -> str:
    return f"+155500071{n:02d}"


def in_hours(hours: float) -> str:
    return str(timefmt.format(clock.now() + timedelta(hours=hours)))


def scheduler(ops: Ops, **settings: Any) -> int:
    created = ops.http.post(f"/client/{CLIENT_ID}/task_scheduler/",
                            json={"name": f"why-{len(settings)}-{clock.now().timestamp()}",
                                  **settings})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def add(ops: Ops, scheduler_id: int, *tasks: dict[str, Any]) -> list[int]:
    answer = ops.http.post(f"/client/{CLIENT_ID}/task_scheduler/{scheduler_id}/tasks/",
                           json={"tasks": list(tasks)}, params={"on_dnc": "finish"})
    assert answer.status_code == 201, answer.text
    return [task["id"] for task in answer.json()["tasks"]]


def why(ops: Ops, task_id: int) -> dict[str, Any]:
    scheduler_id = task_row(ops.engine, task_id).scheduler_id
    answer = ops.http.get(
        f"/client/{CLIENT_ID}/task_scheduler/{scheduler_id}/task/{task_id}/why")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def status_is(ops: Ops, task_id: int, status: str) -> None:
    ops.stack.wait_for(lambda: task_row(ops.engine, task_id).status == status, 20,
                       f"task {task_id} to be {status} (is {task_row(ops.engine, task_id).status})")


def cause(ops: Ops, task_id: int) -> tuple[str, datetime | None, dict[str, Any]]:
    document = why(ops, task_id)
    first = document["causes"][0]
    until = None if first["until"] is None else timefmt.parse(first["until"])
    return first["cause"], until, document


def test_each_cause_a_task_can_wait_for_is_told(ops_factory: OpsFactory) -> None:
    ops = ops_factory({"default": "answer", "talk_seconds": TALK_S,
                       "numbers": {B_BUSY: ["busy"], A_SILENT: ["no_answer"]}})
    plain = scheduler(ops)
    later, retried, running = add(ops, plain,
                                  {"a_number": A_NUMBER, "b_number": b(1),
                                   "start_time_utc": in_hours(1)},
                                  {"a_number": A_NUMBER, "b_number": B_BUSY, "try_count": 2,
                                   "try_again_pause": 3600},
                                  {"a_number": A_NUMBER, "b_number": b(2)})
    what, until, _ = cause(ops, later)
    assert (what, until) == ("start_time", task_row(ops.engine, later).next_attempt_at)
    status_is(ops, retried, "delayed")
    (first_try,) = attempts_of(ops.engine, retried)
    what, until, _ = cause(ops, retried)
    assert what == "retry_pause" and until is not None
    assert abs(until - (first_try.ended_at + timedelta(seconds=3600))) < timedelta(seconds=1)
    status_is(ops, running, "executed")
    what, _, document = cause(ops, running)
    assert what == "try_running" and not document["waiting"]

    assert ops.http.post(f"/client/{CLIENT_ID}/dnc/", json={"numbers": [b(1)]}).status_code == 201
    what, _, document = cause(ops, later)
    assert what == "do_not_call" and document["next_eligible_at"] is None
    (ended,) = add(ops, plain, {"a_number": A_NUMBER, "b_number": b(1)})
    what, _, document = cause(ops, ended)
    assert what == "finished" and "do-not-call" in document["summary"]


def test_rules_and_pacing_holds_are_told_with_their_times(ops_factory: OpsFactory) -> None:
    ops = ops_factory({"default": "answer", "talk_seconds": TALK_S,
                       "numbers": {A_SILENT: ["no_answer"]}})
    opening = (clock.now() + timedelta(hours=2)).replace(microsecond=0)
    windowed = scheduler(ops, calling_windows=every_day(opening, 3600), default_timezone="UTC")
    capped = scheduler(ops, number_caps={"per_24h": 1})
    limited = scheduler(ops, concurrent_task_limit=1)
    spaced = scheduler(ops, interval=3600)
    (closed,) = add(ops, windowed, {"a_number": A_NUMBER, "b_number": b(10)})
    cap_tasks = add(ops, capped, *[{"a_number": A_NUMBER, "b_number": b(11)}] * 2)
    limit_tasks = add(ops, limited, *[{"a_number": A_NUMBER, "b_number": b(n)} for n in (12, 13)])
    space_tasks = add(ops, spaced, *[{"a_number": A_NUMBER, "b_number": b(n)} for n in (14, 15)])

    status_is(ops, closed, "delayed_calling_window")
    what, until, document = cause(ops, closed)
    assert (what, until) == ("calling_window", opening)
    (zone,) = document["causes"][0]["zones"]
    assert zone["zone"] == "UTC" and zone["open"] is False
    for tasks, held, expected in ((cap_tasks, "delayed_number_cap", "number_cap"),
                                  (limit_tasks, "delayed_concurrent_task", "concurrency_limit"),
                                  (space_tasks, "delayed_interval", "interval")):
        ops.stack.wait_for(lambda ts=tasks, h=held: sorted(
            task_row(ops.engine, t).status for t in ts) == sorted(["executed", h]), 20, held)
        (waiting,) = [t for t in tasks if task_row(ops.engine, t).status == held]
        (dialled,) = [t for t in tasks if t != waiting]
        what, until, document = cause(ops, waiting)
        assert what == expected, document
        (attempt,) = attempts_of(ops.engine, dialled)
        if expected == "number_cap":
            assert until == (attempt.claimed_at + timedelta(hours=24)).replace(microsecond=0)
        if expected == "interval":
            assert until == (attempt.dialing_at + timedelta(hours=1)).replace(microsecond=0)
        if expected == "concurrency_limit":
            assert (document["causes"][0]["running"], document["causes"][0]["limit"]) == (1, 1)
            assert document["next_eligible_at"] is None


def test_an_asr_hold_and_pauses_are_told(ops_factory: OpsFactory) -> None:
    ops = ops_factory({"default": "answer", "numbers": {A_SILENT: ["no_answer"]}})
    measured = scheduler(ops, asr_threshold=50, asr_window=2, asr_min_attempts=2,
                         asr_pause=3600)
    failed = add(ops, measured, *[{"a_number": A_SILENT, "b_number": b(n)} for n in (20, 21)])
    ops.stack.wait_for(lambda: all(task_row(ops.engine, t).status == "finished"
                                   for t in failed), 20, "two unanswered tries")
    (held,) = add(ops, measured, {"a_number": A_NUMBER, "b_number": b(22)})
    status_is(ops, held, "delayed_asr")
    what, until, document = cause(ops, held)
    assert what == "asr_hold" and until is not None and until > clock.now() + timedelta(
        minutes=59)
    assert "0.0 %" in document["summary"]

    job_scheduler = scheduler(ops)
    answer = ops.http.post(f"/client/{CLIENT_ID}/task_scheduler/{job_scheduler}/tasks/",
                           json={"tasks": [{"a_number": A_NUMBER, "b_number": b(23),
                                            "start_time_utc": in_hours(1)}]}).json()
    job_id, (in_job,) = answer["job_id"], [t["id"] for t in answer["tasks"]]
    assert ops.act(job_id, "pause").status_code == 204
    status_is(ops, in_job, "paused")
    what, _, document = cause(ops, in_job)
    assert what == "job_paused" and document["next_eligible_at"] is None
    assert [c["cause"] for c in document["causes"]] == ["job_paused", "start_time"]
    assert "failed" not in document["summary"]  # not started: no try failed

    stopped = scheduler(ops)
    assert ops.http.post(f"/client/{CLIENT_ID}/task_scheduler/{stopped}/pause").status_code == 200
    (in_stopped,) = add(ops, stopped, {"a_number": A_NUMBER, "b_number": b(24)})
    status_is(ops, in_stopped, "paused")
    assert cause(ops, in_stopped)[0] == "scheduler_paused"

    printed = subprocess.run([sys.executable, "-m", "api.cli", "why", str(in_stopped)],
                             env=ops.stack.env, check=True, capture_output=True, text=True,
                             timeout=60).stdout
    assert f"task {in_stopped} (paused)" in printed and "scheduler_paused:" in printed
