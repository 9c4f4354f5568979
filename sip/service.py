"""`ringback sip`: the call controller process. It takes queued SIP calls from PostgreSQL
(woken by NOTIFY, and polling on SQLite), places them, says it is alive, and takes over the
calls of a controller that went silent. SIGTERM stops it taking calls; it exits once the
calls it holds have ended (a second SIGTERM, or SIGINT, exits at once: what it held is
taken over by the next controller to start)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from datetime import timedelta

import sqlalchemy as sa

from models import clock, json_logs
from models.settings import Settings
from models.shapes.rows import ClaimedCall
from models.storage import db
from models.storage.repository import calls_repo, controllers_repo, sip_accounts_repo
from sip import addresses, letgo, recovery
from sip.active import CallRequest, Limits
from sip.codec import Message
from sip.controller import Controller
from sip.endpoint import Endpoint
from sip.grammar import ParseError
from sip.lease import Lease
from sip.requests import Trunk
from sip.store import Store
from sip.transaction_base import Timers
from sip.transport import Address, Transport
from sip.transport import Protocol as Wire

log = logging.getLogger(__name__)
CLAIM_BATCH_MAX = 200
POLL_INTERVAL_S = 1.0
SQLITE_POLL_INTERVAL_S = 0.2
NOTIFY_RETRY_S = 2.0
LAG_PROBE_S = 0.05
LAG_WARN_S = 0.2


class Service:
    def __init__(self, settings: Settings) -> None:
        if not settings.sip_trunk:
            raise ValueError("RINGBACK_SIP_TRUNK: the SIP URI of the trunk is required")
        self.settings = settings
        self.trunk = Trunk.parse(settings.sip_trunk)
        self.me = addresses.controller_id(settings)
        self.engine = db.create_engine(settings.database_url, pool_size=4)
        self.store = Store(self.engine, self.me)
        self.transport = Transport(self._receive)
        self.controller = Controller(self.store, Limits(
            settings.sip_a_ring_timeout_s, settings.sip_b_ring_timeout_s,
            settings.sip_max_call_s), via=("0.0.0.0", 0))
        self.endpoint = Endpoint(self.transport, Timers(t1=settings.sip_t1_s), self.controller)
        self.controller.endpoint = self.endpoint
        self.lease = Lease(settings.sip_controller_timeout_s)
        # Cut off: no lease, so no call is taken or held. A controller starts cut off, and
        # is back once a heartbeat is written and what it held before has been taken over.
        self.cut_off = True
        self.let_go_count = 0  # times the lease lapsed: a start begun before one is void
        self.own_calls_unsure = False  # a claim failed: some claimed calls may be unstarted
        self._starting = asyncio.Lock()  # claims and take-overs start calls one at a time
        self._lease_timer: asyncio.TimerHandle | None = None
        self.wake = asyncio.Event()
        self.stopping = False
        self.main_task: asyncio.Task[None] | None = None

    def _receive(self, item: Message | ParseError | bytes, source: Address, wire: Wire) -> None:
        self.endpoint.receive(item, source, wire)

    async def run(self) -> None:
        self.main_task = asyncio.current_task()
        await self.transport.start(*addresses.listen_address(self.settings))
        self.controller.via = addresses.advertised(self.settings, self.transport.address,
                                                   self.trunk)
        log.info("SIP controller %s listening on %s:%s (udp and tcp), trunk %s", self.me,
                 *self.transport.address, self.settings.sip_trunk)
        tasks = [asyncio.create_task(c) for c in (
            self.store.run(), self._listen(), self._heartbeats(), watch_loop_lag())]
        try:
            await self._claim_until_stopped()
            while self.controller.calls:
                await asyncio.sleep(0.5)  # let the calls held end (a drain)
            await self.store.drain()
        finally:
            for task in tasks:
                task.cancel()
            if self._lease_timer is not None:
                self._lease_timer.cancel()
            self.transport.close()
            self.store.close()
            self.engine.dispose()

    def stop(self) -> None:
        """Take no more calls; go once those held have ended. Asked twice: go now."""
        if self.stopping:
            self.stop_now()
            return
        self.stopping = True
        self.wake.set()

    def stop_now(self) -> None:
        if self.main_task is not None:
            self.main_task.cancel()

    async def _claim_until_stopped(self) -> None:
        interval = SQLITE_POLL_INTERVAL_S if self.settings.is_sqlite else POLL_INTERVAL_S
        self.controller.on_room = self.wake.set
        while not self.stopping:
            # Admission: a burst of calls is set up at the pace answers can be handled, the
            # rest waits queued (a loop late by T1 would see its INVITEs retransmitted).
            room = 0 if self.cut_off else min(
                CLAIM_BATCH_MAX, self.settings.sip_max_setups - self.controller.setting_up)
            claimed = await self._claim_and_start(room) if room > 0 else 0
            if claimed and claimed == room:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), interval)
            self.wake.clear()

    async def _claim_and_start(self, room: int) -> int:
        async with self._starting:
            let_go_before = self.let_go_count
            try:
                batch = await self.store.write(functools.partial(self._claim, limit=room))
                await self._start(batch, let_go_before)
            except Exception:
                # The claim may have been written: what it took is taken over from ourself.
                self.own_calls_unsure = True
                log.exception("claiming calls failed; trying again")
                return 0
            return len(batch)

    def _claim(self, conn: sa.Connection, limit: int) -> list[ClaimedCall]:
        return calls_repo.claim_queued(conn, self.me, clock.now(), limit)

    async def _start(self, batch: list[ClaimedCall], let_go_before: int) -> None:
        if not batch:
            return
        requests = {c.id: CallRequest.from_json(c.request) for c in batch}
        wanted = {(c.client_id, ext) for c in batch
                  if (ext := requests[c.id].extension_id) is not None}
        accounts = await self.store.read(
            lambda conn: sip_accounts_repo.find_for_calls(conn, wanted))
        if self.let_go_count != let_go_before:
            return  # the lease lapsed meanwhile: they stay ours, taken over once back
        for call in batch:
            extension = requests[call.id].extension_id
            if extension is None:
                self.controller.start_call(
                    call, addresses.default_account(self.settings, self.trunk))
            elif (row := accounts.get((call.client_id, extension))) is not None:
                self.controller.start_call(
                    call, addresses.account(row, self.settings, self.trunk))
            else:
                self.controller.fail_unplaced(call, f"no SIP account for extension {extension}")

    async def _listen(self) -> None:
        """Wake the claimer on each NOTIFY (PostgreSQL); reconnect when the link drops."""
        if self.settings.is_sqlite:
            return
        url = self.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        while True:
            try:
                async for _ in controllers_repo.notifications(url):
                    self.wake.set()
            except Exception as error:
                log.warning("listening for new calls failed (%s); polling meanwhile", error)
            await asyncio.sleep(NOTIFY_RETRY_S)

    async def _heartbeats(self) -> None:
        while True:
            try:
                await self._heartbeat_and_take_over()
            except Exception:
                log.exception("heartbeat or take-over failed; trying again")
            await asyncio.sleep(self.lease.heartbeat_interval_s)

    async def _heartbeat_and_take_over(self) -> None:
        loop = asyncio.get_running_loop()
        begun = loop.time()
        silent = await self.store.write(self._heartbeat)
        if not self.lease.renew(begun, loop.time()):
            return  # written too late to count: the lease may have lapsed meanwhile
        self._arm_lease()
        ours = self.cut_off or self.own_calls_unsure
        holders = [s for s in silent if s != self.me] + ([self.me] if ours else [])
        if await self._take_over(holders) and ours:
            if self.cut_off and self.let_go_count:
                log.info("back: the lease is held again, taking calls")
            self.cut_off = self.own_calls_unsure = False
            self.wake.set()

    def _heartbeat(self, conn: sa.Connection) -> list[str]:
        """Say this controller is alive; the controllers silent too long."""
        host, port = self.transport.address
        now = clock.now()
        controllers_repo.heartbeat(conn, self.me, f"{host}:{port}", now)
        timeout = timedelta(seconds=self.settings.sip_controller_timeout_s)
        return controllers_repo.silent_controllers(conn, now - timeout)

    def _arm_lease(self) -> None:
        assert self.lease.until is not None
        if self._lease_timer is not None:
            self._lease_timer.cancel()
        self._lease_timer = asyncio.get_running_loop().call_at(self.lease.until,
                                                               self._lease_lapsed)

    def _lease_lapsed(self) -> None:
        if self.lease.held(asyncio.get_running_loop().time()):
            self._arm_lease()
            return
        self.lease.lose()
        self.cut_off = True
        self.let_go_count += 1
        count = letgo.let_go_all(self.controller)
        log.warning("no heartbeat written for %.1f s: let go of %d calls, taking none until "
                    "one is", self.lease.length_s, count)

    async def _take_over(self, holders: list[str]) -> bool:
        """Take over every call ``holders`` hold, a page at a time; False when the lease
        lapsed meanwhile (what is left is taken over once back)."""
        after_id = 0
        while holders:
            async with self._starting:
                let_go_before = self.let_go_count
                taken = await self.store.write(functools.partial(
                    calls_repo.take_over, holders=holders, controller=self.me,
                    limit=recovery.TAKE_OVER_BATCH_MAX, after_id=after_id))
                if not taken:
                    break
                after_id = max(call.id for call in taken)
                await self._end_or_place(
                    [call for call in taken if call.id not in self.controller.calls], holders,
                    let_go_before)
                if self.let_go_count != let_go_before:
                    return False
            if len(taken) < recovery.TAKE_OVER_BATCH_MAX:
                break
        return True

    async def _end_or_place(self, taken: list[ClaimedCall], holders: list[str],
                            let_go_before: int) -> None:
        legs = await self.store.read(
            lambda conn: calls_repo.legs_of(conn, [call.id for call in taken]))
        unsent, sent = recovery.split_unsent(taken, legs)
        if taken:
            log.info("took over %d calls of %s: %d to place, %d to end", len(taken),
                     ", ".join(holders), len(unsent), len(sent))
        await self._start(unsent, let_go_before)
        if self.let_go_count != let_go_before:
            return
        now = clock.now()
        endings = [(call.id, recovery.end_call_from_saved_state(self.controller, call, call_legs,
                                                                now))
                   for call, call_legs in sent]
        leg_rows = [row for _, call_legs in sent for row in recovery.ended_rows(call_legs, now)]
        if endings:
            self.store.write_later(lambda conn: recovery.record_endings(
                conn, self.me, endings, leg_rows))


async def watch_loop_lag() -> None:
    """Say when the event loop ran late: answers are then late too (past T1, a peer's
    retransmissions start), so it is worth a log line."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await asyncio.sleep(LAG_PROBE_S)
        late_s = loop.time() - started - LAG_PROBE_S
        if late_s > LAG_WARN_S:
            log.warning("the event loop ran %.0f ms late", late_s * 1000)


async def serve(settings: Settings) -> None:
    service = Service(settings)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, service.stop)
    loop.add_signal_handler(signal.SIGINT, service.stop_now)
    with contextlib.suppress(asyncio.CancelledError):
        await service.run()


def main(settings: Settings) -> int:
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(json_logs.JsonFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    asyncio.run(serve(settings))
    return 0
