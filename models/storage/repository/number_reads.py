"""What the calling rules read of a number's past across a client's tasks: its dials and
refusals (for the caps), under a lock per number so two dispatchers count them one at a
time."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from models.rules.calling.admission import NumberHistory
from models.rules.outcome import LegResult
from models.storage.repository import common
from models.storage.repository.attempts_repo import NOT_PLACED_CAUSE
from models.storage.tables import attempts, tasks


def lock_numbers(conn: sa.Connection, client_id: int, numbers: Iterable[str]) -> None:
    """Serialise the dispatchers counting one client's dials of these numbers (PostgreSQL
    advisory locks until commit, taken in one order so two rounds never deadlock); SQLite
    has one writer at a time already."""
    for number in sorted(set(numbers)):
        common.advisory_lock(conn, f"ringback-number:{client_id}:{number}")


def number_histories(
    conn: sa.Connection, client_id: int, numbers: Iterable[str]
) -> dict[str, NumberHistory]:
    """Each number's dials by the client (claim times, every try of every task of that B
    number, but those never placed) and when the called party last refused one."""
    wanted = sorted(set(numbers))
    histories = {number: NumberHistory() for number in wanted}
    if not wanted:
        return histories
    stmt = (
        sa.select(tasks.c.b_e164, attempts.c.claimed_at, attempts.c.cause,
                  attempts.c.a_answered, attempts.c.ended_at)
        .join(tasks, tasks.c.id == attempts.c.task_id)
        .where(tasks.c.client_id == client_id, tasks.c.b_e164.in_(wanted),
               attempts.c.cause.is_distinct_from(NOT_PLACED_CAUSE))
    )
    for number, claimed_at, cause, a_answered, ended_at in conn.execute(stmt):
        history = histories[number]
        history.dial_times.append(claimed_at)
        # B refused: A had answered and the cause is a rejection (A's own refusal is not B's).
        if cause == LegResult.REJECTED.value and a_answered and ended_at is not None and (
                history.last_rejected_at is None or ended_at > history.last_rejected_at):
            history.last_rejected_at = ended_at
    return histories
