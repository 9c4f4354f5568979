"""A `ringback sip` controller process against sipp phones (behind a kamailio trunk or
alone), with tries added, dispatched and handed over in the test's process the way a
worker does it, and outcomes collected the way poll_calls does."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from models import clock
from models.settings import Settings
from models.storage.call_tables import call_legs, calls
from models.storage.tables import tasks
from scheduler import completion, dispatch
from tests import support
from tests.integration.test_core_flow import add, new_scheduler
from tests.sip.peers import SipPeers
from worker import calls as worker_calls
from worker import runtime
from worker.dialers.sip import SipDialer
from worker.webhook_senders import RecordingWebhookSender

A1, A2 = "+15550001001", "+15550002001"  # routed to the a1 and a2 phones
B = "+15559990001"  # routed to the b phone
# Short ring timeouts, so a ring-out takes seconds.
QUICK = {"sip_a_ring_timeout_s": 3, "sip_b_ring_timeout_s": 4}


@dataclass
class SipRig:
    engine: sa.Engine
    database_url: str
    workdir: Path
    peers: SipPeers
    stack: support.Stack | None = None
    scheduler_id: int | None = None

    def start_controller(self, trunk: str, **settings: Any) -> None:
        """`ringback sip` sending every INVITE to ``trunk`` (host:port)."""
        env = {k: v for k, v in support.stack_env(self.database_url, "memory://",
                                                  self.workdir).items()}
        env.update({"RINGBACK_DIALER": "sip", "RINGBACK_SIP_TRUNK": f"sip:{trunk}",
                    "RINGBACK_SIP_LISTEN": f"127.0.0.1:{support.free_port()}",
                    "RINGBACK_LOG_FORMAT": "text"})
        env.update({f"RINGBACK_{k.upper()}": str(v) for k, v in settings.items()})
        self.stack = support.Stack(env=env, workdir=self.workdir)
        self.stack.start_command("sip", [sys.executable, "-m", "api.cli", "sip"])
        self.stack.wait_for(lambda: "listening on" in self.log(), 30, "the controller")

    def log(self) -> str:
        path = self.workdir / "sip.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def place(self, *task_list: dict[str, Any]) -> list[int]:
        """Add the tasks, dispatch them and hand their calls to the controllers."""
        if self.scheduler_id is None:
            self.scheduler_id = new_scheduler(self.engine)
        job = add(self.engine, self.scheduler_id, list(task_list))
        self.dispatch()
        return [t["id"] for t in job.tasks]

    def dispatch(self, at: Any = None) -> None:
        settings = Settings(database_url=self.database_url, broker_url="memory://",
                            dialer="sip")
        rt = runtime.Runtime(settings, self.engine, SipDialer(self.engine),
                             RecordingWebhookSender())
        sent: list[int] = []
        dispatch.dispatch(self.engine, at or clock.now, sent.extend,
                          dispatch.DispatchLimits(batch_max=1000))
        worker_calls.place_calls(rt, sent)

    def finished(self, task_id: int, timeout_s: float = 30) -> sa.Row[Any]:
        """The task once its try has ended and it is finished (outcomes collected here)."""
        assert self.stack is not None

        def probe() -> sa.Row[Any] | None:
            completion.collect_ended_calls(self.engine, clock.now(), 1000)
            with self.engine.connect() as conn:
                row = conn.execute(sa.select(tasks).where(tasks.c.id == task_id)).one()
            return row if row.status == "finished" else None

        return self.stack.wait_for(probe, timeout_s, f"task {task_id} to finish")

    def legs(self, task_id: int) -> list[sa.Row[Any]]:
        with self.engine.connect() as conn:
            return list(conn.execute(
                sa.select(call_legs).join(calls, calls.c.id == call_legs.c.call_id)
                .where(calls.c.task_id == task_id).order_by(call_legs.c.id)).all())

    def call(self, task_id: int) -> sa.Row[Any]:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(calls).where(calls.c.task_id == task_id)
                                .order_by(calls.c.id.desc())).first()  # type: ignore[return-value]


@pytest.fixture
def sip_rig(engine: sa.Engine, database_url: str, tmp_path: Path) -> Iterator[SipRig]:
    with SipPeers(tmp_path) as peers:
        rig = SipRig(engine, database_url, tmp_path, peers)
        try:
            yield rig
        finally:
            if rig.stack is not None:
                rig.stack.stop_all()
