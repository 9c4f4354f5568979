"""The reaper: resend tries whose message vanished; end tries whose call was never placed
(made again, uncounted) or whose outcome never came (lost)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from models.rules import limits
from models.rules.outcome import NOT_PLACED
from models.shapes.rows import Ending
from models.storage.repository import attempts_repo, calls_repo, idempotency_repo
from scheduler import completion
from scheduler.dispatch import SendAttempts

# Tries of each kind the reaper ends per run, at most; completion.COLLECT_BATCH_MAX per
# transaction, which holds their jobs' statuses.
REAP_BATCH_MAX = 1000
REAP_ROUNDS_MAX = REAP_BATCH_MAX // completion.COLLECT_BATCH_MAX
# One batch in one transaction: (calls or tries it took, tries it ended).
Step = Callable[[], tuple[int, int]]


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
    not_placed = _in_rounds(lambda: _end_unplaced(engine, now, unplaced_after_s))
    # Outcomes that came in meanwhile are taken first: only a call still going is lost.
    completion.collect_batches(engine, lambda: now, REAP_ROUNDS_MAX)
    lost = _in_rounds(lambda: _end_lost(engine, now, dialing_timeout_s))
    with engine.begin() as conn:
        # Idempotency-Keys past their day answer nothing any more: forget them.
        idempotency_repo.purge_expired(
            conn, now - timedelta(seconds=limits.IDEMPOTENCY_KEPT_S), REAP_BATCH_MAX)
    return ReapReport(resent=len(resend_ids), not_placed=not_placed, lost=lost)


def _in_rounds(step: Step) -> int:
    """``step`` until it takes less than a batch, at most REAP_ROUNDS_MAX times; returns
    how many tries it ended."""
    ended = 0
    for _ in range(REAP_ROUNDS_MAX):
        taken, done = step()
        ended += done
        if taken < completion.COLLECT_BATCH_MAX:
            break
    return ended


def _end_unplaced(engine: sa.Engine, now: datetime, unplaced_after_s: float) -> tuple[int, int]:
    with engine.begin() as conn:
        # The fence: a call abandoned here can no longer be placed by a late worker.
        abandoned = calls_repo.abandon_queued(
            conn, now - timedelta(seconds=unplaced_after_s), now, completion.COLLECT_BATCH_MAX)
        ended = completion.record_endings(conn, [Ending(a, NOT_PLACED) for a in abandoned], now)
    return len(abandoned), len(ended)


def _end_lost(engine: sa.Engine, now: datetime, dialing_timeout_s: float) -> tuple[int, int]:
    with engine.begin() as conn:
        overdue = attempts_repo.dialing_since(
            conn, now - timedelta(seconds=dialing_timeout_s), completion.COLLECT_BATCH_MAX)
        calls_repo.lose(conn, overdue)
        lost = completion.record_endings(conn, [Ending(a, None) for a in overdue], now)
    return len(overdue), len(lost)
