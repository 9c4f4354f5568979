"""Rows as clients see them: the seed's task object. Pure. A task is read as a mapping, so
the rows a request stores are shown as they are written, without reading them back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from models.rules import timefmt
from models.rules.calling.spec import DEFAULT_TIMEZONE

if TYPE_CHECKING:
    from models.shapes.account_rows import AccountRow
    from models.shapes.rows import SchedulerRow

# The seed's "Respond field" table, in its order.
TASK_FIELDS = (
    "status", "a_number", "b_number", "extension_id", "scheduler_id", "finish_result", "cdr",
    "try_count", "try_again_pause", "start_time_utc", "url_before", "url_before_again",
    "url_after", "url_success", "create_date_utc", "id", "name", "finish_comment",
    "callback_params",
)
_TIME_FIELDS = frozenset({"start_time_utc", "create_date_utc"})


def task_object(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The task as the seed's response lists it; times in its format, the pause as a string."""
    view: dict[str, Any] = {}
    for field in TASK_FIELDS:
        value = row[field]
        if field in _TIME_FIELDS:
            value = timefmt.format(value)
        elif field == "try_again_pause":
            value = str(value)
        view[field] = value
    return view


def task_objects(rows: Sequence[Mapping[Any, Any]]) -> list[dict[str, Any]]:
    """task_object of many rows (a request's tasks): each distinct time formatted once."""
    formatted: dict[Any, str | None] = {None: None}

    def time_text(moment: Any) -> str | None:
        if moment not in formatted:
            formatted[moment] = timefmt.format(moment)
        return formatted[moment]

    return [
        {field: (time_text(row[field]) if field in _TIME_FIELDS
                 else str(row[field]) if field == "try_again_pause" else row[field])
         for field in TASK_FIELDS}
        for row in rows
    ]


def scheduler_object(row: SchedulerRow) -> dict[str, Any]:
    return {
        "id": row.id, "client_id": row.client_id, "name": row.name,
        "create_date_utc": timefmt.format(row.created_at),
        "concurrent_task_limit": row.concurrent_task_limit, "interval": row.interval_s,
        "asr_threshold": row.asr_threshold, "asr_window": row.asr_window,
        "asr_min_attempts": row.asr_min_attempts, "asr_pause": row.asr_pause_s,
        "paused": row.paused_at is not None,
        "duplicate_b_number": row.duplicate_b_number,
        "default_region": row.default_region, "a_number_type": row.a_number_type,
        **calling_rules_object(row),
    }


def calling_rules_object(row: SchedulerRow) -> dict[str, Any]:
    """A scheduler's calling rules as the API shows them: every field, null when unset."""
    windows = row.calling_rules or {}
    return {
        "calling_windows": windows.get("calling_windows"),
        "calling_window_preset": windows.get("calling_window_preset"),
        "holidays_country": windows.get("holidays_country"),
        "skip_dates": windows.get("skip_dates", []),
        "default_timezone": windows.get("default_timezone", DEFAULT_TIMEZONE),
        "retry_rules": row.retry_rules,
        "number_caps": row.number_caps,
    }


def sip_account_object(row: AccountRow) -> dict[str, Any]:
    """A SIP account as the API shows it: the password is write-only, so only that one is set."""
    return {
        "extension_id": row.extension_id, "username": row.username,
        "domain": row.domain, "trunk": row.trunk, "password_set": True,
        "create_date_utc": timefmt.format(row.created_at),
    }
