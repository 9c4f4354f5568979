from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.outcome import CallOutcome, Leg, LegResult
from worker.dialers.base import DialRequest
from worker.dialers.sim import Scenario, SimDialer

NOW = datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC)
A1 = "+15550000001"
A2 = "+15550000011"
A3 = "+15550000021"
B = "+15550000002"
LOG_KEYS = {"attempt_id", "task_id", "attempt_no", "leg", "number", "time"}


def _write(path: Path, **raw: Any) -> Path:
    path.write_text(json.dumps(raw))
    return path


def _scenario(tmp_path: Path, **raw: Any) -> Scenario:
    raw.setdefault("originate_seconds", 0)
    return Scenario.load(_write(tmp_path / "scenario.json", **raw))


def _request(
    a_numbers: tuple[str, ...] = (A1,), b_number: str = B, attempt_no: int = 1
) -> DialRequest:
    return DialRequest(
        attempt_id=11, task_id=22, attempt_no=attempt_no, a_numbers=a_numbers, b_number=b_number
    )


def _log_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def _dial(dialer: SimDialer, request: DialRequest, at: datetime = NOW) -> CallOutcome:
    placed = dialer.originate(request, at)
    outcome = dialer.poll(placed.ref, placed.check_at)
    assert outcome is not None
    return outcome


# Scenario ----------------------------------------------------------------------------


def test_load_none_is_all_answer() -> None:
    scenario = Scenario.load(None)
    assert scenario == Scenario()
    assert scenario.result(A1, 1) is LegResult.ANSWER


def test_load_reads_every_field(tmp_path: Path) -> None:
    scenario = Scenario.load(
        _write(
            tmp_path / "s.json",
            default="busy",
            numbers={A1: ["no_answer", "answer"]},
            ring_seconds=5,
            talk_seconds=10,
            originate_seconds=0,
        )
    )
    assert scenario.default is LegResult.BUSY
    assert scenario.numbers == {A1: (LegResult.NO_ANSWER, LegResult.ANSWER)}
    assert scenario.ring_seconds == 5.0
    assert scenario.talk_seconds == 10.0
    assert scenario.originate_seconds == 0.0


def test_load_defaults(tmp_path: Path) -> None:
    scenario = Scenario.load(_write(tmp_path / "s.json"))
    assert scenario == Scenario()


def test_load_refuses_unknown_result(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Scenario.load(_write(tmp_path / "s.json", numbers={A1: ["maybe"]}))


def test_result_picks_nth_entry_and_repeats_last(tmp_path: Path) -> None:
    scenario = _scenario(
        tmp_path, default="failed", numbers={A1: ["busy", "no_answer", "answer"]}
    )
    assert scenario.result(A1, 1) is LegResult.BUSY
    assert scenario.result(A1, 2) is LegResult.NO_ANSWER
    assert scenario.result(A1, 3) is LegResult.ANSWER
    assert scenario.result(A1, 4) is LegResult.ANSWER
    assert scenario.result(A1, 50) is LegResult.ANSWER


def test_result_default_for_unknown_number(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, default="rejected", numbers={A1: ["answer"]})
    assert scenario.result("+15559999999", 1) is LegResult.REJECTED
    assert scenario.result("+15559999999", 7) is LegResult.REJECTED


def test_result_empty_list_falls_back_to_default(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, default="busy", numbers={A1: []})
    assert scenario.result(A1, 1) is LegResult.BUSY


# Timing ------------------------------------------------------------------------------


def test_zero_ring_outcome_known_at_once(tmp_path: Path) -> None:
    dialer = SimDialer(_scenario(tmp_path, ring_seconds=0, talk_seconds=0))
    placed = dialer.originate(_request(), NOW)
    assert placed.check_at == NOW
    outcome = dialer.poll(placed.ref, NOW)
    assert outcome is not None
    assert outcome.connected


def test_connected_call_ends_after_both_rings_and_talk(tmp_path: Path) -> None:
    ring, talk = 5, 10
    dialer = SimDialer(_scenario(tmp_path, ring_seconds=ring, talk_seconds=talk))
    placed = dialer.originate(_request(), NOW)
    ends_at = NOW + timedelta(seconds=ring + ring + talk)  # A ring + B ring + talk
    assert ends_at == NOW + timedelta(seconds=20)
    assert placed.check_at == ends_at
    assert dialer.poll(placed.ref, NOW) is None
    assert dialer.poll(placed.ref, NOW + timedelta(seconds=4)) is None
    assert dialer.poll(placed.ref, ends_at - timedelta(microseconds=1)) is None
    outcome = dialer.poll(placed.ref, ends_at)
    assert outcome is not None
    assert outcome.connected
    assert outcome.talk_seconds == talk
    assert dialer.poll(placed.ref, ends_at + timedelta(hours=1)) == outcome


def test_unanswered_a_leg_ends_after_one_ring(tmp_path: Path) -> None:
    ring, talk = 5, 10
    dialer = SimDialer(
        _scenario(tmp_path, ring_seconds=ring, talk_seconds=talk, numbers={A1: ["no_answer"]})
    )
    placed = dialer.originate(_request(), NOW)
    assert placed.check_at == NOW + timedelta(seconds=ring)
    assert dialer.poll(placed.ref, NOW + timedelta(seconds=4)) is None
    outcome = dialer.poll(placed.ref, NOW + timedelta(seconds=ring))
    assert outcome is not None
    assert not outcome.a_answered
    assert outcome.talk_seconds == 0


def test_unanswered_b_leg_ends_after_two_rings(tmp_path: Path) -> None:
    ring, talk = 5, 10
    dialer = SimDialer(
        _scenario(tmp_path, ring_seconds=ring, talk_seconds=talk, numbers={B: ["busy"]})
    )
    placed = dialer.originate(_request(), NOW)
    assert placed.check_at == NOW + timedelta(seconds=ring + ring)


def test_poll_none_is_none(tmp_path: Path) -> None:
    dialer = SimDialer(_scenario(tmp_path))
    assert dialer.poll(None, NOW) is None


# A leg -------------------------------------------------------------------------------


def test_first_answering_a_number_wins_and_all_are_logged(tmp_path: Path) -> None:
    log = tmp_path / "dial.log"
    dialer = SimDialer(
        _scenario(tmp_path, numbers={A1: ["busy"], A2: ["answer"], A3: ["answer"]}), log
    )
    outcome = _dial(dialer, _request(a_numbers=(A1, A2, A3)))
    assert outcome.connected
    lines = _log_lines(log)
    assert [(line["leg"], line["number"]) for line in lines] == [
        ("A", A1),
        ("A", A2),
        ("A", A3),
        ("B", B),
    ]


def test_no_a_number_answers(tmp_path: Path) -> None:
    log = tmp_path / "dial.log"
    dialer = SimDialer(
        _scenario(tmp_path, numbers={A1: ["no_answer"], A2: ["busy"], A3: ["rejected"]}), log
    )
    outcome = _dial(dialer, _request(a_numbers=(A1, A2, A3)))
    assert not outcome.a_answered
    assert not outcome.b_answered
    assert not outcome.connected
    assert outcome.failed_leg is Leg.A
    assert outcome.cause is LegResult.NO_ANSWER
    assert outcome.failed_number == A1
    assert outcome.cdr is None
    lines = _log_lines(log)
    assert [line["number"] for line in lines] == [A1, A2, A3]
    assert {line["leg"] for line in lines} == {"A"}
    assert B not in {line["number"] for line in lines}


def test_a_result_follows_attempt_no(tmp_path: Path) -> None:
    dialer = SimDialer(_scenario(tmp_path, numbers={A1: ["busy", "answer"]}))
    first = _dial(dialer, _request(attempt_no=1))
    second = _dial(dialer, _request(attempt_no=2))
    assert first.cause is LegResult.BUSY
    assert second.connected


# B leg -------------------------------------------------------------------------------


def test_b_busy_fails_on_b(tmp_path: Path) -> None:
    dialer = SimDialer(_scenario(tmp_path, numbers={B: ["busy"]}))
    outcome = _dial(dialer, _request())
    assert outcome.a_answered
    assert not outcome.b_answered
    assert not outcome.connected
    assert outcome.failed_leg is Leg.B
    assert outcome.cause is LegResult.BUSY
    assert outcome.failed_number == B
    assert outcome.cdr is None
    assert outcome.describe() == f"B leg busy ({B})"


def test_connected_has_uuid_cdr_unique_per_call(tmp_path: Path) -> None:
    dialer = SimDialer(_scenario(tmp_path))
    first = _dial(dialer, _request())
    second = _dial(dialer, _request())
    assert first.connected
    assert second.connected
    assert first.failed_leg is None
    assert first.cause is None
    assert isinstance(first.cdr, str)
    assert isinstance(second.cdr, str)
    assert str(uuid.UUID(first.cdr)) == first.cdr
    assert str(uuid.UUID(second.cdr)) == second.cdr
    assert first.cdr != second.cdr


# Dial log ----------------------------------------------------------------------------


def test_dial_log_has_one_json_line_per_number(tmp_path: Path) -> None:
    ring = 5
    log = tmp_path / "dial.log"
    dialer = SimDialer(_scenario(tmp_path, ring_seconds=ring), log)
    request = DialRequest(
        attempt_id=101, task_id=202, attempt_no=3, a_numbers=(A1, A2), b_number=B
    )
    dialer.originate(request, NOW)
    raw_lines = log.read_text().splitlines()
    assert len(raw_lines) == 3
    lines = [json.loads(line) for line in raw_lines]
    for line in lines:
        assert set(line) == LOG_KEYS
        assert line["attempt_id"] == 101
        assert line["task_id"] == 202
        assert line["attempt_no"] == 3
    assert lines[0] == {**lines[0], "leg": "A", "number": A1, "time": NOW.isoformat()}
    assert lines[1] == {**lines[1], "leg": "A", "number": A2, "time": NOW.isoformat()}
    b_time = (NOW + timedelta(seconds=ring)).isoformat()
    assert lines[2] == {**lines[2], "leg": "B", "number": B, "time": b_time}


def test_dial_log_appends_across_calls(tmp_path: Path) -> None:
    log = tmp_path / "dial.log"
    dialer = SimDialer(_scenario(tmp_path), log)
    dialer.originate(_request(), NOW)
    dialer.originate(_request(attempt_no=2), NOW)
    assert [line["attempt_no"] for line in _log_lines(log)] == [1, 1, 2, 2]


def test_no_dial_log_writes_nothing(tmp_path: Path) -> None:
    dialer = SimDialer(_scenario(tmp_path))
    _dial(dialer, _request())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.json"]
