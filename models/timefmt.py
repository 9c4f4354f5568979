"""The seeds' time format, ``YYYY-MM-DD HH:MM:SS`` in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

SEED_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# The seed allows the seconds to be left out.
SEED_TIME_FORMAT_NO_SECONDS = "%Y-%m-%d %H:%M"


def parse(text: str) -> datetime:
    """Parse a seed time as UTC; raises ValueError on any other shape."""
    for fmt in (SEED_TIME_FORMAT, SEED_TIME_FORMAT_NO_SECONDS):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(text)


def format(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime(SEED_TIME_FORMAT)
