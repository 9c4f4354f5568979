"""Invariant 1: one try dials at most once, whatever is killed or sent twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from models import clock
from models.settings import Settings
from models.storage.repository import schedulers_repo
from scheduler import dispatch
from tests import support
from tests.conftest import StackFactory
from tests.integration.test_core_flow import (
    A_NUMBER,
    B_NUMBER,
    add,
    attempts_of,
    finished,
    new_scheduler,
)
from worker import calls, runtime
from worker.dialers.sim import Scenario, SimDialer
from worker.webhook_senders import RecordingWebhookSender


def dials_per_try(dial_log: Path, task_id: int) -> Counter[tuple[int, str, str]]:
    return Counter(
        (d["attempt_no"], d["leg"], d["number"])
        for d in support.read_dial_log(dial_log) if d["task_id"] == task_id
    )


def test_a_worker_killed_while_dialling_causes_no_second_dial_and_the_task_ends(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    # The network takes 2 s to accept a call, so the kill lands after the dial and before
    # the worker has collected anything; the message is redelivered after 5 s. The call
    # was placed, so it is collected from its call row: not lost, not dialled again.
    stack = stack_factory({"default": "answer", "originate_seconds": 2},
                          broker_visibility_timeout_s=5, call_timeout_s=1, lost_grace_s=3)
    stack.start_worker()
    stack.start_beat()
    dial_log = stack.workdir / "dial.log"
    scheduler_id = new_scheduler(engine)
    job = add(engine, scheduler_id, [{"a_number": A_NUMBER, "b_number": B_NUMBER,
                                      "try_count": 2, "try_again_pause": 0}])
    task_id = job.tasks[0]["id"]

    stack.wait_for(lambda: dials_per_try(dial_log, task_id), 30, "the first dial")
    stack.kill("worker")
    stack.start_worker("worker2")
    row = stack.wait_for(lambda: finished(engine, task_id), 60, "the task to finish")

    dials = dials_per_try(dial_log, task_id)
    assert dials[(1, "A", A_NUMBER)] == 1
    assert max(dials.values()) == 1, dials
    tries = attempts_of(engine, task_id)
    assert [(a.attempt_no, a.status) for a in tries] == [(1, "completed")]
    assert row.finish_result == "success"


def test_a_try_delivered_twice_dials_once(database_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=database_url, broker_url="memory://",
                        sim_dial_log=tmp_path / "dial.log")
    with support.engine_for(database_url) as engine:
        rt = runtime.Runtime(settings, engine, SimDialer(engine, Scenario(), settings.sim_dial_log),
                             RecordingWebhookSender())
        scheduler_id = new_scheduler(engine)
        job = add(engine, scheduler_id, [{"a_number": A_NUMBER, "b_number": B_NUMBER}])
        sent: list[int] = []
        dispatch.dispatch(engine, clock.now, sent.extend, dispatch.DispatchLimits(batch_max=100))
        assert len(sent) == 1

        first = calls.place_calls(rt, [sent[0]]) == 1
        second = calls.place_calls(rt, [sent[0]]) == 1

        assert (first, second) == (True, False)
        task_id = job.tasks[0]["id"]
        assert dials_per_try(tmp_path / "dial.log", task_id) == Counter(
            {(1, "A", A_NUMBER): 1, (1, "B", B_NUMBER): 1})
        assert finished(engine, task_id) is not None
        assert len(attempts_of(engine, task_id)) == 1


def test_two_dispatchers_at_once_claim_each_task_once(engine: sa.Engine) -> None:
    scheduler_id = new_scheduler(engine)
    job = add(engine, scheduler_id,
              [{"a_number": f"+1555{i:07d}", "b_number": B_NUMBER} for i in range(200)])
    first: list[int] = []
    second: list[int] = []
    with engine.begin() as conn:
        # The first dispatcher holds the scheduler's lock while the second one runs.
        assert schedulers_repo.lock_scheduler(conn, scheduler_id)
        held = dispatch.dispatch_scheduler(engine, scheduler_id, clock.now, second.extend,
                                            dispatch.DispatchLimits(batch_max=500))
        assert held == 0
    dispatch.dispatch(engine, clock.now, first.extend, dispatch.DispatchLimits(batch_max=500))
    dispatch.dispatch(engine, clock.now, second.extend, dispatch.DispatchLimits(batch_max=500))
    assert len(first) == 200 and second == []
    assert {len(attempts_of(engine, t["id"])) for t in job.tasks} == {1}
