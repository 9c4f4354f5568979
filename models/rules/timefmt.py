"""The seeds' time format, ``YYYY-MM-DD HH:MM:SS`` in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# YYYY-MM-DD HH:MM:SS, or YYYY-MM-DD HH:MM (the seed allows the seconds to be left out),
# and nothing else: ASCII digits, every field zero-padded, one space. strptime would also
# take "2027-1-1 0:0:0", other scripts' digits and any run of white space.
_SEED_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?")


def parse(text: str) -> datetime:
    """Parse a seed time as UTC; raises ValueError on any other shape or a date that does
    not exist."""
    found = _SEED_TIME.fullmatch(text)
    if found is None:
        raise ValueError(text)
    year, month, day, hour, minute, second = (int(part) for part in found.groups("0"))
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


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
