"""Calls and their legs: the hand-off between a try and its dialer, the outcomes read back
from it, and what the SIP controllers keep of the calls they hold: a row per INVITE sent
(written before it leaves), dialogs and endings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, NewType

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from models.rules import call_state
from models.rules.call_state import CallStatus, CallTrigger
from models.rules.outcome import CallOutcome
from models.shapes.rows import CallRecordRow, ClaimedCall, Ending, LegRow
from models.storage.call_tables import call_legs, calls
from models.storage.repository import bulk, common, dnc_repo
from models.storage.repository.common import insert_ignoring_conflicts
from models.storage.tables import attempts, tasks

# Which dialer places a call (stored with it): `sim`, or `sip` for the SIP controllers.
DialerName = NewType("DialerName", str)
SIP_DIALER = DialerName("sip")
# A call's public id (str(uuid4())): a connected call's `cdr`, the key of its call record.
CallUuid = NewType("CallUuid", str)


@dataclass(frozen=True)
class NewCall:
    attempt_id: int
    task_id: int
    client_id: int
    uuid: CallUuid
    request: dict[str, Any]
    dial_by: datetime | None = None  # the try's: not placed from then on


@dataclass(frozen=True)
class Fate:
    """What the simulated network decided when it placed a call."""

    attempt_id: int
    outcome: CallOutcome
    ends_at: datetime


def queue_calls(
    conn: sa.Connection, new_calls: Sequence[NewCall], dialer: DialerName, now: datetime
) -> None:
    """In the try's own transaction; UNIQUE (attempt_id) makes a second one impossible."""
    if new_calls:
        conn.execute(calls.insert(), [
            {"attempt_id": c.attempt_id, "task_id": c.task_id, "client_id": c.client_id,
             "uuid": c.uuid, "dialer": dialer, "status": CallStatus.QUEUED.value,
             "request": c.request, "queued_at": now, "dial_by": c.dial_by}
            for c in new_calls])


def _in_time(now: datetime) -> sa.ColumnElement[bool]:
    """A call may still be placed at ``now``: its window (if any) has not closed."""
    return sa.or_(calls.c.dial_by.is_(None), calls.c.dial_by > now)


def place_with_fate(conn: sa.Connection, fates: Sequence[Fate], now: datetime) -> set[int]:
    """queued → placed, with the outcome and when it will be known; returns the attempts
    whose call was still queued and in time (an abandoned one is not placed, nor one past
    its dial_by, which the reaper abandons)."""
    changes = [{"attempt_id": f.attempt_id,
                "status": call_state.target(CallTrigger.PLACE).value, "placed_at": now,
                "ended_at": f.ends_at, "outcome": f.outcome.to_json()} for f in fates]
    guard = sa.and_(calls.c.status.in_(call_state.allowed_from(CallTrigger.PLACE)),
                    _in_time(now))
    placed = bulk.update_each(conn, calls, changes, guard, [calls.c.attempt_id],
                              key="attempt_id")
    return {int(row.attempt_id) for row in placed}


def take_ended(
    conn: sa.Connection, now: datetime, limit: int, attempt_ids: Sequence[int] | None = None
) -> list[Ending]:
    """Calls whose outcome is known by ``now`` and not yet collected, locked (SKIP LOCKED:
    two collectors never take the same call); ``attempt_ids`` narrows them to a batch. A
    call its controller could only give up on (ended, no outcome) comes back as None."""
    stmt = (
        sa.select(calls.c.attempt_id, calls.c.outcome)
        .where(calls.c.ended_at <= now, calls.c.collected_at.is_(None))
        .order_by(calls.c.ended_at).limit(limit).with_for_update(skip_locked=True)
    )
    if attempt_ids is not None:
        stmt = stmt.where(calls.c.attempt_id.in_(attempt_ids))
    return [Ending(int(a), None if o is None else CallOutcome.from_json(o))
            for a, o in conn.execute(stmt).all()]


def mark_collected(conn: sa.Connection, attempt_ids: Sequence[int], now: datetime) -> None:
    """The try was ended from the call; a simulated call that was only `placed` (its end
    known in advance) is `ended` now too."""
    if attempt_ids:
        conn.execute(calls.update().where(calls.c.attempt_id.in_(attempt_ids))
                     .values(collected_at=now))
        conn.execute(calls.update().where(calls.c.attempt_id.in_(attempt_ids),
                                          calls.c.status == CallStatus.PLACED.value)
                     .values(status=CallStatus.ENDED.value))


def abandon_queued(conn: sa.Connection, queued_before: datetime, now: datetime,
                   limit: int) -> list[int]:
    """queued → abandoned for calls no dialer took by ``queued_before``, or whose window
    closed by ``now``; their attempts."""
    stale = (
        sa.select(calls.c.id)
        .where(calls.c.status == CallStatus.QUEUED.value,
               sa.or_(calls.c.queued_at < queued_before, calls.c.dial_by <= now))
        .limit(limit).with_for_update(skip_locked=True)
    )
    return _apply(conn, CallTrigger.ABANDON, calls.c.id.in_(stale.scalar_subquery()))


def lose(conn: sa.Connection, attempt_ids: Sequence[int]) -> list[int]:
    """A call whose outcome never came: any later report of it is refused by the guard."""
    if not attempt_ids:
        return []
    return _apply(conn, CallTrigger.LOSE, calls.c.attempt_id.in_(attempt_ids))


def _apply(conn: sa.Connection, trigger: CallTrigger, which: sa.ColumnElement[bool]) -> list[int]:
    stmt = (
        calls.update()
        .where(which, calls.c.status.in_(call_state.allowed_from(trigger)))
        .values(status=call_state.target(trigger).value)
        .returning(calls.c.attempt_id)
    )
    return [int(a) for a in conn.execute(stmt).scalars()]


def find_record(
    conn: sa.Connection, client_id: int, call_uuid: str
) -> tuple[CallRecordRow, list[LegRow]] | None:
    """A client's call with its try's attempt_no and task's scheduler_id, and its legs in
    the order they were sent; None for another client's call or an unknown one."""
    stmt = (
        sa.select(calls, attempts.c.attempt_no, tasks.c.scheduler_id)
        .join(attempts, attempts.c.id == calls.c.attempt_id)
        .join(tasks, tasks.c.id == calls.c.task_id)
        .where(calls.c.uuid == call_uuid, calls.c.client_id == client_id)
    )
    found = conn.execute(stmt).first()
    if found is None:
        return None
    call = common.from_row(CallRecordRow, found)
    legs = sa.select(call_legs).where(call_legs.c.call_id == call.id) \
        .order_by(call_legs.c.invite_at, call_legs.c.id)
    return call, common.from_rows(LegRow, conn.execute(legs))


def claim_queued(conn: sa.Connection, controller: str, now: datetime,
                 limit: int) -> list[ClaimedCall]:
    """queued → placed for up to ``limit`` SIP calls, held by ``controller``. SKIP LOCKED:
    two controllers never take the same call."""
    due = (
        sa.select(calls.c.id)
        .where(calls.c.status == CallStatus.QUEUED.value, calls.c.dialer == SIP_DIALER,
               _in_time(now))
        .order_by(calls.c.queued_at).limit(limit).with_for_update(skip_locked=True)
    )
    stmt = (
        calls.update()
        .where(calls.c.id.in_(due.scalar_subquery()),
               calls.c.status.in_(call_state.allowed_from(CallTrigger.PLACE)))
        .values(status=call_state.target(CallTrigger.PLACE).value, controller=controller,
                placed_at=now)
        .returning(calls.c.id, calls.c.attempt_id, calls.c.uuid, calls.c.client_id,
                   calls.c.request)
    )
    return [_claimed(r) for r in conn.execute(stmt).all()]


def _claimed(row: common.Raw) -> ClaimedCall:
    return ClaimedCall(int(row.id), int(row.attempt_id), str(row.uuid), int(row.client_id),
                       dict(row.request))


@dataclass(frozen=True)
class NewLeg:
    """An INVITE about to be sent, as its row holds it."""

    call_id: int
    leg: str
    position: int
    number: str
    sip_call_id: str
    invite: str
    invite_at: datetime
    client_id: int  # whose do-not-call list the number is checked against


def held(conn: sa.Connection, controller: str, call_ids: Sequence[int]) -> set[int]:
    """Which of these calls ``controller`` still holds, placed; their rows stay locked until
    the transaction ends, so a take-over cannot move them meanwhile."""
    if not call_ids:
        return set()
    stmt = (calls.update()
            .where(calls.c.id.in_(set(call_ids)), calls.c.controller == controller,
                   calls.c.status == CallStatus.PLACED.value)
            .values(controller=calls.c.controller).returning(calls.c.id))
    return {int(i) for i in conn.execute(stmt).scalars()}


_LEG_COLUMNS = ("call_id", "leg", "position", "number", "sip_call_id", "invite", "invite_at")


def insert_legs(conn: sa.Connection, controller: str, legs: Sequence[NewLeg],
                now: datetime) -> dict[str, int]:
    """The INVITEs about to be sent, in one statement; returns the rows written by Call-ID.
    A Call-ID missing from the answer is not to be sent: it was written before (that number
    had its INVITE for this try, it gets no second one), its call is no longer held by
    ``controller`` (taken over while this one was cut off: its new holder ends it), or a
    do-not-call list in force at ``now`` holds its number for the call's client (checked
    as the INVITE is about to leave)."""
    still_held = held(conn, controller, [leg.call_id for leg in legs])
    to_write = [leg for leg in legs if leg.call_id in still_held]
    if not to_write:
        return {}
    if conn.dialect.name == "postgresql":
        stmt = _insert_unless_listed(conn, to_write, now)
    else:
        # SQLite names no columns of a VALUES list: the lists are asked first (it has one
        # writer at a time, so nothing is listed in between).
        listed = dnc_repo.listed_numbers(conn, {leg.client_id for leg in to_write},
                                         [leg.number for leg in to_write], now)
        to_write = [leg for leg in to_write if leg.number not in listed.get(leg.client_id, {})]
        if not to_write:
            return {}
        stmt = insert_ignoring_conflicts(conn, call_legs).values([
            {name: getattr(leg, name) for name in _LEG_COLUMNS} for leg in to_write])
    found = conn.execute(stmt.returning(call_legs.c.id, call_legs.c.sip_call_id)).all()
    return {str(sip_call_id): int(row_id) for row_id, sip_call_id in found}


def _insert_unless_listed(conn: sa.Connection, legs: Sequence[NewLeg], now: datetime) -> Any:
    """INSERT … SELECT from the legs' columns as arrays (unnest) where no list holds the
    number: one statement of one shape whatever the batch, so it is compiled once, and the
    check costs the batch no statement of its own."""
    arrays = [sa.bindparam(f"new_{name}", [_stored(getattr(leg, name)) for leg in legs],
                           type_=postgresql.ARRAY(kind))
              for name, kind in _UNNESTED]
    new = sa.func.unnest(*arrays).table_valued(
        *(sa.column(name, kind) for name, kind in _UNNESTED)).render_derived("new_legs")
    return insert_ignoring_conflicts(conn, call_legs).from_select(
        _LEG_COLUMNS, sa.select(*(new.c[name] for name in _LEG_COLUMNS)).where(
            dnc_repo.not_listed(new.c.client_id, new.c.number, now)))


# The legs' columns as unnest gives them (a timestamp naive UTC, as stored).
_UNNESTED: tuple[tuple[str, Any], ...] = (
    ("call_id", sa.BigInteger()), ("leg", sa.String()), ("position", sa.Integer()),
    ("number", sa.String()), ("sip_call_id", sa.String()), ("invite", sa.Text()),
    ("invite_at", sa.DateTime()), ("client_id", sa.Integer()))


def _stored(value: Any) -> Any:
    return value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) else value


def rewrite_invite(conn: sa.Connection, leg_id: int, invite: str) -> None:
    """The same INVITE with credentials (a challenge answered): what a CANCEL must match."""
    conn.execute(call_legs.update().where(call_legs.c.id == leg_id).values(invite=invite))


def update_legs(
    conn: sa.Connection, controller: str, changes: Sequence[dict[str, Any]]
) -> None:
    """What became of legs: each change has ``id`` and the columns to set. Only legs of
    calls ``controller`` holds: a controller cut off while its calls were taken over does
    not overwrite what their new holder wrote."""
    by_columns: dict[frozenset[str], list[dict[str, Any]]] = {}
    for change in changes:
        by_columns.setdefault(frozenset(change), []).append(change)
    ours = call_legs.c.call_id.in_(sa.select(calls.c.id).where(calls.c.controller == controller)
                                   .scalar_subquery())
    for group in by_columns.values():
        bulk.update_each(conn, call_legs, group, ours, [call_legs.c.id])


class CallEnd(NamedTuple):
    """How a call a SIP controller held ended: its outcome (CallOutcome.to_json, with the
    network's code and reason) or None (lost), and when."""

    call_id: int
    outcome: dict[str, Any] | None
    at: datetime


def end_calls(conn: sa.Connection, controller: str, endings: Sequence[CallEnd]) -> list[int]:
    """placed → ended with the outcome, or → lost (None), at the given times, a statement
    per kind; guarded, so a call another controller or the reaper ended, or another
    controller took over, meanwhile is left alone. Returns the calls ended here."""
    ended: list[int] = []
    for trigger in (CallTrigger.END, CallTrigger.LOSE):
        changes = [{"id": call_id, "status": call_state.target(trigger).value,
                    "ended_at": at, "outcome": outcome} for call_id, outcome, at in endings
                   if (outcome is not None) == (trigger is CallTrigger.END)]
        guard = sa.and_(calls.c.status.in_(call_state.allowed_from(trigger)),
                        calls.c.controller == controller)
        ended += [int(r.id)
                  for r in bulk.update_each(conn, calls, changes, guard, [calls.c.id])]
    return ended


def take_over(conn: sa.Connection, holders: Sequence[str], controller: str,
              limit: int, after_id: int = 0) -> list[ClaimedCall]:
    """Placed calls held by ``holders`` (a dead controller, or this one's previous life),
    now held by ``controller``, the first ``limit`` by id above ``after_id`` (a page: the
    calls taken from this controller itself are still held by it on the next page);
    guarded on the holder, so one controller takes each."""
    held = (
        sa.select(calls.c.id)
        .where(calls.c.status == CallStatus.PLACED.value, calls.c.controller.in_(holders),
               calls.c.id > after_id)
        .order_by(calls.c.id).limit(limit).with_for_update(skip_locked=True)
    )
    stmt = (calls.update()
            .where(calls.c.id.in_(held.scalar_subquery()),
                   calls.c.status == CallStatus.PLACED.value)
            .values(controller=controller)
            .returning(calls.c.id, calls.c.attempt_id, calls.c.uuid, calls.c.client_id,
                       calls.c.request))
    return [_claimed(r) for r in conn.execute(stmt).all()]


def legs_of(conn: sa.Connection, call_ids: Sequence[int]) -> list[LegRow]:
    if not call_ids:
        return []
    stmt = sa.select(call_legs).where(call_legs.c.call_id.in_(call_ids)).order_by(
        call_legs.c.id)
    return common.from_rows(LegRow, conn.execute(stmt))
