"""Webhooks to real HTTP receivers on 127.0.0.1, sent by real worker and beat processes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from models import clock
from models.rules import webhooks
from models.storage.tables import clients, events
from tests.conftest import StackFactory
from tests.integration.test_core_flow import (
    A_NUMBER,
    B_NUMBER,
    CLIENT_ID,
    add,
    finished,
    new_scheduler,
)
from tests.receiver import Answer, Receiver

FAST_WEBHOOKS = {"webhook_allow_private": "true", "webhook_retry_base_s": 0.2,
                 "webhook_retry_cap_s": 2, "deliver_events_interval_s": 0.25,
                 "webhook_timeout_s": 3}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


def client_secret(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        secret = conn.execute(sa.select(clients.c.webhook_secret).where(
            clients.c.id == CLIENT_ID)).scalar_one()
    return str(secret)


def task_urls(receiver: Receiver, path: str) -> dict[str, str]:
    return {f"url_{kind}": receiver.url(f"{path}/{kind}")
            for kind in ("before", "before_again", "success", "after")}


def delivery_rows(engine: sa.Engine, task_id: int) -> list[sa.Row[Any]]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(events).where(events.c.task_id == task_id)
                                 .order_by(events.c.seq)).all())


def test_the_four_events_arrive_in_order_per_task_with_valid_signatures(
    engine: sa.Engine, stack_factory: StackFactory, receiver: Receiver
) -> None:
    stack = stack_factory({"default": "answer",
                           "numbers": {A_NUMBER: ["busy", "answer"]}}, **FAST_WEBHOOKS)
    stack.start_worker()
    stack.start_beat()
    scheduler_id = new_scheduler(engine)
    job = add(engine, scheduler_id, [
        {"a_number": A_NUMBER, "b_number": B_NUMBER, "try_count": 2, "try_again_pause": 0,
         **task_urls(receiver, f"/t{i}")} for i in range(5)])
    secret = client_secret(engine)
    expected = ["before", "before_again", "success", "after"]
    for i, task in enumerate(job.tasks):
        got = stack.wait_for(lambda i=i: len(receiver.at_prefix(f"/t{i}/")) >= 4 and
                             receiver.at_prefix(f"/t{i}/"), 60, f"task {i}'s four events")
        assert [r.path.rsplit("/", 1)[1] for r in got] == expected
        bodies = [json.loads(r.body) for r in got]
        assert [b["type"] for b in bodies] == expected
        assert [b["attempt_no"] for b in bodies] == [1, 2, 2, 2]
        assert all(b["task"]["id"] == task["id"] for b in bodies)
        assert bodies[-1]["task"]["finish_result"] == "success"
        for request in got:
            assert request.headers["webhook-id"] == json.loads(request.body)["id"]
            assert webhooks.verify(secret, request.headers, request.body, int(time.time()))


def test_a_receiver_failing_three_times_gets_the_event_with_the_same_id(
    engine: sa.Engine, stack_factory: StackFactory, receiver: Receiver
) -> None:
    receiver.script("/flaky", Answer(500), Answer(500), Answer(503, {"Retry-After": "1"}),
                    Answer(200))
    stack = stack_factory(**FAST_WEBHOOKS)
    stack.start_worker()
    stack.start_beat()
    job = add(engine, new_scheduler(engine), [
        {"a_number": A_NUMBER, "b_number": B_NUMBER, "url_after": receiver.url("/flaky")}])
    task_id = job.tasks[0]["id"]

    def delivered() -> sa.Row[Any] | None:
        rows = [r for r in delivery_rows(engine, task_id) if r.type == "after"]
        return rows[0] if rows and rows[0].delivery_status == "delivered" else None

    row = stack.wait_for(delivered, 60, "the after event to be delivered")
    tries = receiver.at("/flaky")
    assert len(tries) == 4 and row.delivery_attempts == 4
    assert {t.headers["webhook-id"] for t in tries} == {row.id}
    # The third answer asked for a second's pause; the retry waited at least that.
    assert tries[3].at - tries[2].at >= 1.0


@pytest.mark.slow  # run by .ci/run after the suite (pytest -m slow)
def test_a_receiver_down_for_a_minute_loses_nothing(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    down = Receiver()
    port = down.port
    down.stop()  # nothing listens on the port now: connections are refused
    # Retries every few seconds, and enough of them to outlast the outage.
    stack = stack_factory(**{**FAST_WEBHOOKS, "webhook_retry_cap_s": 3,
                             "webhook_max_attempts": 1000})
    stack.start_worker()
    stack.start_beat()
    url = f"http://127.0.0.1:{port}/hook"
    job = add(engine, new_scheduler(engine), [
        {"a_number": f"+155500001{i:02d}", "b_number": B_NUMBER, "url_before": url,
         "url_after": url} for i in range(10)])
    ids = [t["id"] for t in job.tasks]
    stack.wait_for(lambda: all(finished(engine, t) for t in ids), 60, "the tasks to finish")
    outage_ends = time.monotonic() + 60
    # Each task's `after` waits behind its `before`, which keeps failing meanwhile.
    stack.wait_for(lambda: time.monotonic() >= outage_ends and all(
        r.delivery_attempts >= 2 for t in ids for r in delivery_rows(engine, t)
        if r.type == "before"), 90, "a minute of failed deliveries")
    rows = [r for t in ids for r in delivery_rows(engine, t) if r.target_url]
    assert {r.delivery_status for r in rows} == {"pending"} and len(rows) == 20
    assert {r.delivery_attempts for r in rows if r.type == "after"} == {0}
    back = Receiver(port)
    try:
        stack.wait_for(lambda: len(back.at("/hook")) >= 20, 60, "every event after the outage")
        got = {json.loads(r.body)["id"] for r in back.at("/hook")}
        stored = {r.id for r in rows}
        assert got == stored and len(stored) == 20
    finally:
        back.stop()


def test_a_receiver_that_sleeps_delays_neither_other_deliveries_nor_dialling(
    engine: sa.Engine, stack_factory: StackFactory, receiver: Receiver
) -> None:
    receiver.script("/slow", Answer(200, delay_s=30))
    stack = stack_factory(**{**FAST_WEBHOOKS, "webhook_timeout_s": 40})
    stack.start_worker()
    stack.start_beat()
    scheduler_id = new_scheduler(engine)
    add(engine, scheduler_id, [
        {"a_number": f"+155500002{i:02d}", "b_number": B_NUMBER,
         "url_before": receiver.url("/slow")} for i in range(8)])
    stack.wait_for(lambda: len(receiver.at("/slow")) >= 4, 30, "the slow receiver to be busy")
    slow_since = time.monotonic()
    job = add(engine, scheduler_id, [
        {"a_number": f"+155500003{i:02d}", "b_number": B_NUMBER,
         "url_after": receiver.url("/fast")} for i in range(20)])
    stack.wait_for(lambda: len(receiver.at("/fast")) == 20, 20, "the other deliveries")
    assert all(finished(engine, t["id"]) for t in job.tasks)
    assert time.monotonic() - slow_since < 20, "deliveries waited for the slow receiver"
    assert len(receiver.at("/slow")) < 16  # the slow requests are still hanging


def test_refused_targets_are_never_called_and_fail_visibly(
    engine: sa.Engine, stack_factory: StackFactory, receiver: Receiver
) -> None:
    stack = stack_factory(**{**FAST_WEBHOOKS, "webhook_allow_private": "false"})
    stack.start_worker()
    stack.start_beat()
    targets = {"url_before": receiver.url("/loopback"),
               "url_after": f"http://localhost:{receiver.port}/by-name",
               "url_success": "http://169.254.169.254/latest/meta-data/"}
    job = add(engine, new_scheduler(engine),
              [{"a_number": A_NUMBER, "b_number": B_NUMBER, **targets}])
    task_id = job.tasks[0]["id"]

    def all_failed() -> list[sa.Row[Any]] | None:
        rows = delivery_rows(engine, task_id)
        done = len(rows) == 3 and all(r.delivery_status == "failed" for r in rows)
        return rows if done else None

    rows = stack.wait_for(all_failed, 30, "the refused deliveries to fail")
    errors = {r.type: r.last_delivery_error for r in rows}
    assert errors["before"].startswith("refused: loopback address 127.0.0.1")
    assert errors["after"].startswith("refused: loopback address")
    assert errors["success"].startswith("refused: metadata address 169.254.169.254")
    assert all(r.delivery_attempts == 1 for r in rows)
    assert receiver.received == []
    assert clock.now() >= rows[0].created_at
