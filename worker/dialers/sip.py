"""The SIP dialer: a try's call is already queued in the calls table (written in the try's
own transaction); placing it means waking the `ringback sip` controllers, one of which
takes it (FOR UPDATE SKIP LOCKED) and writes its outcome back there. Workers never speak
SIP, and no worker waits on a ringing call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from models.storage.repository import calls_repo, controllers_repo
from worker.dialers.base import QueuedCall


class SipDialer:
    name = calls_repo.SIP_DIALER

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def originate(self, calls: Sequence[QueuedCall], now: datetime) -> None:
        if calls:
            with self.engine.begin() as conn:
                controllers_repo.notify_queued(conn)  # on SQLite the controllers poll instead
