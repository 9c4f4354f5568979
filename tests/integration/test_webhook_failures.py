"""A send that raises (issue 12, defect 2): a host name DNS cannot encode, or any other
exception, ends as a recorded failed try; the cap of tries still ends the event, and the
task's later events are not held behind it forever."""

from __future__ import annotations

import dataclasses
import queue
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from models import clock, settings
from models.shapes import events
from models.shapes.events import EventType
from models.storage.repository import events_repo, tasks_repo
from models.storage.tables import events as events_table
from tests.conftest import StackFactory
from tests.integration.test_core_flow import A_NUMBER, B_NUMBER, add, new_scheduler
from tests.receiver import Receiver
from worker import delivery, runtime
from worker.dialers.sim import Scenario, SimDialer
from worker.webhook_senders import WebhookRequest, WebhookResponse

UNENCODABLE_HOST_URL = f"https://{'a' * 64}.example/hook"  # IDNA refuses a 64-char label


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


def queue_events(engine: sa.Engine, urls: list[str]) -> list[int]:
    """Events of one far-future task, one per URL, in order (written as a worker would,
    past the add-time checks that now refuse such a URL)."""
    job = add(engine, new_scheduler(engine), [{"a_number": A_NUMBER, "b_number": B_NUMBER,
                                               "start_time_utc": "2035-01-01 00:00:00"}])
    with engine.begin() as conn:
        task = dataclasses.asdict(tasks_repo.load_task(conn, job.tasks[0]["id"]))
        rows = [events.task_event(EventType.AFTER, {**task, "url_after": url}, 1, clock.now())
                for url in urls]
        events_repo.insert_events(conn, rows)
    return [int(task["id"])]


def event_rows(engine: sa.Engine) -> list[sa.Row[Any]]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(events_table).order_by(events_table.c.seq)).all())


def test_an_unencodable_host_fails_its_tries_and_lets_the_next_event_through(
    engine: sa.Engine, stack_factory: StackFactory, receiver: Receiver
) -> None:
    stack = stack_factory(webhook_allow_private="true", webhook_retry_base_s=0.2,
                          webhook_retry_cap_s=0.5, webhook_max_attempts=3,
                          deliver_events_interval_s=0.25)
    stack.start_worker()
    stack.start_beat()
    queue_events(engine, [UNENCODABLE_HOST_URL, receiver.url("/after")])
    stack.wait_for(lambda: len(receiver.received) == 1, 60, "the later event's delivery")
    bad, good = event_rows(engine)
    assert (bad.delivery_status, bad.delivery_attempts) == ("failed", 1)
    assert "not a valid DNS name" in bad.last_delivery_error
    assert good.delivery_status == "delivered"


class RaisingSender:
    def __init__(self) -> None:
        self.requests: list[WebhookRequest] = []

    def send(self, request: WebhookRequest) -> WebhookResponse:
        self.requests.append(request)
        raise RuntimeError("the sender broke")


def send_once(rt: runtime.Runtime) -> delivery.Result:
    """Lease the due event and hand it to deliver_one, as a webhook thread would; return
    the result it queued for the writer, written here as the writer would write it."""
    now = clock.now()
    with rt.engine.begin() as conn:
        (event,) = events_repo.claim_deliveries(conn, now, now + timedelta(seconds=60), 10)
    deliveries = delivery._Deliveries(0, ThreadPoolExecutor(1), queue.SimpleQueue())
    delivery.deliver_one(rt, deliveries, event, ["whsec_dGVzdA=="])
    result = deliveries.results.get_nowait()
    with rt.engine.begin() as conn:
        assert events_repo.record_deliveries(conn, [result], clock.now()) == 1
    return result


def test_any_exception_from_a_send_is_a_recorded_failed_try(
    engine: sa.Engine, database_url: str
) -> None:
    queue_events(engine, ["https://hooks.example/after"])
    config = settings.Settings(database_url=database_url, broker_url="memory://",
                               webhook_retry_base_s=60, webhook_max_attempts=2)
    sender = RaisingSender()
    rt = runtime.Runtime(config, engine, SimDialer(engine, Scenario()), sender)
    send_once(rt)
    (first,) = event_rows(engine)
    assert (first.delivery_status, first.delivery_attempts) == ("pending", 1)
    assert "RuntimeError: the sender broke" in first.last_delivery_error
    assert first.next_delivery_at > clock.now() + timedelta(seconds=20)  # backed off
    with engine.begin() as conn:  # due again now: the second and last try
        conn.execute(events_table.update().values(next_delivery_at=clock.now()))
    send_once(rt)
    (last,) = event_rows(engine)
    assert (last.delivery_status, last.delivery_attempts) == ("failed", 2)
    assert len(sender.requests) == 2
