"""A scheduler's retry rules decide its tries' retries: end to end on real worker and beat
processes (the pause per outcome, a final outcome, uncounted tries), and through dispatch
and completion in this process (a pause growing with the same failure in a row, the cap on
all of a task's tries, a restart starting both afresh)."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from api import enqueue
from api import job_control as api_job_control
from models import clock
from models.rules import limits
from models.rules.job_state import JobTrigger
from models.rules.outcome import CallOutcome, Leg, LegResult
from models.storage.repository import attempts_repo, calls_repo
from scheduler import completion, dispatch
from tests.conftest import StackFactory
from tests.integration.test_core_flow import A_NUMBER, CLIENT_ID, add, attempts_of, task_row
from worker import job_control

B_BUSY = "+15550001001"
B_SILENT = "+15550001002"
B_DECLINES = "+15550001003"
A_BUSY_TWICE = "+15550001004"
TRY_AGAIN_PAUSE_S = 20  # what a try would wait without its rule: longer than any rule here
END_TO_END_RULES = {
    "b_busy": {"pause_s": 1},
    "b_no_answer": {"pause_s": 6},
    "b_rejected": {"final": True},
    "a_busy": {"pause_s": 1, "factor": 2, "spend_try": False},
}


def new_scheduler(engine: sa.Engine, retry_rules: dict[str, Any], name: str = "rules") -> int:
    created = enqueue.create_scheduler(
        engine, CLIENT_ID, {"name": name, "retry_rules": retry_rules}, clock.now())
    return int(created["id"])


def gaps(engine: sa.Engine, task_id: int) -> list[float]:
    """Seconds from each try's end to the next try's claim."""
    return [(later.claimed_at - earlier.ended_at).total_seconds()
            for earlier, later in itertools.pairwise(attempts_of(engine, task_id))]


def test_each_outcome_retries_by_its_rule_on_real_processes(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    stack = stack_factory({"default": "answer", "numbers": {
        B_BUSY: ["busy"], B_SILENT: ["no_answer"], B_DECLINES: ["rejected"],
        A_BUSY_TWICE: ["busy", "busy", "no_answer"]}})
    stack.start_worker()
    stack.start_beat()
    scheduler_id = new_scheduler(engine, END_TO_END_RULES)
    job = add(engine, scheduler_id, [
        {"a_number": a, "b_number": b, "try_count": n, "try_again_pause": TRY_AGAIN_PAUSE_S}
        for a, b, n in [(A_NUMBER, B_BUSY, 3), (A_NUMBER, B_SILENT, 3),
                        (A_NUMBER, B_DECLINES, 3), (A_BUSY_TWICE, B_BUSY, 1)]])
    task_ids = [t["id"] for t in job.tasks]
    busy, silent, declines, uncounted = task_ids

    def all_finished() -> bool:
        return all(task_row(engine, t).status == "finished" for t in task_ids)

    stack.wait_for(all_finished, 30, "the four tasks to finish")

    busy_gaps, silent_gaps = gaps(engine, busy), gaps(engine, silent)
    assert len(busy_gaps) == len(silent_gaps) == 2
    assert all(1 <= gap < 6 for gap in busy_gaps), busy_gaps
    assert all(6 <= gap < TRY_AGAIN_PAUSE_S for gap in silent_gaps), silent_gaps
    assert task_row(engine, busy).finish_comment == (
        f"B leg busy ({B_BUSY}) on try 3 of 3; b_busy: try 3 of 3, none left")
    assert task_row(engine, silent).finish_comment == (
        f"B leg no_answer ({B_SILENT}) on try 3 of 3; b_no_answer: try 3 of 3, none left")
    assert len(attempts_of(engine, declines)) == 1
    assert (task_row(engine, declines).finish_result, task_row(engine, declines).finish_comment
            ) == ("failed", f"B leg rejected ({B_DECLINES}) on try 1 of 3; b_rejected is final")
    # Two busy A legs went uncounted (the pause doubling), then the one counted try failed.
    first, second = gaps(engine, uncounted)
    assert 1 <= first < TRY_AGAIN_PAUSE_S and 2 <= second < TRY_AGAIN_PAUSE_S, (first, second)
    assert [a.cause for a in attempts_of(engine, uncounted)] == ["busy", "busy", "no_answer"]
    assert task_row(engine, uncounted).finish_comment == (
        f"A leg no_answer ({A_BUSY_TWICE}) on try 1 of 1")


def ring(engine: sa.Engine, outcome: CallOutcome, at: datetime) -> list[int]:
    """One try of whatever is due at ``at``, placed and ended with ``outcome``: dispatch,
    the call the dialer would have been handed, and completion collecting it."""
    sent: list[int] = []
    dispatch.dispatch(engine, lambda: at, sent.extend, dispatch.DispatchLimits(batch_max=10))
    with engine.begin() as conn:
        taken = attempts_repo.begin_dialing(conn, sent, at)
        calls_repo.queue_calls(conn, [
            calls_repo.NewCall(a.id, a.task_id, CLIENT_ID, calls_repo.CallUuid(str(uuid.uuid4())),
                               {}) for a in taken], calls_repo.DialerName("sim"), at)
        calls_repo.place_with_fate(conn, [calls_repo.Fate(a.id, outcome, at) for a in taken], at)
    completion.collect_ended_calls(engine, at, 100, sent)
    return sent


def b_fails(cause: LegResult, number: str) -> CallOutcome:
    return CallOutcome(True, False, Leg.B, cause, number)


def test_the_pause_grows_with_the_same_failure_in_a_row(engine: sa.Engine) -> None:
    scheduler_id = new_scheduler(
        engine, {"b_no_answer": {"pause_s": 10, "factor": 2, "max_pause_s": 35}})
    job = add(engine, scheduler_id, [{"a_number": A_NUMBER, "b_number": B_SILENT,
                                      "try_count": 5, "try_again_pause": 7}])
    task_id = job.tasks[0]["id"]
    at = clock.now()
    pauses = []
    for cause in ["busy", "no_answer", "no_answer", "no_answer", "no_answer"]:
        assert len(ring(engine, b_fails(LegResult(cause), B_SILENT), at)) == 1
        task = task_row(engine, task_id)
        if task.next_attempt_at is not None:
            pauses.append((task.next_attempt_at - at).total_seconds())
        at += timedelta(seconds=100)

    # busy has no rule: try_again_pause; then 10, 20, 40 capped at 35; try 5 of 5 ends it.
    assert pauses == [7, 10, 20, 35]
    assert (task.status, task.finish_comment) == ("finished", (
        f"B leg no_answer ({B_SILENT}) on try 5 of 5; b_no_answer: try 5 of 5, none left"))


def test_uncounted_tries_end_at_the_cap_and_a_restart_starts_afresh(engine: sa.Engine) -> None:
    scheduler_id = new_scheduler(engine, {"b_busy": {"pause_s": 0, "spend_try": False}})
    job = add(engine, scheduler_id, [{"a_number": A_NUMBER, "b_number": B_BUSY,
                                      "try_count": 1, "try_again_pause": 0}])
    task_id, busy = job.tasks[0]["id"], b_fails(LegResult.BUSY, B_BUSY)
    for _ in range(limits.TRY_COUNT_MAX):
        assert len(ring(engine, busy, clock.now())) == 1

    task = task_row(engine, task_id)
    assert (task.status, task.finish_result, task.finish_comment) == ("finished", "failed", (
        f"B leg busy ({B_BUSY}) on try 1 of 1; {limits.TRY_COUNT_MAX} tries made in all, the"
        " most a task may make"))
    assert ring(engine, busy, clock.now()) == []  # nothing more to dial

    api_job_control.request_job_action(engine, CLIENT_ID, job.job_id, JobTrigger.RESTART,
                                       clock.now(), lambda _action_id: None)
    job_control.apply_job_actions(engine, job.job_id, clock.now())
    # The earlier execution's tries count neither towards the cap nor the streak.
    assert len(ring(engine, busy, clock.now())) == 1
    assert task_row(engine, task_id).status == "delayed"
    assert len(attempts_of(engine, task_id)) == limits.TRY_COUNT_MAX + 1
