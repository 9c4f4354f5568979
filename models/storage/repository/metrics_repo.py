"""Aggregates for /metrics, read at scrape time from rows that are never deleted, so the
counters only grow and every API process reports the same numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa

from models.rules import attempt_state
from models.rules.attempt_state import AttemptStatus
from models.rules.webhooks import DeliveryStatus
from models.storage.repository import common
from models.storage.repository.attempts_repo import NOT_PLACED_CAUSE
from models.storage.tables import attempts, events, tasks


def tasks_by_status(conn: sa.Connection) -> dict[str, int]:
    stmt = sa.select(tasks.c.status, sa.func.count()).group_by(tasks.c.status)
    return {str(s): int(n) for s, n in conn.execute(stmt).all()}


def tries_by_outcome(conn: sa.Connection) -> dict[str, int]:
    """Ended tries: `connected`, `lost`, or the leg result that ended them (busy, ...)."""
    outcome = sa.case(
        (attempts.c.cause == NOT_PLACED_CAUSE, NOT_PLACED_CAUSE),
        (attempts.c.status == AttemptStatus.LOST.value, AttemptStatus.LOST.value),
        (attempts.c.b_answered.is_(True), "connected"),
        else_=sa.func.coalesce(attempts.c.cause, "unknown"),
    )
    stmt = sa.select(outcome, sa.func.count()).where(
        attempts.c.status.in_([AttemptStatus.COMPLETED.value, AttemptStatus.LOST.value])
    ).group_by(outcome)
    return {str(o): int(n) for o, n in conn.execute(stmt).all()}


class LagHistogram(NamedTuple):
    cumulative: list[int]  # tries whose lag is at or under each bound
    tries: int
    total_s: float


def dispatch_lag_histogram(conn: sa.Connection, bounds_s: Sequence[float]) -> LagHistogram:
    """Cumulative counts of (try start - due time) at or under each bound, the count, the sum.
    A try is claimed only once due, so the lag is never negative."""
    lag = common.seconds_between(conn, attempts.c.claimed_at, attempts.c.due_at)
    columns = [sa.func.count().filter(lag <= bound) for bound in bounds_s]
    row = conn.execute(sa.select(*columns, sa.func.count(), sa.func.coalesce(sa.func.sum(lag), 0))
                       .where(attempts.c.due_at.is_not(None))).one()
    return LagHistogram([int(v) for v in row[: len(bounds_s)]], int(row[-2]), float(row[-1]))


def deliveries_by_result(conn: sa.Connection) -> dict[str, int]:
    stmt = sa.select(events.c.delivery_status, sa.func.count()).where(
        events.c.delivery_status != DeliveryStatus.NONE.value).group_by(events.c.delivery_status)
    return {str(s): int(n) for s, n in conn.execute(stmt).all()}


def active_scheduler_ids(conn: sa.Connection) -> list[int]:
    stmt = sa.select(attempts.c.scheduler_id).distinct()
    return [int(s) for s in conn.execute(stmt).scalars()]


class TryCounts(NamedTuple):
    running: int  # claimed or dialling now
    ended: int  # ever ended (completed or lost)


def try_counts(conn: sa.Connection) -> TryCounts:
    """For `ringback run`'s status: tries in flight, and tries ended so far (the rate is
    the change between two reads)."""
    running = [s.value for s in attempt_state.RUNNING]
    stmt = sa.select(sa.func.count().filter(attempts.c.status.in_(running)),
                     sa.func.count().filter(attempts.c.status.not_in(running)))
    found = conn.execute(stmt).one()
    return TryCounts(int(found[0]), int(found[1]))
