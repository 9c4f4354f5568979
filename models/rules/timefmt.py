"""The seeds' time format, ``YYYY-MM-DD HH:MM:SS`` in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime

SEED_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# The seed allows the seconds to be left out.
SEED_TIME_FORMAT_NO_SECONDS = "%Y-%m-%d %H:%M"
# The usual, zero-padded shape, read without strptime (ten times its speed: a request may
# carry 100,000 times); any other shape strptime accepts still goes through strptime.
_PADDED = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?")


def parse(text: str) -> datetime:
    """Parse a seed time as UTC; raises ValueError on any other shape."""
    padded = _PADDED.fullmatch(text)
    if padded is not None:
        year, month, day, hour, minute, second = padded.groups("0")
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                        tzinfo=UTC)
    for fmt in (SEED_TIME_FORMAT, SEED_TIME_FORMAT_NO_SECONDS):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(text)


def format(moment: datetime | None) -> str | None:
    """The seed's format; the year always has four digits (strftime's %Y drops the zeros
    of years before 1000 on glibc)."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-" + utc.strftime("%m-%d %H:%M:%S")


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, as the job status page writes times."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.") + (
        f"{utc.microsecond // 1000:03d}Z")


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration: ``PT7.22S``, ``PT1H2M3.5S``."""
    seconds = max(0.0, seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT"
    if hours:
        text += f"{int(hours)}H"
    if minutes:
        text += f"{int(minutes)}M"
    return text + f"{round(secs, 2):g}S"
