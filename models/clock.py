"""The one clock. Pure code takes ``now`` as an argument instead of calling this."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def monotonic_s() -> float:
    """Seconds on a clock that never goes back, for measuring intervals."""
    return time.monotonic()
