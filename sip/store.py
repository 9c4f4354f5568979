"""The controller's database work, off the event loop: reads on a thread, and writes
gathered into one transaction per batch, so a few milliseconds of calls cost one commit.
``write`` waits until its batch committed (an INVITE is sent only after its leg row is in);
``write_later`` does not wait (what became of a leg)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa

log = logging.getLogger(__name__)
T = TypeVar("T")
Work = Callable[[sa.Connection], Any]
# Writes gathered into one transaction at most.
BATCH_MAX = 500


class Store:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._executor = ThreadPoolExecutor(2, "sip-db")
        self._pending: list[tuple[Work, asyncio.Future[Any] | None]] = []
        self._wake = asyncio.Event()
        self.failed_writes = 0

    async def read(self, work: Callable[[sa.Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self._in_transaction, work)

    async def write(self, work: Callable[[sa.Connection], T]) -> T:
        """Run ``work`` in the next batch; returns once that batch has committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((work, future))
        self._wake.set()
        return await future

    def write_later(self, work: Work) -> None:
        self._pending.append((work, None))
        self._wake.set()

    async def run(self) -> None:
        """Forever: take what is pending, write it in one transaction, tell the waiters."""
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[:BATCH_MAX], self._pending[BATCH_MAX:]
                try:
                    results = await loop.run_in_executor(self._executor, self._write, batch)
                except Exception as error:
                    self.failed_writes += len(batch)
                    log.exception("writing %d changes of calls failed", len(batch))
                    for _, future in batch:
                        if future is not None and not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if future is not None and not future.done():
                        future.set_result(result)

    def _write(self, batch: list[tuple[Work, asyncio.Future[Any] | None]]) -> list[Any]:
        with self.engine.begin() as conn:
            return [work(conn) for work, _ in batch]

    def _in_transaction(self, work: Callable[[sa.Connection], T]) -> T:
        with self.engine.begin() as conn:
            return work(conn)

    async def drain(self) -> None:
        """Wait until everything handed in so far has been written (or failed)."""
        while self._pending:
            await self.write(lambda _conn: None)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
