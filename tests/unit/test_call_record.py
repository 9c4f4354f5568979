"""The call record as clients read it: times in ISO 8601, the outcome as the dialer wrote it
(keys it lacks read as null), talk time only for connected calls, legs in the order given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from api import call_record
from models.rules.outcome import CallOutcome, Leg, LegResult

T0 = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def call_row(outcome: dict[str, Any] | None, **overrides: Any) -> dict[str, Any]:
    return {"id": 1, "uuid": "0b0e8f3c-5a55-4c1e-9d1e-1d6f2f7b9a10", "task_id": 5,
            "scheduler_id": 3, "attempt_no": 2, "status": "ended", "dialer": "sip",
            "queued_at": T0, "placed_at": T0 + timedelta(seconds=1), "ended_at": None,
            "outcome": outcome, **overrides}


def leg_row(leg: str, number: str, **overrides: Any) -> dict[str, Any]:
    return {"leg": leg, "number": number, "sip_call_id": f"{leg}-{number}@ringback",
            "invite_at": T0, "ringing_at": None, "answered_at": None, "ended_at": None,
            "status_code": None, "reason": None, "hangup_by": None, **overrides}


def test_a_connected_call_shows_its_talk_time_and_times_with_milliseconds() -> None:
    outcome = CallOutcome(True, True, cdr="x", talk_seconds=42.5).to_json()
    record = call_record.call_record_object(
        call_row(outcome, ended_at=T0 + timedelta(seconds=50)), [])
    assert record == {
        "call_uuid": "0b0e8f3c-5a55-4c1e-9d1e-1d6f2f7b9a10", "task_id": 5, "scheduler_id": 3,
        "attempt_no": 2, "status": "ended", "dialer": "sip",
        "queued_time": "2031-05-06T07:08:09.123Z", "placed_time": "2031-05-06T07:08:10.123Z",
        "end_time": "2031-05-06T07:08:59.123Z", "talk_seconds": 42.5,
        "outcome": {"a_answered": True, "b_answered": True, "failed_leg": None, "cause": None,
                    "failed_number": None, "code": None, "reason": None},
        "legs": [],
    }


def test_an_unconnected_call_talked_for_no_time_and_keeps_code_and_reason() -> None:
    outcome = {**CallOutcome(True, False, Leg.B, LegResult.BUSY, "+15550000002").to_json(),
               "talk_seconds": 9.0, "code": 486, "reason": "Busy Here"}
    record = call_record.call_record_object(call_row(outcome), [])
    assert record["talk_seconds"] == 0.0
    assert record["outcome"] == {"a_answered": True, "b_answered": False, "failed_leg": "B",
                                 "cause": "busy", "failed_number": "+15550000002",
                                 "code": 486, "reason": "Busy Here"}


def test_a_call_without_outcome_or_with_odd_values_still_reads() -> None:
    assert call_record.call_record_object(call_row(None, placed_at=None), [])[
        "outcome"] is None
    odd = {"a_answered": True, "b_answered": True, "talk_seconds": "long", "code": True,
           "reason": 5}
    record = call_record.call_record_object(call_row(odd), [])
    assert record["talk_seconds"] == 0.0
    assert (record["outcome"]["code"], record["outcome"]["reason"]) == (None, None)
    assert call_record.talk_seconds({"a_answered": True, "b_answered": True,
                                     "talk_seconds": float("inf")}) == 0.0


def test_legs_are_rendered_in_the_order_given() -> None:
    answered = leg_row("A", "+15550000001", ringing_at=T0 + timedelta(seconds=1),
                       answered_at=T0 + timedelta(seconds=3),
                       ended_at=T0 + timedelta(seconds=60), status_code=200, reason="OK",
                       hangup_by="peer")
    cancelled = leg_row("A", "+15550000003", status_code=487, reason="Request Terminated",
                        hangup_by="ringback")
    record = call_record.call_record_object(call_row(None), [answered, cancelled])
    assert record["legs"] == [
        {"leg": "A", "number": "+15550000001", "call_id": "A-+15550000001@ringback",
         "invite_time": "2031-05-06T07:08:09.123Z", "ringing_time": "2031-05-06T07:08:10.123Z",
         "answer_time": "2031-05-06T07:08:12.123Z", "end_time": "2031-05-06T07:09:09.123Z",
         "status_code": 200, "reason": "OK", "hangup_by": "peer"},
        {"leg": "A", "number": "+15550000003", "call_id": "A-+15550000003@ringback",
         "invite_time": "2031-05-06T07:08:09.123Z", "ringing_time": None, "answer_time": None,
         "end_time": None, "status_code": 487, "reason": "Request Terminated",
         "hangup_by": "ringback"},
    ]
