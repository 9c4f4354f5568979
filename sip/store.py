"""The controller's database work, off the event loop: reads on a thread, and writes
gathered into one transaction per batch, so a few milliseconds of calls cost one commit.
What a batch writes is grouped by kind, each kind one statement however many calls it
holds: the INVITEs about to leave (their callers wait until the batch has committed: an
INVITE is sent only after its row is in), what became of legs (merged per leg), calls
ended, and any other work handed in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from models import clock
from models.rules import dnc, numbering
from models.storage.repository import calls_repo, dnc_repo

log = logging.getLogger(__name__)
T = TypeVar("T")
Work = Callable[[sa.Connection], Any]
# Generic writes gathered into one transaction at most (the kinds above have no limit).
BATCH_MAX = 500
# After a failed write (the database unreachable): the pause before the next try.
RETRY_S = 1.0


@dataclass(frozen=True, slots=True)
class LegWritten:
    """What became of an INVITE's row: written (send it), or not (never send it)."""

    row_id: int | None  # None: written before, or its call is no longer held here
    # A do-not-call list holds its number now (listed while the call rang): no row, no INVITE.
    listed_on: dnc.ListScope | None = None


@dataclass
class _Batch:
    legs: list[tuple[calls_repo.NewLeg, asyncio.Future[LegWritten]]] = field(
        default_factory=list)
    leg_changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    endings: list[calls_repo.CallEnd] = field(default_factory=list)
    works: list[tuple[Work, asyncio.Future[Any] | None]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.legs or self.leg_changes or self.endings or self.works)


class Store:
    def __init__(self, engine: sa.Engine, controller: str, retry_s: float = RETRY_S) -> None:
        self.engine = engine
        self.controller = controller  # whose calls: what it writes is guarded on holding them
        self.retry_s = retry_s
        self._executor = ThreadPoolExecutor(2, "sip-db")
        self._pending = _Batch()
        self._wake = asyncio.Event()
        self.failed_writes = 0

    async def read(self, work: Callable[[sa.Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self._in_transaction, work)

    async def write(self, work: Callable[[sa.Connection], T]) -> T:
        """Run ``work`` in the next batch; returns once that batch has committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.works.append((work, future))
        self._wake.set()
        return await future

    def write_later(self, work: Work) -> None:
        self._pending.works.append((work, None))
        self._wake.set()

    async def insert_leg(self, leg: calls_repo.NewLeg) -> LegWritten:
        """The leg's row once committed, checked against the do-not-call lists in the same
        transaction, right before its INVITE leaves."""
        future: asyncio.Future[LegWritten] = asyncio.get_running_loop().create_future()
        self._pending.legs.append((leg, future))
        self._wake.set()
        return await future

    def change_leg(self, row_id: int, **fields: Any) -> None:
        """Set these columns of a leg's row (merged with its other pending changes)."""
        self._pending.leg_changes.setdefault(row_id, {}).update(fields)
        self._wake.set()

    def end_call(self, call_id: int, outcome: dict[str, Any] | None, at: datetime) -> None:
        self._pending.endings.append(calls_repo.CallEnd(call_id, outcome, at))
        self._wake.set()

    async def run(self) -> None:
        """Forever: take what is pending, write it in one transaction, tell the waiters."""
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._take()
                try:
                    written, results = await loop.run_in_executor(
                        self._executor, self._write, batch)
                except Exception as error:
                    self.failed_writes += 1
                    log.exception("writing a batch of calls' changes failed; what is not "
                                  "waited on is written again in %.0f s", self.retry_s)
                    _fail(batch, error)
                    self._keep(batch)
                    await asyncio.sleep(self.retry_s)  # the database is away: don't spin
                    continue
                # Told only after the commit: an INVITE leaves once its row is in.
                for leg, future in batch.legs:
                    _resolve(future, written[leg.sip_call_id])
                for (_, work_future), result in zip(batch.works, results, strict=True):
                    if work_future is not None:
                        _resolve(work_future, result)

    def _keep(self, failed: _Batch) -> None:
        """What nobody waits on (leg changes, endings, writes handed in to be done later)
        goes back to be written with the next batch: all of it is guarded, so writing it
        twice changes nothing, and dropping it would leave its calls placed for good."""
        pending = self._pending
        changes = failed.leg_changes
        for row_id, fields in pending.leg_changes.items():
            changes.setdefault(row_id, {}).update(fields)
        pending.leg_changes = changes
        pending.endings[:0] = failed.endings
        pending.works[:0] = [(work, None) for work, future in failed.works if future is None]

    def _take(self) -> tuple[_Batch, _Batch]:
        pending = self._pending
        rest = _Batch(works=pending.works[BATCH_MAX:])
        pending.works = pending.works[:BATCH_MAX]
        return pending, rest

    def _write(self, batch: _Batch) -> tuple[dict[str, LegWritten], list[Any]]:
        with self.engine.begin() as conn:
            written = self._write_legs(conn, [leg for leg, _ in batch.legs])
            results = [work(conn) for work, _ in batch.works]
            calls_repo.update_legs(conn, self.controller, [
                {"id": row_id, **fields} for row_id, fields in batch.leg_changes.items()])
            calls_repo.end_calls(conn, self.controller, batch.endings)
        return written, results

    def _write_legs(self, conn: sa.Connection,
                    legs: list[calls_repo.NewLeg]) -> dict[str, LegWritten]:
        """By Call-ID: each leg written, or not; the statement that writes them leaves out
        any whose number a do-not-call list holds now, and only when some leg is missing
        are the lists asked which (rare: a second look costs the common batch nothing)."""
        if not legs:
            return {}
        now = clock.now()
        rows = calls_repo.insert_legs(conn, self.controller, legs, now)
        missing = [leg for leg in legs if leg.sip_call_id not in rows]
        listed = dnc_repo.listed_numbers(
            conn, {leg.client_id for leg in missing},
            numbering.ruled([leg.number for leg in missing]), now) if missing else {}
        return {leg.sip_call_id: LegWritten(rows.get(leg.sip_call_id),
                                            listed.get(leg.client_id, {}).get(leg.number))
                for leg in legs}

    def _in_transaction(self, work: Callable[[sa.Connection], T]) -> T:
        with self.engine.begin() as conn:
            return work(conn)

    async def drain(self) -> None:
        """Wait until everything handed in so far has been written (or failed)."""
        while self._pending:
            await self.write(lambda _conn: None)

    def close(self) -> None:
        self._executor.shutdown(wait=True)


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _fail(batch: _Batch, error: Exception) -> None:
    for future in [f for _, f in batch.legs] + [f for _, f in batch.works if f is not None]:
        if not future.done():
            future.set_exception(error)
