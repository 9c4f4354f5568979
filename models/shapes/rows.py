"""The rows the repository returns: a frozen dataclass per table, or per part of a table a
query reads, each field a column. Pure data: the repository builds them
(`models/storage/repository/common.py from_row`, which fails when a query lacks a field, so a
query and its row type cannot drift apart unnoticed), and mypy checks every attribute a
caller reads."""

from __future__ import annotations

import dataclasses
import functools
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from models.rules.outcome import CallOutcome

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

@functools.cache
def field_names(kind: type[DataclassInstance]) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(kind))


def as_dict(row: DataclassInstance) -> dict[str, Any]:
    """The row's fields by name, values as they are (not copied): for the pure builders of
    documents that read any mapping (a stored row, or one about to be stored)."""
    return {name: getattr(row, name) for name in field_names(type(row))}


@dataclasses.dataclass(frozen=True, slots=True)
class SchedulerRow:
    id: int
    client_id: int
    name: str
    created_at: datetime
    concurrent_task_limit: int | None
    interval_s: int
    asr_threshold: float | None
    asr_window: int
    asr_min_attempts: int
    asr_pause_s: int
    asr_hold_until: datetime | None
    asr_measure_from: datetime | None
    paused_at: datetime | None
    calling_rules: dict[str, Any] | None
    retry_rules: dict[str, Any] | None
    number_caps: dict[str, Any] | None
    duplicate_b_number: str
    default_region: str | None
    a_number_type: str


@dataclasses.dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    client_id: int
    token_hash: str
    scopes: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class JobRow:
    id: int
    client_id: int
    scheduler_id: int
    name: str
    status: str
    tracking_id: str | None
    created_by: str | None
    tasks_total: int
    tasks_final: int
    tasks_failed: int
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class JobCounts:
    """A job's task counters, as an UPDATE of them left them."""

    id: int
    tasks_total: int
    tasks_final: int
    tasks_failed: int


@dataclasses.dataclass(frozen=True, slots=True)
class ExecutionRow:
    id: int
    job_id: int
    execution_no: int
    status: str
    created_at: datetime
    start_time: datetime | None
    end_time: datetime | None
    updated_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class TaskRow:
    id: int
    client_id: int
    scheduler_id: int
    job_id: int
    name: str | None
    a_number: str
    b_number: str
    b_e164: str
    a_dial: list[str]
    extension_id: int | None
    try_count: int
    try_again_pause: int
    start_time_utc: datetime | None
    url_before: str | None
    url_before_again: str | None
    url_success: str | None
    url_after: str | None
    callback_params: dict[str, Any] | None
    status: str
    finish_result: str | None
    finish_comment: str | None
    cdr: str | None
    attempts_made: int
    tries_before_execution: int
    next_attempt_at: datetime | None
    create_date_utc: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class DueTask:
    """A due task dispatch weighs against its scheduler's calling rules before claiming."""

    id: int
    client_id: int
    job_id: int
    b_e164: str  # the numbers as read at intake (TaskRow)
    a_dial: list[str]
    callback_params: dict[str, Any] | None


@dataclasses.dataclass(frozen=True, slots=True)
class ClaimedTask:
    """A task dispatch moved to `executed`: which try it starts, and when it was due."""

    id: int
    job_id: int
    attempts_made: int
    next_attempt_at: datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class AttemptRow:
    id: int
    task_id: int
    scheduler_id: int
    attempt_no: int
    status: str
    due_at: datetime | None
    claimed_at: datetime
    sent_at: datetime
    resends: int
    dialing_at: datetime | None
    ended_at: datetime | None
    a_answered: bool | None
    b_answered: bool | None
    cause: str | None
    cdr: str | None
    talk_seconds: float | None
    rule_evidence: dict[str, Any] | None
    dial_by: datetime | None
    skipped_numbers: list[str] | None


@dataclasses.dataclass(frozen=True, slots=True)
class EventRow:
    seq: int
    id: str
    client_id: int
    task_id: int | None
    job_id: int | None
    type: str
    attempt_no: int | None
    target_url: str | None
    payload: dict[str, Any]
    created_at: datetime
    delivery_status: str
    delivery_attempts: int
    next_delivery_at: datetime | None
    delivered_at: datetime | None
    last_delivery_error: str | None
    xact_id: int | None


@dataclasses.dataclass(frozen=True, slots=True)
class LeasedEvent:
    """An event leased for delivery: what its webhook needs."""

    seq: int
    id: str
    client_id: int
    target_url: str  # an event with no URL is never pending
    payload: dict[str, Any]
    delivery_attempts: int


@dataclasses.dataclass(frozen=True, slots=True)
class StreamedEvent:
    """An event as the client's stream sends it."""

    seq: int
    type: str
    payload: dict[str, Any]


@dataclasses.dataclass(frozen=True, slots=True)
class ActionRow:
    id: int
    client_id: int
    kind: str
    job_id: int | None
    task_id: int | None
    from_status: str | None
    params: dict[str, Any] | None
    status: str
    result: str | None
    created_at: datetime
    applied_at: datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class CallRow:
    id: int
    attempt_id: int
    task_id: int
    client_id: int
    uuid: str
    dialer: str
    status: str
    request: dict[str, Any]
    queued_at: datetime
    dial_by: datetime | None
    placed_at: datetime | None
    ended_at: datetime | None
    outcome: dict[str, Any] | None
    collected_at: datetime | None
    controller: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class CallRecordRow(CallRow):
    """A call with its try's number and its task's scheduler (the call record)."""

    attempt_no: int
    scheduler_id: int


@dataclasses.dataclass(frozen=True, slots=True)
class ClaimedCall:
    """A call a SIP controller holds: what it needs to place it."""

    id: int
    attempt_id: int
    uuid: str
    client_id: int
    request: dict[str, Any]


class Ending(NamedTuple):
    """A try's attempt and what its dialer said of the call (None: the try is lost)."""

    attempt_id: int
    outcome: CallOutcome | None


@dataclasses.dataclass(frozen=True, slots=True)
class LegRow:
    id: int
    call_id: int
    leg: str
    position: int
    number: str
    sip_call_id: str
    invite: str
    invite_at: datetime
    ringing_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    status_code: int | None
    reason: str | None
    hangup_by: str | None
    dialog: dict[str, Any] | None
