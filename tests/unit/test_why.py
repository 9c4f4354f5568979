"""Why a task waits, from its facts and an injected clock: each cause on its own, causes in
a chain (a retry pause ending in closed hours), and what never lets go."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from models.rules import dnc, why
from models.rules.calling import admission
from models.rules.job_state import JobStatus
from models.rules.task_state import TaskStatus
from models.rules.why import Cause

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # Wednesday: 10:00 in New York
NY = "+12125550100"
TASK = why.TaskFacts(
    status=TaskStatus.SCHEDULED, next_attempt_at=NOW, attempts_made=0, finish_comment=None,
    job_status=JobStatus.SCHEDULED, b_number=NY, task_timezone=None,
    screening=dnc.Screening(None), rules=None, history=admission.NumberHistory())
SCHEDULER = why.SchedulerFacts(
    paused=False, concurrent_task_limit=None, running=0, interval_s=0, last_dial_at=None,
    asr_hold_until=None, asr_percent=None, asr_threshold=None)


def rules(windows: dict[str, object] | None = None,
          caps: dict[str, object] | None = None) -> admission.CallingRules:
    parsed = admission.CallingRules.of(windows, caps)
    assert parsed is not None
    return parsed


def causes(explanation: why.Explanation) -> list[Cause]:
    return [reason.cause for reason in explanation.reasons]


def test_a_due_task_with_nothing_holding_it_is_due() -> None:
    explained = why.explain(TASK, SCHEDULER, NOW)
    assert causes(explained) == [Cause.DUE] and explained.next_eligible_at == NOW
    assert explained.waiting


def test_a_later_start_is_its_start_time() -> None:
    later = replace(TASK, next_attempt_at=NOW + timedelta(hours=2))
    explained = why.explain(later, SCHEDULER, NOW)
    assert causes(explained) == [Cause.START_TIME]
    assert explained.next_eligible_at == NOW + timedelta(hours=2)


def test_a_retry_pause_that_ends_in_closed_hours_waits_for_the_opening() -> None:
    """The pause ends at 18:00 in New York, after the 09:00-17:00 window: next morning."""
    delayed = replace(TASK, status=TaskStatus.DELAYED, attempts_made=1,
                      next_attempt_at=NOW + timedelta(hours=8),
                      rules=rules({"calling_windows": {
                          d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu")}}))
    explained = why.explain(delayed, SCHEDULER, NOW)
    assert causes(explained) == [Cause.RETRY_PAUSE, Cause.CALLING_WINDOW]
    thursday_9_ny = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    assert explained.next_eligible_at == thursday_9_ny
    window = explained.reasons[1]
    assert window.data["zones"][0]["zone"] == "America/New_York"
    assert "18:00 in America/New_York" in window.detail


def test_a_number_cap_names_its_rule_and_time() -> None:
    capped = replace(TASK, rules=rules(caps={"per_24h": 1}),
                     history=admission.NumberHistory([NOW - timedelta(hours=1)]))
    explained = why.explain(capped, SCHEDULER, NOW)
    assert causes(explained) == [Cause.NUMBER_CAP]
    assert explained.reasons[0].data == {"rule": "per_24h"}
    assert explained.next_eligible_at == NOW + timedelta(hours=23)


def test_pacing_holds_a_due_task() -> None:
    busy = replace(SCHEDULER, concurrent_task_limit=2, running=2, interval_s=60,
                   last_dial_at=NOW - timedelta(seconds=20), asr_hold_until=NOW + timedelta(
                       minutes=5), asr_percent=12.5, asr_threshold=30.0)
    explained = why.explain(TASK, busy, NOW)
    assert causes(explained) == [Cause.CONCURRENCY, Cause.INTERVAL, Cause.ASR_HOLD]
    assert explained.next_eligible_at is None  # a limit frees when a try ends: not known
    spaced = replace(SCHEDULER, interval_s=60, last_dial_at=NOW - timedelta(seconds=20))
    assert why.explain(TASK, spaced, NOW).next_eligible_at == NOW + timedelta(seconds=40)
    assert "12.5 %" in explained.reasons[2].detail


def test_pauses_have_no_time() -> None:
    paused = replace(TASK, status=TaskStatus.PAUSED, job_status=JobStatus.PAUSED)
    explained = why.explain(paused, replace(SCHEDULER, paused=True), NOW)
    assert causes(explained) == [Cause.JOB_PAUSED, Cause.SCHEDULER_PAUSED]
    assert explained.next_eligible_at is None


def test_a_task_paused_before_its_start_is_told_its_start_not_a_failed_try() -> None:
    """Its job paused before its first try: no try failed, its start is still to come."""
    paused = replace(TASK, status=TaskStatus.PAUSED, job_status=JobStatus.PAUSED,
                     next_attempt_at=NOW + timedelta(hours=1))
    explained = why.explain(paused, SCHEDULER, NOW)
    assert causes(explained) == [Cause.JOB_PAUSED, Cause.START_TIME]
    assert "failed" not in explained.document()["summary"]
    retried = replace(paused, attempts_made=1)
    assert why.explain(retried, SCHEDULER, NOW).reasons[1].cause is Cause.RETRY_PAUSE


def test_a_listed_number_is_said_to_end_the_task() -> None:
    listed = replace(TASK, next_attempt_at=NOW + timedelta(hours=1), screening=dnc.Screening(
        "do-not-call: B number +12125550100 is on the client's do-not-call list"))
    explained = why.explain(listed, SCHEDULER, NOW)
    assert causes(explained) == [Cause.DO_NOT_CALL] and explained.next_eligible_at is None
    assert "client's do-not-call list" in explained.reasons[0].detail


def test_running_and_final_tasks_are_not_waiting() -> None:
    running = replace(TASK, status=TaskStatus.EXECUTED, attempts_made=2, running_since=NOW)
    assert causes(why.explain(running, SCHEDULER, NOW)) == [Cause.TRY_RUNNING]
    done = replace(TASK, status=TaskStatus.FINISHED, finish_comment="A and B connected")
    explained = why.explain(done, SCHEDULER, NOW)
    assert not explained.waiting and causes(explained) == [Cause.FINISHED]
    assert explained.document()["summary"] == "finished: A and B connected"


def test_a_window_that_never_opens_gives_no_time() -> None:
    never = replace(TASK, rules=rules({"calling_windows": {"mon": []}}))
    explained = why.explain(never, SCHEDULER, NOW)
    assert causes(explained) == [Cause.CALLING_WINDOW] and explained.next_eligible_at is None
    assert "never opens" in explained.reasons[0].detail


def test_a_task_a_window_holds_is_told_by_the_window_read_now() -> None:
    """With the zone and its local time, not only the time it was held until."""
    opening = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 12:00 in New York
    held = replace(TASK, status=TaskStatus.DELAYED_CALLING_WINDOW, next_attempt_at=opening,
                   rules=rules({"calling_windows": {"wed": [["12:00", "13:00"]]}}))
    explained = why.explain(held, SCHEDULER, NOW)
    (reason,) = explained.reasons
    assert reason.cause is Cause.CALLING_WINDOW and reason.until == opening
    assert reason.data["zones"][0]["local_time"].startswith("2026-11-25T10:00")
    assert explained.next_eligible_at == opening
