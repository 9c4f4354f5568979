"""The record of one try's call as clients read it (call_history): its times, outcome and
the legs the SIP controller sent. Pure. The outcome is what the dialer wrote
(CallOutcome.to_json); a SIP controller may add `code` and `reason`, an older row may lack
them, and anything of the wrong type reads as absent rather than failing the record."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from models.rules import timefmt


def call_record_object(
    call: Mapping[Any, Any], legs: Sequence[Mapping[Any, Any]]
) -> dict[str, Any]:
    """``call``: a calls row with its try's attempt_no and its task's scheduler_id."""
    outcome = call["outcome"] if isinstance(call["outcome"], Mapping) else None
    return {
        "call_uuid": call["uuid"], "task_id": call["task_id"],
        "scheduler_id": call["scheduler_id"], "attempt_no": call["attempt_no"],
        "status": call["status"], "dialer": call["dialer"],
        "queued_time": timefmt.iso(call["queued_at"]),
        "placed_time": timefmt.iso(call["placed_at"]),
        "end_time": timefmt.iso(call["ended_at"]),
        "talk_seconds": talk_seconds(outcome),
        "outcome": None if outcome is None else outcome_object(outcome),
        "legs": [leg_object(leg) for leg in legs],
    }


def outcome_object(outcome: Mapping[Any, Any]) -> dict[str, Any]:
    code = outcome.get("code")
    return {
        "a_answered": _connected_leg(outcome, "a_answered"),
        "b_answered": _connected_leg(outcome, "b_answered"),
        "failed_leg": _text(outcome.get("failed_leg")), "cause": _text(outcome.get("cause")),
        "failed_number": _text(outcome.get("failed_number")),
        "code": code if isinstance(code, int) and not isinstance(code, bool) else None,
        "reason": _text(outcome.get("reason")),
    }


def talk_seconds(outcome: Mapping[Any, Any] | None) -> float:
    """The outcome's talk time when A and B connected; 0 for any other call."""
    if outcome is None or not (_connected_leg(outcome, "a_answered")
                               and _connected_leg(outcome, "b_answered")):
        return 0.0
    seconds = outcome.get("talk_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(
            seconds):
        return 0.0
    return max(0.0, float(seconds))


def leg_object(leg: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "leg": leg["leg"], "number": leg["number"], "call_id": leg["sip_call_id"],
        "invite_time": timefmt.iso(leg["invite_at"]),
        "ringing_time": timefmt.iso(leg["ringing_at"]),
        "answer_time": timefmt.iso(leg["answered_at"]),
        "end_time": timefmt.iso(leg["ended_at"]),
        "status_code": leg["status_code"], "reason": leg["reason"],
        "hangup_by": leg["hangup_by"],
    }


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _connected_leg(outcome: Mapping[Any, Any], flag: str) -> bool:
    # Read as CallOutcome.from_json reads it, so the record agrees with how the try ended.
    return bool(outcome.get(flag))
