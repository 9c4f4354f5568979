"""Typed rows of the intake tables (do-not-call entries, Idempotency-Keys): pure."""

from __future__ import annotations

import dataclasses
from datetime import datetime


@dataclasses.dataclass(frozen=True, slots=True)
class DncEntryRow:
    client_id: int  # models.rules.dnc.INSTALLATION for the installation-wide list
    number: str  # E.164
    expires_at: datetime | None
    created_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class IdempotencyRow:
    client_id: int
    key: str
    request_hash: str
    created_at: datetime
    status_code: int | None  # None while the first request is still being answered
    response: str | None
