"""The record an INVITE gets before it leaves, on PostgreSQL and on SQLite: written once per
number and try, only while its controller holds the call, and never for a number a
do-not-call list holds at that moment (checked in the statement that writes it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from models import clock
from models.settings import Settings
from models.storage import migrate
from models.storage.repository import calls_repo, dnc_repo
from scheduler import dispatch
from tests import support
from tests.integration.test_core_flow import CLIENT_ID, add, new_scheduler
from worker import calls as worker_calls
from worker import runtime
from worker.dialers.sip import SipDialer
from worker.webhook_senders import RecordingWebhookSender

A_LISTED, A_FREE, B = "+15550004001", "+15550004002", "+15550004003"


@pytest.fixture(params=["postgresql", "sqlite"])
def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "postgresql":
        yield request.getfixturevalue("engine")
        return
    url = f"sqlite:///{tmp_path / 'ringback.sqlite'}"
    migrate.upgrade(url)
    with support.engine_for(url) as engine:
        yield engine


def claimed_call(engine: sa.Engine) -> int:
    """A try dispatched, handed to the SIP dialer and taken by controller "c1"."""
    add(engine, new_scheduler(engine), [{"a_number": A_LISTED, "b_number": B,
                                         "callback_params": {"extended_a_numbers": [A_FREE]}}])
    sent: list[int] = []
    dispatch.dispatch(engine, clock.now, sent.extend, dispatch.DispatchLimits(batch_max=10))
    rt = runtime.Runtime(Settings(database_url=str(engine.url), broker_url="memory://",
                                  dialer="sip"), engine, SipDialer(engine),
                         RecordingWebhookSender())
    worker_calls.place_calls(rt, sent)
    with engine.begin() as conn:
        (call,) = calls_repo.claim_queued(conn, "c1", clock.now(), 10)
    return call.id


def leg(call_id: int, position: int, number: str) -> calls_repo.NewLeg:
    return calls_repo.NewLeg(call_id, "A", position, number, f"rb-test-{number}", "INVITE",
                             clock.now(), CLIENT_ID)


def test_a_listed_number_gets_no_record_and_a_number_one_record(any_engine: sa.Engine) -> None:
    call_id = claimed_call(any_engine)
    with any_engine.begin() as conn:
        dnc_repo.add_entries(conn, CLIENT_ID, [A_LISTED], None, clock.now())
        dnc_repo.add_entries(conn, CLIENT_ID, [B], clock.now() - timedelta(seconds=1),
                             clock.now() - timedelta(hours=1))  # expired: not in force
    legs = [leg(call_id, 0, A_LISTED), leg(call_id, 1, A_FREE), leg(call_id, 0, B)]
    with any_engine.begin() as conn:
        written = calls_repo.insert_legs(conn, "c1", legs, clock.now())
    assert set(written) == {"rb-test-" + A_FREE, "rb-test-" + B}
    with any_engine.begin() as conn:  # a second INVITE for a number of this try: none
        assert calls_repo.insert_legs(conn, "c1", legs, clock.now()) == {}
        assert calls_repo.insert_legs(conn, "c2", [leg(call_id, 2, "+15550004004")],
                                      clock.now()) == {}  # not c2's call
