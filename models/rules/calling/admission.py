"""Whether a due task may be dialled now under its scheduler's calling rules: the calling
window in every zone of the B number, then the caps on that number. Pure: ``now`` and the
number's dial history are passed in; the answer says what holds the task and until when,
or, when it may go, the evidence its try keeps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from models.rules import timefmt
from models.rules.calling import caps, spec, windows, zones
from models.rules.task_state import TaskTrigger


@dataclass(frozen=True, slots=True)
class CallingRules:
    """A scheduler's stored rules, parsed once per dispatch round."""

    windows: spec.CallingRules | None
    number_caps: caps.NumberCaps | None

    @classmethod
    def of(cls, calling_rules: Mapping[str, Any] | None,
           number_caps: Mapping[str, Any] | None) -> CallingRules | None:
        """None when the scheduler has neither: dispatch then claims as it always did."""
        parsed_windows = None if calling_rules is None else spec.parse_calling_rules(
            calling_rules)
        parsed_caps = caps.parse_number_caps(number_caps)
        if parsed_windows is None and parsed_caps is None:
            return None
        return cls(parsed_windows, parsed_caps)

    @property
    def default_timezone(self) -> str:
        return self.windows.default_timezone if self.windows else spec.DEFAULT_TIMEZONE


@dataclass(slots=True)
class NumberHistory:
    """A client's dials of one number (claim times, UTC) and its last refusal by the
    called party; grows as a dispatch round lets more tries of that number go."""

    dial_times: list[datetime] = field(default_factory=list)
    last_rejected_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Admission:
    allowed: bool
    # What holds the task, when it may not go (REFUSE: it never may; it ends, ``reason``).
    hold: TaskTrigger | None
    next_at: datetime | None  # when to look again; None: no opening is ever found
    evidence: dict[str, Any]
    # When allowed: the try must be placed before this instant (the window's close less
    # the margin), or not at all; None when no window closes it.
    dial_by: datetime | None = None
    reason: str | None = None  # why a refused task ends, for its finish_comment


def admit(rules: CallingRules, b_number: str, task_timezone: str | None,
          history: NumberHistory, now: datetime, margin: timedelta = timedelta(0),
          book: windows.WindowBook | None = None) -> Admission:
    """The window first (open in every zone of the number, and for ``margin`` more: the A
    leg may ring that long before B is rung), then the caps (counted in the number's first
    zone's local day). ``book``: the window decisions of the weighing this task is part of
    (of ``rules.windows``), shared with its other tasks."""
    if book is None:
        book = windows.WindowBook(rules.windows)
    number_zones = zones.zones_for(b_number, task_timezone, rules.default_timezone)
    window = book.decision(number_zones, now)
    evidence: dict[str, Any] = {"zones": list(number_zones), "window": window.to_document()}
    if not window.open:
        return Admission(False, TaskTrigger.HOLD_CALLING_WINDOW, window.next_open_at, evidence)
    closes = window.open_until
    if closes is not None and closes - margin <= now:
        # Closing too soon for B to be rung inside it: wait for the next opening.
        evidence["window"]["margin_s"] = margin.total_seconds()
        reopens = book.decision(number_zones, closes)
        return Admission(False, TaskTrigger.HOLD_CALLING_WINDOW, reopens.next_open_at,
                         evidence)
    if rules.number_caps is not None:
        capped = caps.cap_decision(rules.number_caps, history.dial_times,
                                   history.last_rejected_at, number_zones[0], now)
        evidence["cap"] = {"allowed": capped.allowed, "rule": capped.rule.value,
                           "reason": capped.reason,
                           "next_allowed_at": timefmt.iso(capped.next_allowed_at)}
        if not capped.allowed and capped.next_allowed_at is None:
            # The lifetime cap: no later time frees it, so the task ends (a restart of its
            # job, after the cap is raised, tries it again).
            return Admission(False, TaskTrigger.REFUSE, None, evidence,
                             reason=f"number cap: {b_number} {capped.reason}")
        if not capped.allowed:
            return Admission(False, TaskTrigger.HOLD_NUMBER_CAP, capped.next_allowed_at,
                             evidence)
    return Admission(True, None, None, evidence, None if closes is None else closes - margin)


def admit_all(rules: CallingRules, candidates: Sequence[tuple[int, str, str | None]],
              histories: dict[str, NumberHistory], now: datetime,
              margin: timedelta = timedelta(0),
              book: windows.WindowBook | None = None) -> dict[int, Admission]:
    """``admit`` for each (task id, B number, task zone) in dispatch order; a try let go
    counts at once (in ``histories``) towards the caps of the candidates after it. The
    window is decided once per zone set, whatever the number of tasks."""
    decided: dict[int, Admission] = {}
    if book is None:
        book = windows.WindowBook(rules.windows)
    for task_id, b_number, task_timezone in candidates:
        history = histories.setdefault(b_number, NumberHistory())
        admission = admit(rules, b_number, task_timezone, history, now, margin, book)
        if admission.allowed:
            history.dial_times.append(now)
        decided[task_id] = admission
    return decided
