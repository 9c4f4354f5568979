"""The time zones a called number may be in."""

from __future__ import annotations

import phonenumbers
from phonenumbers import timezone as number_zones

from models.rules.calling.localtime import timezone_problem

UNKNOWN_ZONE = "Etc/Unknown"


def zones_for(number_e164: str, task_timezone: str | None,
              default_timezone: str) -> tuple[str, ...]:
    """The task's zone when it names one; else every zone of the number's prefix
    (phonenumbers' metadata: several for a prefix spanning zones); ``default_timezone``
    when the number cannot be read as E.164 ("+" and digits) or its zone is unknown."""
    if task_timezone is not None:
        return (task_timezone,)
    try:
        parsed = phonenumbers.parse(number_e164, None)
    except phonenumbers.NumberParseException:
        return (default_timezone,)
    # A name the installed tz database lacks is dropped rather than failing later.
    zones = tuple(name for name in number_zones.time_zones_for_number(parsed)
                  if name != UNKNOWN_ZONE and timezone_problem(name) is None)
    return zones or (default_timezone,)
