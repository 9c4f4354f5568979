"""The reaper: resend tries whose message vanished; end tries whose call was never placed
(made again, uncounted) or whose outcome never came (lost)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from models.rules import limits
from models.rules.outcome import NOT_PLACED
from models.shapes.rows import Ending
from models.storage.repository import attempts_repo, calls_repo, idempotency_repo
from scheduler import completion
from scheduler.dispatch import SendAttempts

REAP_BATCH_MAX = 1000


@dataclass(frozen=True)
class ReapReport:
    resent: int
    not_placed: int
    lost: int


def reap(
    engine: sa.Engine,
    now: datetime,
    *,
    send: SendAttempts,
    claimed_resend_after_s: float,
    unplaced_after_s: float,
    dialing_timeout_s: float,
) -> ReapReport:
    with engine.begin() as conn:
        resend_ids = attempts_repo.take_unanswered_claims(
            conn, claimed_resend_after_s, now, REAP_BATCH_MAX
        )
    if resend_ids:
        send(resend_ids)  # safe: place_calls' guarded UPDATE lets only one delivery dial
    with engine.begin() as conn:
        # The fence: a call abandoned here can no longer be placed by a late worker.
        abandoned = calls_repo.abandon_queued(
            conn, now - timedelta(seconds=unplaced_after_s), now, REAP_BATCH_MAX)
        not_placed = completion.record_endings(
            conn, [Ending(a, NOT_PLACED) for a in abandoned], now)
    # Outcomes that came in meanwhile are taken first: only a call still going is lost.
    completion.collect_ended_calls(engine, now, REAP_BATCH_MAX)
    with engine.begin() as conn:
        overdue = attempts_repo.dialing_since(
            conn, now - timedelta(seconds=dialing_timeout_s), REAP_BATCH_MAX)
        calls_repo.lose(conn, overdue)
        lost = completion.record_endings(conn, [Ending(a, None) for a in overdue], now)
        # Idempotency-Keys past their day answer nothing any more: forget them.
        idempotency_repo.purge_expired(
            conn, now - timedelta(seconds=limits.IDEMPOTENCY_KEPT_S), REAP_BATCH_MAX)
    return ReapReport(resent=len(resend_ids), not_placed=len(not_placed), lost=len(lost))
