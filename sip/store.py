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

from models.repository import sip_repo

log = logging.getLogger(__name__)
T = TypeVar("T")
Work = Callable[[sa.Connection], Any]
# Generic writes gathered into one transaction at most (the kinds above have no limit).
BATCH_MAX = 500


@dataclass
class _Batch:
    legs: list[tuple[sip_repo.NewLeg, asyncio.Future[int | None]]] = field(
        default_factory=list)
    leg_changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    endings: list[tuple[int, dict[str, Any] | None, datetime]] = field(default_factory=list)
    works: list[tuple[Work, asyncio.Future[Any] | None]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.legs or self.leg_changes or self.endings or self.works)


class Store:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
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

    async def insert_leg(self, leg: sip_repo.NewLeg) -> int | None:
        """The leg's row id once committed; None when its Call-ID was written before."""
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._pending.legs.append((leg, future))
        self._wake.set()
        return await future

    def change_leg(self, row_id: int, **fields: Any) -> None:
        """Set these columns of a leg's row (merged with its other pending changes)."""
        self._pending.leg_changes.setdefault(row_id, {}).update(fields)
        self._wake.set()

    def end_call(self, call_id: int, outcome: dict[str, Any] | None, at: datetime) -> None:
        self._pending.endings.append((call_id, outcome, at))
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
                    log.exception("writing a batch of calls' changes failed")
                    _fail(batch, error)
                    continue
                # Told only after the commit: an INVITE leaves once its row is in.
                for leg, future in batch.legs:
                    _resolve(future, written.get(leg.sip_call_id))
                for (_, work_future), result in zip(batch.works, results, strict=True):
                    if work_future is not None:
                        _resolve(work_future, result)

    def _take(self) -> tuple[_Batch, _Batch]:
        pending = self._pending
        rest = _Batch(works=pending.works[BATCH_MAX:])
        pending.works = pending.works[:BATCH_MAX]
        return pending, rest

    def _write(self, batch: _Batch) -> tuple[dict[str, int], list[Any]]:
        with self.engine.begin() as conn:
            written = sip_repo.insert_legs(conn, [leg for leg, _ in batch.legs])
            results = [work(conn) for work, _ in batch.works]
            sip_repo.update_legs(conn, [{"id": row_id, **fields}
                                        for row_id, fields in batch.leg_changes.items()])
            sip_repo.end_calls(conn, batch.endings)
        return written, results

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
