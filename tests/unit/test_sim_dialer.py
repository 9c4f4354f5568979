from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.rules.outcome import CallOutcome, Leg, LegResult
from worker.dialers import sim
from worker.dialers.base import DialRequest, QueuedCall
from worker.dialers.sim import Scenario

NOW = datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC)
A1 = "+15550000001"
A2 = "+15550000011"
A3 = "+15550000021"
B = "+15550000002"
CALL_UUID = "0d1c8a53-5ab1-4c36-9b1f-5f8f3f1f2c11"


def _write(path: Path, **raw: Any) -> Path:
    path.write_text(json.dumps(raw))
    return path


def _scenario(tmp_path: Path, **raw: Any) -> Scenario:
    raw.setdefault("originate_seconds", 0)
    return Scenario.load(_write(tmp_path / "scenario.json", **raw))


def _call(
    a_numbers: tuple[str, ...] = (A1,), b_number: str = B, attempt_no: int = 1
) -> QueuedCall:
    return QueuedCall(CALL_UUID, DialRequest(
        attempt_id=11, task_id=22, attempt_no=attempt_no, a_numbers=a_numbers, b_number=b_number
    ))


def _fate(scenario: Scenario, call: QueuedCall | None = None) -> tuple[CallOutcome, datetime,
                                                                       list[sim.Dial]]:
    fate, dials = sim.fate(scenario, call or _call(), NOW)
    assert fate.attempt_id == 11
    return fate.outcome, fate.ends_at, dials


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


# Timing: when the outcome is known --------------------------------------------------


def test_zero_ring_outcome_known_at_once(tmp_path: Path) -> None:
    outcome, ends_at, _ = _fate(_scenario(tmp_path, ring_seconds=0, talk_seconds=0))
    assert ends_at == NOW
    assert outcome.connected


def test_connected_call_ends_after_both_rings_and_talk(tmp_path: Path) -> None:
    ring, talk = 5, 10
    outcome, ends_at, _ = _fate(_scenario(tmp_path, ring_seconds=ring, talk_seconds=talk))
    assert ends_at == NOW + timedelta(seconds=20)  # A ring + B ring + talk
    assert outcome.connected
    assert outcome.talk_seconds == talk


def test_unanswered_a_leg_ends_after_one_ring(tmp_path: Path) -> None:
    outcome, ends_at, _ = _fate(_scenario(tmp_path, ring_seconds=5, talk_seconds=10,
                                          numbers={A1: ["no_answer"]}))
    assert ends_at == NOW + timedelta(seconds=5)
    assert not outcome.a_answered
    assert outcome.talk_seconds == 0


def test_unanswered_b_leg_ends_after_two_rings(tmp_path: Path) -> None:
    _, ends_at, _ = _fate(_scenario(tmp_path, ring_seconds=5, talk_seconds=10,
                                    numbers={B: ["busy"]}))
    assert ends_at == NOW + timedelta(seconds=10)


# A leg -------------------------------------------------------------------------------


def test_first_answering_a_number_wins_and_all_are_rung(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, numbers={A1: ["busy"], A2: ["answer"], A3: ["answer"]})
    outcome, _, dials = _fate(scenario, _call(a_numbers=(A1, A2, A3)))
    assert outcome.connected
    assert [(d.leg, d.number) for d in dials] == [
        (Leg.A, A1), (Leg.A, A2), (Leg.A, A3), (Leg.B, B)]


def test_no_a_number_answers(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, numbers={A1: ["no_answer"], A2: ["busy"], A3: ["rejected"]})
    outcome, _, dials = _fate(scenario, _call(a_numbers=(A1, A2, A3)))
    assert not outcome.a_answered
    assert not outcome.b_answered
    assert not outcome.connected
    assert outcome.failed_leg is Leg.A
    assert outcome.cause is LegResult.NO_ANSWER
    assert outcome.failed_number == A1
    assert outcome.cdr is None
    assert [d.number for d in dials] == [A1, A2, A3]
    assert {d.leg for d in dials} == {Leg.A}


def test_a_result_follows_attempt_no(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, numbers={A1: ["busy", "answer"]})
    first, _, _ = _fate(scenario, _call(attempt_no=1))
    second, _, _ = _fate(scenario, _call(attempt_no=2))
    assert first.cause is LegResult.BUSY
    assert second.connected


# B leg -------------------------------------------------------------------------------


def test_b_busy_fails_on_b(tmp_path: Path) -> None:
    outcome, _, _ = _fate(_scenario(tmp_path, numbers={B: ["busy"]}))
    assert outcome.a_answered
    assert not outcome.b_answered
    assert not outcome.connected
    assert outcome.failed_leg is Leg.B
    assert outcome.cause is LegResult.BUSY
    assert outcome.failed_number == B
    assert outcome.cdr is None
    assert outcome.describe() == f"B leg busy ({B})"


def test_a_connected_calls_cdr_is_the_calls_own_id(tmp_path: Path) -> None:
    outcome, _, _ = _fate(_scenario(tmp_path))
    assert outcome.connected
    assert outcome.failed_leg is None and outcome.cause is None
    assert outcome.cdr == CALL_UUID


def test_b_is_rung_once_a_answered(tmp_path: Path) -> None:
    _, _, dials = _fate(_scenario(tmp_path, ring_seconds=5), _call(a_numbers=(A1, A2)))
    assert [(d.leg, d.number, d.at) for d in dials] == [
        (Leg.A, A1, NOW), (Leg.A, A2, NOW), (Leg.B, B, NOW + timedelta(seconds=5))]


def test_outcomes_survive_their_json_form() -> None:
    for outcome in (CallOutcome(True, True, cdr="x", talk_seconds=3.5),
                    CallOutcome(True, False, Leg.B, LegResult.BUSY, B),
                    CallOutcome(False, False, placed=False)):
        assert CallOutcome.from_json(json.loads(json.dumps(outcome.to_json()))) == outcome
