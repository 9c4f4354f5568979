"""The one clock. Pure code takes ``now`` as an argument instead of calling this."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
