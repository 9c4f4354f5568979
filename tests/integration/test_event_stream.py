"""The per-client event stream (server-sent events), a task's deliveries, secret rotation."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from api import access, tokens
from models import clock
from models.rules import webhooks
from models.storage.tables import events
from tests import support
from tests.conftest import StackFactory
from tests.integration.test_core_flow import B_NUMBER, CLIENT_ID, add, finished, new_scheduler
from tests.receiver import Receiver


@pytest.fixture
def served(
    engine: sa.Engine, stack_factory: StackFactory, tmp_path: Any
) -> Iterator[tuple[support.Stack, str, str]]:
    stack = stack_factory(webhook_allow_private="true", deliver_events_interval_s=0.25)
    stack.start_worker()
    stack.start_beat()
    api = support.ApiServer.start(stack.env, tmp_path, "api")
    token = tokens.create_token(engine, CLIENT_ID, access.parse_scopes(
        "events:read,tasks:read,tasks:write"), clock.now())
    yield stack, api.base_url, token
    api.stop()


def read_events(response: httpx.Response, count: int) -> list[dict[str, Any]]:
    """Parse server-sent events off an open stream until ``count`` have come."""
    got: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in response.iter_lines():
        if line.startswith(":"):
            continue
        if not line:
            if current:
                got.append(current)
                current = {}
            if len(got) >= count:
                break
            continue
        name, _, value = line.partition(": ")
        current[name] = json.loads(value) if name == "data" else value
    return got


def stored_seqs(engine: sa.Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(events.c.seq).where(
            events.c.client_id == CLIENT_ID).order_by(events.c.seq)).scalars())


def test_the_stream_delivers_events_and_resumes_from_last_event_id_without_gaps(
    engine: sa.Engine, served: tuple[support.Stack, str, str]
) -> None:
    stack, base_url, token = served
    job = add(engine, new_scheduler(engine),
              [{"a_number": f"+155500004{i:02d}", "b_number": B_NUMBER} for i in range(6)])
    ids = [t["id"] for t in job.tasks]
    stack.wait_for(lambda: all(finished(engine, t) for t in ids), 30, "the tasks to finish")
    expected = stored_seqs(engine)
    assert len(expected) == 18  # before, success and after for each task
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=30) as http:
        with http.stream("GET", f"{base_url}/events", headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            first = read_events(response, 7)
        resume = {**headers, "Last-Event-ID": first[-1]["id"]}
        with http.stream("GET", f"{base_url}/events", headers=resume) as response:
            rest = read_events(response, len(expected) - 7)
        tail = http.get(f"{base_url}/events", headers=resume, params={"follow": "false"})
    seqs = [int(e["id"]) for e in first + rest]
    assert seqs == expected
    assert [e["event"] for e in first[:3]] == [e["data"]["type"] for e in first[:3]]
    assert {e["data"]["task"]["id"] for e in first + rest} == set(ids)
    # Without `follow` the stream sends what there is after the cursor, then closes.
    tail_ids = [int(line[4:]) for line in tail.text.splitlines() if line.startswith("id: ")]
    assert tail_ids == seqs[7:]


def test_a_task_lists_its_events_and_a_rotated_secret_signs_beside_the_old_one(
    engine: sa.Engine, served: tuple[support.Stack, str, str]
) -> None:
    stack, base_url, token = served
    receiver = Receiver()
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(timeout=30, headers=headers) as http:
            old = http.get(f"{base_url}/client/{CLIENT_ID}/webhook_secret").json()["secrets"]
            rotated = http.post(
                f"{base_url}/client/{CLIENT_ID}/webhook_secret/rotate").json()["secrets"]
            assert len(old) == 1 and len(rotated) == 2 and rotated[1] == old[0]
            scheduler_id = new_scheduler(engine)
            job = add(engine, scheduler_id, [{"a_number": "+15550000501", "b_number": B_NUMBER,
                                              "url_after": receiver.url("/after")}])
            task_id = job.tasks[0]["id"]
            (request,) = stack.wait_for(lambda: receiver.at("/after"), 30, "the webhook")
            listed = http.get(f"{base_url}/client/{CLIENT_ID}/task_scheduler/{scheduler_id}"
                              f"/task/{task_id}/events").json()
        assert len(request.headers["webhook-signature"].split()) == 2
        now_s = int(time.time())
        assert webhooks.verify(rotated[0], request.headers, request.body, now_s)
        assert webhooks.verify(old[0], request.headers, request.body, now_s)
        assert [e["type"] for e in listed] == ["before", "success", "after"]
        by_type = {e["type"]: e for e in listed}
        assert by_type["before"]["delivery_status"] == "none"
        assert by_type["after"]["target_url"] == receiver.url("/after")
        assert stack.wait_for(lambda: _status(engine, by_type["after"]["id"]) == "delivered",
                              10, "the delivery to be recorded")
    finally:
        receiver.stop()


def _status(engine: sa.Engine, event_id: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(sa.select(events.c.delivery_status)
                                .where(events.c.id == event_id)).scalar_one())


def test_an_event_committed_late_holds_back_later_ones_so_resuming_skips_none(
    engine: sa.Engine,
) -> None:
    from models.storage.repository import clients_repo, events_repo

    def event(name: str) -> dict[str, Any]:
        return {"id": f"evt_{name}", "client_id": CLIENT_ID, "type": "test", "payload": {},
                "created_at": clock.now(), "delivery_status": "none"}

    with engine.begin() as conn:
        clients_repo.ensure_client(conn, CLIENT_ID, clock.now())
    slow = engine.connect()
    slow_tx = slow.begin()
    events_repo.insert_events(slow, [event("first")])  # takes the smaller seq, commits last
    with engine.begin() as conn:
        events_repo.insert_events(conn, [event("second")])
    with engine.connect() as reader:
        assert events_repo.stream_after(reader, CLIENT_ID, 0, 10, clock.now()) == []
    slow_tx.commit()
    slow.close()
    with engine.connect() as conn:
        seqs = list(conn.execute(sa.select(events.c.seq).order_by(events.c.seq)).scalars())
        ids = conn.execute(sa.select(events.c.id).order_by(events.c.seq)).scalars().all()
    assert ids == ["evt_first", "evt_second"]
    # Other transactions in the cluster may still hold both back, but the stream is always
    # a prefix: the second is never sent without the first.
    with engine.connect() as reader:
        rows = events_repo.stream_after(reader, CLIENT_ID, 0, 10, clock.now())
    assert [r.seq for r in rows] == seqs[: len(rows)]
    # An event older than the bound goes out whatever other transactions do.
    later = clock.now() + timedelta(seconds=events_repo.STREAM_MAX_HOLD_S + 1)
    with engine.connect() as reader:
        assert [r.seq for r in events_repo.stream_after(reader, CLIENT_ID, 0, 10, later)] == seqs
