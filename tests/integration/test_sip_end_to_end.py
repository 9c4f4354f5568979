"""End to end with real calls: tasks added through the HTTP API with RINGBACK_DIALER=sip,
worker, beat, API and `ringback sip` as processes, sipp phones behind a kamailio trunk, a
webhook receiver. A busy first try is retried after try_again_pause and connects; another
task fails on B; `cdr` leads to the call record; the webhooks carry the real outcome."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.storage.tables import attempts
from tests import support
from tests.integration.job_fixtures import OpsFactory, ops_factory
from tests.integration.test_core_flow import CLIENT_ID
from tests.integration.test_webhooks import FAST_WEBHOOKS
from tests.receiver import Receiver
from tests.sip.peers import SipPeers

__all__ = ["ops_factory"]
RETRIED, CONNECTS, B_OK, B_BUSY = "+15550001001", "+15550002001", "+15559990001", "+15559980001"
PAUSE_S = 4


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


def events_of(receiver: Receiver, name: str) -> dict[str, dict[str, Any]]:
    bodies = [json.loads(r.body) for r in receiver.at_prefix(f"/{name}/")]
    return {body["type"]: body for body in bodies}


def urls(receiver: Receiver, name: str) -> dict[str, str]:
    return {f"url_{kind}": receiver.url(f"/{name}/{kind}")
            for kind in ("before", "before_again", "success", "after")}


def test_tasks_through_the_api_are_called_retried_recorded_and_reported(
    ops_factory: OpsFactory, receiver: Receiver, tmp_path: Path
) -> None:
    with SipPeers(tmp_path / "peers") as peers:
        busy = peers.uas("a_busy.xml", name="a-busy", calls=1)  # the first try only
        answering = peers.uas("a_answer_hangup.xml", name="a-answers", pause_ms=500)
        b_ok, b_busy = peers.uas("b_answer.xml", name="b"), peers.uas("b_busy.xml", name="b2")
        trunk = peers.kamailio({"+15550001": busy.address, "+15550002": answering.address,
                                "+1555999": b_ok.address, "+1555998": b_busy.address})
        ops = ops_factory(None, dialer="sip", sip_trunk=f"sip:{trunk.address}",
                          sip_listen=f"127.0.0.1:{support.free_port()}", **FAST_WEBHOOKS)
        ops.stack.start_command("sip", [sys.executable, "-m", "api.cli", "sip"])
        _, (retried, failing) = ops.add_job([
            {"a_number": RETRIED, "b_number": B_OK, "try_count": 2, "try_again_pause": PAUSE_S,
             **urls(receiver, "retried")},
            {"a_number": CONNECTS, "b_number": B_BUSY, **urls(receiver, "failing")}])
        assert busy.wait(30) == 0  # the first try was busy, and that phone is gone now
        peers.uas("a_answer_hangup.xml", name="a-retry", pause_ms=500, port=busy.port)
        done = {t: ops.stack.wait_for(lambda t=t: finished(ops, t), 60, f"task {t}")
                for t in (retried, failing)}
        check_retried(ops, done[retried], receiver)
        assert done[failing]["finish_comment"] == (
            f"B leg busy: 486 Busy Here ({B_BUSY}) on try 1 of 1")
        ops.stack.wait_for(lambda: "after" in events_of(receiver, "failing"), 30,
                           "the failed task's after webhook")
        assert events_of(receiver, "failing")["after"]["task"]["finish_comment"] == (
            done[failing]["finish_comment"])


def finished(ops: Any, task_id: int) -> dict[str, Any] | None:
    task = ops.http.get(f"/client/{CLIENT_ID}/task_scheduler/{ops.scheduler_id}"
                        f"/task/{task_id}").json()
    return dict(task) if task["status"] == "finished" else None


def check_retried(ops: Any, task: dict[str, Any], receiver: Receiver) -> None:
    assert (task["finish_result"], task["finish_comment"]) == (
        "success", "A and B connected on try 2 of 2")
    with ops.engine.connect() as conn:
        tries = conn.execute(attempts.select().where(attempts.c.task_id == task["id"])
                             .order_by(attempts.c.attempt_no)).all()
    assert [(t.attempt_no, t.cause, t.b_answered) for t in tries] == [(1, "busy", False),
                                                                       (2, None, True)]
    assert (tries[1].dialing_at - tries[0].ended_at).total_seconds() >= PAUSE_S
    record = ops.http.get(f"/client/{CLIENT_ID}/call_history/{task['cdr']}").json()
    assert record["attempt_no"] == 2 and record["outcome"]["b_answered"] is True
    assert [(leg["leg"], leg["number"], leg["status_code"]) for leg in record["legs"]] == [
        ("A", RETRIED, 200), ("B", B_OK, 200)]
    assert all(leg["call_id"].startswith(f"rb{tries[1].id}-") for leg in record["legs"])
    ops.stack.wait_for(lambda: len(events_of(receiver, "retried")) == 4, 30, "four webhooks")
    sent = events_of(receiver, "retried")
    assert set(sent) == {"before", "before_again", "success", "after"}
    assert sent["after"]["task"]["cdr"] == task["cdr"]
    assert sent["before"]["attempt_no"] == 1 and sent["success"]["attempt_no"] == 2

