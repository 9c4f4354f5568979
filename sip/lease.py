"""A controller's lease on the calls it holds: pure, times are the event loop's.

Another controller takes the calls over once this one's heartbeat is older than the
controller timeout (by the database's rows and the taker's clock). So this one must stop
acting on them before that: its lease runs LEASE_SHARE of the timeout from the moment its
last heartbeat was begun (a heartbeat is written with a time taken no earlier), and it
heartbeats several times within that. Hosts' clocks must agree to well within the rest of
the timeout (NTP does)."""

from __future__ import annotations

from dataclasses import dataclass

LEASE_SHARE = 0.75
HEARTBEATS_PER_LEASE = 4
HEARTBEAT_INTERVAL_MAX_S = 2.0


@dataclass
class Lease:
    timeout_s: float  # the controller timeout: silent this long, a controller is dead
    until: float | None = None  # None: never renewed, or lost

    @property
    def length_s(self) -> float:
        return self.timeout_s * LEASE_SHARE

    @property
    def heartbeat_interval_s(self) -> float:
        return min(HEARTBEAT_INTERVAL_MAX_S, self.length_s / HEARTBEATS_PER_LEASE)

    def renew(self, begun: float, now: float) -> bool:
        """A heartbeat begun at ``begun`` was written at ``now``: whether the lease now runs
        (a heartbeat that took longer than the lease renews nothing)."""
        until = begun + self.length_s
        if until <= now:
            return False
        self.until = until if self.until is None else max(self.until, until)
        return True

    def held(self, now: float) -> bool:
        return self.until is not None and now < self.until

    def lose(self) -> None:
        self.until = None
