"""Local wall-clock time of IANA zones, DST-safe: where a zone's UTC offset changes, which
instant first shows a given wall-clock time. Reads the installed tz database only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from models.rules import text

# Offsets are probed this far apart: every zone's changes lie months apart in the years
# ahead, so two changes cancelling out between probes are not missed.
PROBE_STEP = timedelta(hours=6)
MAX_ZONE_NAME_CHARS = 64
TIMEZONE_RULE = "must be an IANA time zone name known to the tz database (e.g. Europe/Paris)"
ONE_SECOND = timedelta(seconds=1)


# Files of a system's zoneinfo folder that name this machine's zone, not a place.
_NOT_PLACES = frozenset({"localtime", "posixrules"})


@cache
def _known_zones() -> frozenset[str]:
    # The tz database's list: ZoneInfo alone would open any file under the zoneinfo folder.
    return frozenset(available_timezones()) - _NOT_PLACES


def timezone_problem(name: object) -> str | None:
    """Why ``name`` is not a zone to use, or None."""
    if (not isinstance(name, str) or len(name) > MAX_ZONE_NAME_CHARS
            or text.unsafe_text(name) or name not in _known_zones()):
        return TIMEZONE_RULE
    return None


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)  # ZoneInfo keeps one instance per name


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time is refused, it names no instant."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(UTC)


def offset_at(tz: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always has an offset for an aware instant
    return offset


def local_wall(tz: ZoneInfo, instant: datetime) -> datetime:
    """The naive wall-clock time ``instant`` shows in ``tz``."""
    return instant.astimezone(tz).replace(tzinfo=None)


def offset_segments(tz: ZoneInfo, start: datetime,
                    end: datetime) -> list[tuple[datetime, datetime, timedelta]]:
    """[start, end) (UTC, whole seconds) cut where ``tz``'s offset changes:
    (segment start, segment end, offset) in order, none empty."""
    segments: list[tuple[datetime, datetime, timedelta]] = []
    seg_start, seg_offset = start, offset_at(tz, start)
    probe = start
    while probe < end:
        following = min(probe + PROBE_STEP, end)
        if offset_at(tz, following) != seg_offset:
            change = _first_change(tz, probe, following, seg_offset)
            segments.append((seg_start, change, seg_offset))
            seg_start, seg_offset = change, offset_at(tz, change)
        probe = following
    segments.append((seg_start, end, seg_offset))
    return [segment for segment in segments if segment[0] < segment[1]]


def _first_change(tz: ZoneInfo, low: datetime, high: datetime, offset: timedelta) -> datetime:
    """The first whole second in (low, high] whose offset is not ``offset`` (high's is not);
    the tz database changes offsets on whole seconds."""
    low_s, high_s = 0, int((high - low).total_seconds())
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if offset_at(tz, low + middle * ONE_SECOND) == offset:
            low_s = middle
        else:
            high_s = middle
    return low + high_s * ONE_SECOND


def first_instant_showing(tz: ZoneInfo, wall: datetime) -> datetime:
    """The first instant (UTC) at which ``tz`` shows wall-clock time ``wall`` or, when the
    clocks skip it (spring forward), the first instant after the skipped stretch."""
    candidates = [wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)]
    showing = [c for c in candidates if local_wall(tz, c) == wall]
    if showing:
        return min(showing)  # a repeated time (fall back): its first occurrence
    # In a gap, fold=1 reads the wall with the offset after the change (an instant before
    # it) and fold=0 with the offset before (an instant after it): the change lies between.
    low, high = min(candidates), max(candidates)
    return _first_change(tz, low, high, offset_at(tz, low))
