"""When the dispatcher runs its next round. Pure: takes ``now``.

A round runs when the next waiting task falls due, so a try starts at its time rather than
at the next tick; soon again when a round left due tasks only because its claims still
wait for a worker (they are taken within milliseconds under load; twice as long after each
such look that found nothing to claim, so a stack without workers is not polled hard); and
at least every ``longest_wait_s`` whatever happens, which also notices tasks added since
the last round.
Rounds are never closer than ROUND_GAP_MIN_S, so tasks due close together are claimed in
one round and sent in one message rather than one by one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

ROUND_GAP_MIN_S = 0.025
# A round whose claims filled the room left for unsent work looks again this soon.
BACKLOG_RECHECK_S = 0.025


# Doublings of the recheck after fruitless ones; past this the longest wait applies anyway.
RECHECK_DOUBLINGS_MAX = 10


def next_round_at(
    now: datetime, *, longest_wait_s: float, next_due_at: datetime | None,
    backlog_limited: bool, fruitless_rechecks: int = 0,
) -> datetime:
    at = now + timedelta(seconds=longest_wait_s)
    if next_due_at is not None:
        at = min(at, next_due_at)
    if backlog_limited:
        doublings = min(fruitless_rechecks, RECHECK_DOUBLINGS_MAX)
        at = min(at, now + timedelta(seconds=BACKLOG_RECHECK_S * 2**doublings))
    return max(at, now + timedelta(seconds=ROUND_GAP_MIN_S))
