"""The dialer port: originate a call and, later, learn how it went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from models.outcome import CallOutcome


@dataclass(frozen=True)
class DialRequest:
    attempt_id: int
    task_id: int
    attempt_no: int
    # The A leg rings every one of these; the first to answer wins.
    a_numbers: tuple[str, ...]
    b_number: str
    caller_id_number: str | None = None
    caller_id_name: str | None = None


@dataclass(frozen=True)
class PlacedCall:
    """The network accepted the call: ``ref`` names it, ask about it again at ``check_at``."""

    ref: str
    check_at: datetime


class Dialer(Protocol):
    def originate(self, request: DialRequest, now: datetime) -> PlacedCall:
        """Start the call and return at once; the call rings and talks without us."""
        ...

    def poll(self, ref: str | None, now: datetime) -> CallOutcome | None:
        """The call's outcome once it has ended; None while it goes on or if unknown."""
        ...
