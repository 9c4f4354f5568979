"""The dialer port: start the calls that tries handed over. Each try's call is written to
the calls table in the try's own transaction (models.repository.calls_repo); a dialer takes
it from there and writes its outcome back there, where completion collects it. So a call
placed by a worker that died is collected like any other, and one never placed is seen to
be still `queued`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from models.storage.repository import calls_repo


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
    extension_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> DialRequest:
        return cls(**{**raw, "a_numbers": tuple(raw["a_numbers"])})


@dataclass(frozen=True)
class QueuedCall:
    """A try's call as the calls table holds it, waiting for its dialer."""

    uuid: calls_repo.CallUuid
    request: DialRequest


class Dialer(Protocol):
    name: calls_repo.DialerName  # stored with each call: which dialer places it

    def originate(self, calls: Sequence[QueuedCall], now: datetime) -> None:
        """Start the calls, already queued and committed, and return at once; they ring and
        talk without us. Safe to call twice: a call is placed only from `queued`."""
        ...
