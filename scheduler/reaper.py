"""The reaper: resend tries whose message vanished; end tries whose outcome never came."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from models.outcome import CallOutcome
from models.repository import attempts_repo
from scheduler import completion
from scheduler.dispatch import SendAttempts

# Asks the dialer, once, what became of a call: (attempt id, dialer ref) → outcome or None.
AskDialer = Callable[[int, str | None], CallOutcome | None]
REAP_BATCH_MAX = 1000


@dataclass(frozen=True)
class ReapReport:
    resent: int
    completed: int
    lost: int


def reap(
    engine: sa.Engine,
    now: datetime,
    *,
    send: SendAttempts,
    ask_dialer: AskDialer,
    claimed_resend_after_s: float,
    dialing_timeout_s: float,
) -> ReapReport:
    with engine.begin() as conn:
        resend_ids = attempts_repo.take_unanswered_claims(
            conn, claimed_resend_after_s, now, REAP_BATCH_MAX
        )
    if resend_ids:
        send(resend_ids)  # safe: place_call's guarded UPDATE lets only one delivery dial
    with engine.connect() as conn:
        overdue = attempts_repo.dialing_since(
            conn, now - timedelta(seconds=dialing_timeout_s), REAP_BATCH_MAX
        )
    endings = [(attempt.id, ask_dialer(attempt.id, attempt.dialer_ref)) for attempt in overdue]
    ended = completion.complete_attempts(engine, endings, now)
    completed = sum(1 for attempt_id, outcome in endings
                    if attempt_id in ended and outcome is not None)
    return ReapReport(resent=len(resend_ids), completed=completed,
                      lost=len(ended) - completed)
