"""Caps on dialling one called number across all of a client's tasks: in any 24 hours, in
one local day of the number, in all, and a cooldown after the number rejected a call.

Each cap, once released, stays released while the number is not dialled again, so the
number may be dialled when the last of them releases it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from models.rules.calling import localtime
from models.rules.calling.fields import Checker
from models.rules.calling.localtime import utc

DAY = timedelta(hours=24)
CAP_FIELDS = ("per_24h", "per_local_day", "lifetime", "cooldown_after_rejected_s")


class CapRule(StrEnum):
    NONE = "none"  # nothing held the number
    PER_24H = "per_24h"
    PER_LOCAL_DAY = "per_local_day"
    LIFETIME = "lifetime"
    COOLDOWN_AFTER_REJECTED = "cooldown_after_rejected_s"


@dataclass(frozen=True, slots=True)
class NumberCaps:
    per_24h: int | None = None
    per_local_day: int | None = None
    lifetime: int | None = None
    cooldown_after_rejected_s: int | None = None

    def to_document(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CapDecision:
    """``next_allowed_at``: now when allowed, None when never (the lifetime cap reached);
    ``rule``: the cap that holds the number longest."""

    allowed: bool
    next_allowed_at: datetime | None
    rule: CapRule
    reason: str = ""


def parse_number_caps(raw: object, field: str = "number_caps") -> NumberCaps | None:
    """The caps a client sent in ``field``; None when absent or no cap is given."""
    if raw is None:
        return None
    check = Checker()
    caps = check.mapping(raw, field)
    if caps is None:
        check.raise_if_any()
        return None
    check.unknown_keys(caps, CAP_FIELDS, field, "is not a cap: use " + ", ".join(CAP_FIELDS))
    values = {name: check.whole_number(caps[name], f"{field}.{name}", 1)
              for name in CAP_FIELDS if caps.get(name) is not None}
    check.raise_if_any()
    return NumberCaps(**values) if values else None


def cap_decision(caps: NumberCaps | None, dial_times_utc: Sequence[datetime],
                 last_rejected_at: datetime | None, zone: str,
                 now: datetime) -> CapDecision:
    """Whether the number may be dialled at ``now``, given the client's past dials of it
    and when it last rejected a call; ``zone`` is where its local day is counted."""
    now = utc(now)
    if caps is None:
        return CapDecision(True, now, CapRule.NONE, "no caps")
    dials = sorted(utc(moment) for moment in dial_times_utc)
    if caps.lifetime is not None and len(dials) >= caps.lifetime:
        return CapDecision(False, None, CapRule.LIFETIME,
                           f"dialled {len(dials)} times, lifetime cap {caps.lifetime}")
    holds = [hold for hold in (
        _rolling_day(caps.per_24h, dials, now),
        _local_day(caps.per_local_day, dials, zone, now),
        _cooldown(caps.cooldown_after_rejected_s, last_rejected_at, now),
    ) if hold is not None]
    if not holds:
        return CapDecision(True, now, CapRule.NONE, "within caps")
    until, rule, reason = max(holds, key=lambda hold: hold[0])
    return CapDecision(False, until, rule, reason)


_Hold = tuple[datetime, CapRule, str]


def _rolling_day(cap: int | None, dials: Sequence[datetime], now: datetime) -> _Hold | None:
    if cap is None:
        return None
    # A dial leaves the window 24 h after it; a dial after ``now`` (clock skew) counts.
    recent = [moment for moment in dials if moment > now - DAY]
    if len(recent) < cap:
        return None
    # When the oldest of the last ``cap`` dials leaves, cap - 1 remain.
    return (recent[-cap] + DAY, CapRule.PER_24H,
            f"dialled {len(recent)} times in the last 24 h, cap {cap}")


def _local_day(cap: int | None, dials: Sequence[datetime], zone_name: str,
               now: datetime) -> _Hold | None:
    if cap is None:
        return None
    tz = localtime.zone(zone_name)
    today = now.astimezone(tz).date()
    count = sum(1 for moment in dials if moment.astimezone(tz).date() == today)
    if count < cap:
        return None
    return (_next_local_midnight(zone_name, today), CapRule.PER_LOCAL_DAY,
            f"dialled {count} times on {today.isoformat()} in {zone_name}, cap {cap}")


def _next_local_midnight(zone_name: str, today: date) -> datetime:
    """The first instant of the next local date; where the clocks skip midnight, the
    first instant after the skip."""
    return localtime.first_instant_showing(localtime.zone(zone_name),
                                 datetime.combine(today + timedelta(days=1), time()))


def _cooldown(cooldown_s: int | None, last_rejected_at: datetime | None,
              now: datetime) -> _Hold | None:
    if cooldown_s is None or last_rejected_at is None:
        return None
    until = utc(last_rejected_at) + timedelta(seconds=cooldown_s)
    if until <= now:
        return None
    return (until, CapRule.COOLDOWN_AFTER_REJECTED,
            f"rejected at {utc(last_rejected_at).isoformat()}, cooldown {cooldown_s} s")
