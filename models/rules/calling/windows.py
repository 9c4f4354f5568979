"""Whether a number may be rung now under a scheduler's calling rules, and if not, when.

An instant is open in a zone when the wall-clock time it shows there lies in a range of
the rules for the local date it shows. That reading settles the DST cases by itself: a
range starting in the hour the clocks skip opens at the first instant after the skip (the
first one showing a time in range), and a range holding the hour shown twice is open in
both occurrences. A number of several zones is open only when open in every one of them:
the range is applied where it is strictest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from models.rules import timefmt
from models.rules.calling.days import day_plan
from models.rules.calling.localtime import offset_at, offset_segments, utc, zone
from models.rules.calling.spec import CallingRules

SEARCH_DAYS = 400
# Searched a week at a time: the opening is usually in the first one. The weeks are fixed
# (Monday 0001-01-01 UTC is the first), so one (rules, zone set) computes each week once.
_CHUNK = timedelta(days=7)
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
# (rules, zone set) pairs whose weeks are kept, and weeks kept by each (a search reaches
# SEARCH_DAYS / 7 + 2 of them).
_PLANS_KEPT = 128
_WEEKS_KEPT = 2 * (SEARCH_DAYS // 7 + 2)
# The last instant the rules are weighed at: a month inside datetime's range, so the local
# date of every zone exists there and a search's steps never leave the range. An instant
# at or past it (a start in December 9999) is closed, with no opening found.
LATEST = datetime(9999, 12, 1, tzinfo=UTC)
BEYOND_RULE = f"past {timefmt.format(LATEST)} UTC: the calling rules look no further"
Interval = tuple[datetime, datetime]  # UTC, [start, end)


@dataclass(frozen=True, slots=True)
class WindowEvidence:
    """Why one zone was open or closed at ``now``: the local time read there and the rule
    that allowed it ("mon 09:00-12:00", "no rules") or held it."""

    zone: str
    local_time: datetime
    open: bool
    rule: str

    def to_document(self) -> dict[str, Any]:
        return {"zone": self.zone, "local_time": self.local_time.isoformat(),
                "open": self.open, "rule": self.rule}


@dataclass(frozen=True, slots=True)
class WindowDecision:
    """``next_open_at``: the earliest instant >= now open in every zone (now itself when
    open), None when none is within SEARCH_DAYS. ``open_until``, when open: the first
    instant after now that is closed in some zone (None when no rules close it), so a try
    let go now is never placed at or after it."""

    open: bool
    next_open_at: datetime | None
    evidence: tuple[WindowEvidence, ...]
    open_until: datetime | None = None

    def to_document(self) -> dict[str, Any]:
        return {"open": self.open, "next_open_at": timefmt.iso(self.next_open_at),
                "open_until": timefmt.iso(self.open_until),
                "evidence": [item.to_document() for item in self.evidence]}


def window_decision(rules: CallingRules | None, zones: Sequence[str],
                    now: datetime) -> WindowDecision:
    """Open only if open in every zone of ``zones`` (the rules' default zone when empty)."""
    now = utc(now)
    names = tuple(zones) if rules is None else (tuple(zones) or (rules.default_timezone,))
    if now >= LATEST:
        return _beyond(names, now)
    if rules is None:
        evidence = tuple(WindowEvidence(name, now.astimezone(zone(name)), True, "no rules")
                         for name in names)
        return WindowDecision(True, now, evidence)
    evidence = tuple(_evidence(rules, name, now) for name in names)
    if all(item.open for item in evidence):
        return WindowDecision(True, now, evidence, _open_until(rules, names, now))
    return WindowDecision(False, _next_open(rules, names, now), evidence)


def _beyond(names: Sequence[str], now: datetime) -> WindowDecision:
    evidence = []
    for name in names:
        try:
            local = now.astimezone(zone(name))
        except OverflowError:  # its local date is past 9999-12-31: shown in UTC
            local = now
        evidence.append(WindowEvidence(name, local, False, BEYOND_RULE))
    return WindowDecision(False, None, tuple(evidence))


class WindowBook:
    """The window decisions of one weighing under one scheduler's rules (a dispatch round,
    a dry run), each computed once per (zone set, instant): its tasks share few of them."""

    def __init__(self, rules: CallingRules | None) -> None:
        self.rules = rules
        self._decided: dict[tuple[tuple[str, ...], datetime], WindowDecision] = {}

    def decision(self, zones: Sequence[str], now: datetime) -> WindowDecision:
        key = (tuple(zones), now)
        found = self._decided.get(key)
        if found is None:
            found = self._decided[key] = window_decision(self.rules, zones, now)
        return found


def _evidence(rules: CallingRules, name: str, now: datetime) -> WindowEvidence:
    local = now.astimezone(zone(name))
    day = local.date()
    plan = day_plan(rules, day)
    if plan.closed_by is not None:
        return WindowEvidence(name, local, False, plan.closed_by)
    since_midnight = _since_midnight(local.replace(tzinfo=None), day)
    for time_range in plan.ranges:
        if time_range.start <= since_midnight < time_range.end:
            suffix = "" if rules.week is not None else " (no calling_windows: all day)"
            return WindowEvidence(name, local, True,
                                  f"{plan.weekday} {time_range.label()}{suffix}")
    ranges = ", ".join(r.label() for r in plan.ranges)
    rule = f"{plan.weekday}: outside {ranges}" if ranges else f"{plan.weekday}: closed all day"
    return WindowEvidence(name, local, False, rule)


def _since_midnight(wall: datetime, day: date) -> float:
    """Seconds (with their fraction) since ``day``'s midnight on the wall clock."""
    return (wall - datetime.combine(day, time())) / timedelta(seconds=1)


def _next_open(rules: CallingRules, names: Sequence[str], now: datetime) -> datetime | None:
    week = rules.week
    if week is not None and not any(week):
        return None  # no range on any day: never open
    # Whole seconds, as offset_segments wants; the answer is never before ``now``.
    start = now.replace(microsecond=0)
    horizon = _ahead(start, timedelta(days=SEARCH_DAYS))
    common = _common_plan(rules, tuple(names))
    index = _chunk_of(start)
    while _chunk_start(index) < horizon:
        for low, high in common.chunk(index):
            if low >= horizon:
                return None
            if high > now:
                return max(low, now)
        index += 1
    return None


def _open_until(rules: CallingRules, names: Sequence[str], now: datetime) -> datetime:
    """The end of the open stretch holding ``now``, searched one week ahead: a stretch
    running past the week is cut at its end, which is early, never late."""
    start = now.replace(microsecond=0)
    end = _ahead(start, _CHUNK)
    common = _common_plan(rules, tuple(names))
    index = _chunk_of(start)
    for low, high in _merge([*common.chunk(index), *common.chunk(index + 1)]):
        if low <= now < high:
            return min(high, end)
    return now  # unreachable when every zone is open at now; closed at once is the safe end


def _ahead(start: datetime, span: timedelta) -> datetime:
    """``start + span``, at most LATEST, computed without leaving datetime's range."""
    return start + span if start < LATEST - span else LATEST


def _chunk_of(instant: datetime) -> int:
    return (instant - _EPOCH) // _CHUNK


def _chunk_start(index: int) -> datetime:
    return _EPOCH + index * _CHUNK


class _CommonPlan:
    """The instants open in every zone of ``names`` under ``rules``, a week at a time, each
    week computed once (weeks are fixed, from _EPOCH, so any ``now`` finds them again)."""

    def __init__(self, rules: CallingRules, names: tuple[str, ...]) -> None:
        self.rules = rules
        self.tzs = [zone(name) for name in dict.fromkeys(names)]
        self.ordered = False
        self.weeks: dict[int, list[Interval]] = {}

    def chunk(self, index: int) -> list[Interval]:
        found = self.weeks.get(index)
        if found is None:
            start = _chunk_start(index)
            if start >= LATEST:
                return []
            if len(self.weeks) >= _WEEKS_KEPT:
                self.weeks.clear()
            found = self._common(start, _ahead(start, _CHUNK))
            self.weeks[index] = found
        return found

    def _common(self, start: datetime, end: datetime) -> list[Interval]:
        if not self.ordered:
            # The zones furthest apart first: where no instant is common, the first two
            # intersected show it and the others are never computed.
            by_offset = sorted(self.tzs, key=lambda tz: offset_at(tz, start))
            self.tzs = [by_offset[0], *by_offset[:0:-1]]
            self.ordered = True
        common = _open_intervals(self.rules, self.tzs[0], start, end)
        for tz in self.tzs[1:]:
            if not common:
                break
            common = _intersect(common, _open_intervals(self.rules, tz, start, end))
        return common


@lru_cache(maxsize=_PLANS_KEPT)
def _common_plan(rules: CallingRules, names: tuple[str, ...]) -> _CommonPlan:
    return _CommonPlan(rules, names)


def _open_intervals(rules: CallingRules, tz: ZoneInfo, start: datetime,
                    end: datetime) -> list[Interval]:
    """The open instants of [start, end) in ``tz``, as sorted, disjoint intervals: on each
    stretch of one UTC offset, the local dates' ranges shifted back by that offset."""
    found: list[Interval] = []
    for seg_start, seg_end, offset in offset_segments(tz, start, end):
        wall_low = (seg_start + offset).replace(tzinfo=None)
        wall_high = wall_low + (seg_end - seg_start)
        day = wall_low.date()
        while (midnight := datetime.combine(day, time())) < wall_high:
            for time_range in day_plan(rules, day).ranges:
                low = max(wall_low, midnight + timedelta(seconds=time_range.start))
                high = min(wall_high, midnight + timedelta(seconds=time_range.end))
                if low < high:
                    found.append(((low - offset).replace(tzinfo=UTC),
                                  (high - offset).replace(tzinfo=UTC)))
            day += timedelta(days=1)
    return _merge(sorted(found))


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for low, high in intervals:
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _intersect(first: Sequence[Interval], second: Sequence[Interval]) -> list[Interval]:
    """Both sorted and disjoint; walked together."""
    common: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        low, high = max(first[i][0], second[j][0]), min(first[i][1], second[j][1])
        if low < high:
            common.append((low, high))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return common

