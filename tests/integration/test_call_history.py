"""The call record (call_history) of calls placed by real worker and beat processes with the
simulated dialer, read by their task's `cdr`; legs as a SIP controller writes them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from api import tokens
from api.access import Scope
from models import clock
from models.storage.call_tables import call_legs, calls
from tests.integration.job_fixtures import Ops, OpsFactory, ops_factory
from tests.integration.test_api_errors import error_of
from tests.integration.test_core_flow import A_NUMBER, B_NUMBER, CLIENT_ID

__all__ = ["ops_factory"]
BUSY_A = "+15550000444"
ISO_MS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
TALK_S = 1


def history_path(call_uuid: str, client_id: int = CLIENT_ID) -> str:
    return f"/client/{client_id}/call_history/{call_uuid}"


def finished_task(ops: Ops, task_id: int) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        task = ops.http.get(f"/client/{CLIENT_ID}/task_scheduler/{ops.scheduler_id}/task/"
                            f"{task_id}").json()
        return task if task["status"] == "finished" else None
    return ops.stack.wait_for(probe, 60, f"task {task_id} to finish")


def iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def call_of(ops: Ops, task_id: int) -> sa.Row[Any]:
    with ops.engine.connect() as conn:
        return conn.execute(sa.select(calls).where(calls.c.task_id == task_id)).one()


def add_legs(ops: Ops, call_id: int, start: datetime) -> None:
    """An A and a B leg as a SIP controller writes them, B first: the record lists them in
    the order they were sent."""
    later = [timedelta(seconds=s) for s in range(5)]
    legs = [
        {"leg": "B", "position": 0, "number": B_NUMBER, "sip_call_id": "b-1@ringback",
         "invite_at": start + later[2], "ringing_at": None, "answered_at": start + later[3],
         "ended_at": start + later[4], "status_code": 200, "reason": "OK",
         "hangup_by": "peer"},
        {"leg": "A", "position": 0, "number": A_NUMBER, "sip_call_id": "a-1@ringback",
         "invite_at": start, "ringing_at": start + timedelta(milliseconds=250),
         "answered_at": start + later[1], "ended_at": start + later[4], "status_code": 200,
         "reason": "OK", "hangup_by": "ringback"},
    ]
    with ops.engine.begin() as conn:
        conn.execute(call_legs.insert(), [{"call_id": call_id, "invite": "INVITE ...", **leg}
                                          for leg in legs])


@pytest.fixture
def placed(ops_factory: OpsFactory) -> tuple[Ops, dict[str, Any], dict[str, Any]]:
    """A connected task and a task whose A leg was busy, both finished."""
    ops = ops_factory({"default": "answer", "numbers": {BUSY_A: ["busy"]},
                       "talk_seconds": TALK_S})
    _, (connected_id, busy_id) = ops.add_job([{"a_number": A_NUMBER, "b_number": B_NUMBER},
                                              {"a_number": BUSY_A, "b_number": B_NUMBER}])
    return ops, finished_task(ops, connected_id), finished_task(ops, busy_id)


def test_a_connected_call_is_read_by_its_cdr_with_the_legs_sent(
    placed: tuple[Ops, dict[str, Any], dict[str, Any]]
) -> None:
    ops, task, _ = placed
    assert task["finish_result"] == "success" and task["cdr"]
    call = call_of(ops, task["id"])
    start = call.placed_at
    add_legs(ops, call.id, start)
    response = ops.http.get(history_path(task["cdr"]))
    assert response.status_code == 200, response.text
    record = response.json()
    assert {k: record[k] for k in ("call_uuid", "task_id", "scheduler_id", "attempt_no",
                                   "status", "dialer", "talk_seconds")} == {
        "call_uuid": task["cdr"], "task_id": task["id"], "scheduler_id": ops.scheduler_id,
        "attempt_no": 1, "status": "ended", "dialer": "sim", "talk_seconds": TALK_S}
    assert record["outcome"] == {"a_answered": True, "b_answered": True, "failed_leg": None,
                                 "cause": None, "failed_number": None, "code": None,
                                 "reason": None}
    for field in ("queued_time", "placed_time", "end_time"):
        assert ISO_MS.fullmatch(record[field]), record[field]
    assert record["placed_time"] == iso_ms(start)
    a_leg, b_leg = record["legs"]
    assert (a_leg["leg"], a_leg["call_id"], b_leg["leg"], b_leg["call_id"]) == (
        "A", "a-1@ringback", "B", "b-1@ringback")
    assert a_leg["ringing_time"] == iso_ms(start + timedelta(milliseconds=250))
    assert (b_leg["ringing_time"], b_leg["status_code"], b_leg["hangup_by"]) == (
        None, 200, "peer")
    assert set(a_leg) == {"leg", "number", "call_id", "invite_time", "ringing_time",
                          "answer_time", "end_time", "status_code", "reason", "hangup_by"}
    upper = ops.http.get(history_path(task["cdr"].upper()))
    assert upper.status_code == 200 and upper.json() == record


def test_an_unanswered_call_shows_its_cause_and_no_talk_time(
    placed: tuple[Ops, dict[str, Any], dict[str, Any]]
) -> None:
    ops, _, busy = placed
    assert busy["finish_result"] == "failed" and busy["cdr"] is None
    call_uuid = call_of(ops, busy["id"]).uuid
    record = ops.http.get(history_path(call_uuid)).json()
    assert (record["task_id"], record["talk_seconds"], record["legs"]) == (busy["id"], 0, [])
    assert record["outcome"] == {"a_answered": False, "b_answered": False, "failed_leg": "A",
                                 "cause": "busy", "failed_number": BUSY_A, "code": None,
                                 "reason": None}


def test_another_client_and_unknown_or_malformed_ids_get_404(
    placed: tuple[Ops, dict[str, Any], dict[str, Any]]
) -> None:
    ops, task, _ = placed
    other = 8
    other_token = tokens.create_token(ops.engine, other, frozenset(Scope), clock.now())
    with httpx.Client(base_url=str(ops.http.base_url), timeout=30,
                      headers={"Authorization": f"Bearer {other_token}"}) as theirs:
        for path in (history_path(task["cdr"], other), history_path(task["cdr"])):
            response = theirs.get(path)
            error_of(response, 404)
            assert B_NUMBER.encode() not in response.content
        assert theirs.get(history_path("00000000-0000-4000-8000-000000000000", other)
                          ).status_code == 404
    for unknown in ("00000000-0000-4000-8000-000000000000", "not-a-uuid", task["cdr"] + "0",
                    "%00", task["cdr"][:-1] + "\u00e9"):
        error_of(ops.http.get(history_path(unknown)), 404)
    writer_only = tokens.create_token(ops.engine, CLIENT_ID, frozenset({Scope.TASKS_WRITE}),
                                      clock.now())
    refused = ops.http.get(history_path(task["cdr"]),
                           headers={"Authorization": f"Bearer {writer_only}"})
    assert "tasks:read" in error_of(refused, 403)["message"]
