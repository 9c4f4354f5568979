"""API tokens and scopes: pure. Tokens are random; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from enum import StrEnum

from models.rules.errors import FieldError, InvalidInput

TOKEN_PREFIX = "rbk_"
TOKEN_BYTES = 32


class Scope(StrEnum):
    TASKS_WRITE = "tasks:write"
    TASKS_READ = "tasks:read"
    JOBS_CONTROL = "jobs:control"
    JOBS_READ = "jobs:read"
    EVENTS_READ = "events:read"
    ACCOUNTS_WRITE = "accounts:write"  # the SIP accounts calls are placed from
    ACCOUNTS_READ = "accounts:read"
    DNC_WRITE = "dnc:write"  # the client's do-not-call list
    DNC_READ = "dnc:read"


DURATION_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``90m``, ``12h``, ``30d``, ``3600s`` or plain seconds; InvalidInput otherwise."""
    amount, unit = (text[:-1], text[-1]) if text[-1:] in DURATION_UNITS_S else (text, "s")
    if not amount.isascii() or not amount.isdigit() or len(amount) > 9 or int(amount) == 0:
        raise InvalidInput([FieldError("expires_in", "must be a positive whole number with "
                                                     "an optional unit s, m, h or d")])
    return timedelta(seconds=int(amount) * DURATION_UNITS_S[unit])


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    # A 256-bit random token needs no slow hash: SHA-256 cannot be brute-forced back to it.
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(text: str) -> frozenset[Scope]:
    """``tasks:write,tasks:read`` → scopes; InvalidInput names any unknown scope."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    known = {s.value for s in Scope}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        rule = f"unknown scope {', '.join(unknown)}; " if unknown else ""
        raise InvalidInput([FieldError("scopes", f"{rule}choose from {', '.join(sorted(known))}")])
    return frozenset(Scope(n) for n in names)


def format_scopes(scopes: frozenset[Scope]) -> str:
    return ",".join(sorted(s.value for s in scopes))
