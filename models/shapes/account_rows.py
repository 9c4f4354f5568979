"""The rows of SIP accounts (the password only where a call is placed from it)."""

from __future__ import annotations

import dataclasses
from datetime import datetime


@dataclasses.dataclass(frozen=True, slots=True)
class AccountRow:
    """A SIP account as the API reads it: the password left out."""

    id: int
    client_id: int
    extension_id: int
    username: str
    domain: str | None
    trunk: str | None
    created_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class AccountWithPassword(AccountRow):
    """A SIP account as calls are placed from it (the SIP controller's read only)."""

    password: str
