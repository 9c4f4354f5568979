"""The tables. Timestamps are stored as naive UTC and read back as aware UTC on every backend."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from models.rules import attempt_state, limits, task_state
from models.rules.action_state import ActionStatus
from models.rules.attempt_state import AttemptStatus
from models.rules.call_state import CallStatus
from models.rules.job_state import JobStatus
from models.rules.webhooks import DeliveryStatus


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    impl = sa.DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


def _where_in(column: str, values: Iterable[StrEnum]) -> dict[str, Any]:
    """A partial index's condition on both backends, worded as the migrations have it."""
    listed = ", ".join(f"'{v.value}'" for v in sorted(values))
    where = sa.text(f"{column} IN ({listed})")
    return {"postgresql_where": where, "sqlite_where": where}


def _where_is(column: str, value: StrEnum) -> dict[str, Any]:
    where = sa.text(f"{column} = '{value.value}'")
    return {"postgresql_where": where, "sqlite_where": where}


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

clients = sa.Table(
    "clients",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # Webhooks are signed with the current secret, and with the previous one until
    # `previous_secret_until` so receivers can rotate without losing an event.
    sa.Column("webhook_secret", sa.String(100), nullable=True),
    sa.Column("previous_webhook_secret", sa.String(100), nullable=True),
    sa.Column("previous_secret_until", UtcDateTime, nullable=True),
    sa.CheckConstraint(f"id BETWEEN {limits.CLIENT_ID_MIN} AND {limits.CLIENT_ID_MAX}",
                       name="id_range"),
)

schedulers = sa.Table(
    "schedulers",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False, index=True),
    sa.Column("name", sa.String(limits.NAME_CHARS_MAX), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # Pacing settings (DESIGN.md "Pacing"); null limit or threshold: that rule is off.
    sa.Column("concurrent_task_limit", sa.Integer, nullable=True),
    sa.Column("interval_s", sa.Integer, nullable=False, server_default="0"),
    sa.Column("asr_threshold", sa.Float, nullable=True),
    sa.Column("asr_window", sa.Integer, nullable=False, server_default="20"),
    sa.Column("asr_min_attempts", sa.Integer, nullable=False, server_default="10"),
    sa.Column("asr_pause_s", sa.Integer, nullable=False, server_default="300"),
    # Set by dispatch under the scheduler's row lock: an ASR hold, and where the
    # measuring starts again once it has ended.
    sa.Column("asr_hold_until", UtcDateTime, nullable=True),
    sa.Column("asr_measure_from", UtcDateTime, nullable=True),
    # A scheduler-wide pause: dispatch starts nothing here until it is resumed.
    sa.Column("paused_at", UtcDateTime, nullable=True),
    sa.UniqueConstraint("client_id", "name"),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False, index=True),
    # SHA-256 of the token, hex; the token itself is shown once and never stored.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("scopes", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
    sa.Column("expires_at", UtcDateTime, nullable=True),  # null: valid until revoked
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False, index=True),
    sa.Column("scheduler_id", sa.ForeignKey("schedulers.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("status", sa.String(20), nullable=False, server_default=JobStatus.SCHEDULED.value),
    sa.Column("tracking_id", sa.String(100), nullable=True),
    sa.Column("created_by", sa.String(100), nullable=True),  # the token that added it
    # Counters kept by the same UPDATE that ends a task, so the last one knows it is last.
    sa.Column("tasks_total", sa.Integer, nullable=False),
    sa.Column("tasks_final", sa.Integer, nullable=False, server_default="0"),
    sa.Column("tasks_failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

job_executions = sa.Table(
    "job_executions",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.ForeignKey("jobs.id"), nullable=False),
    sa.Column("execution_no", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("start_time", UtcDateTime, nullable=True),
    sa.Column("end_time", UtcDateTime, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("job_id", "execution_no"),
)

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("scheduler_id", sa.ForeignKey("schedulers.id"), nullable=False),
    sa.Column("job_id", sa.ForeignKey("jobs.id"), nullable=False, index=True),
    sa.Column("name", sa.String(limits.NAME_CHARS_MAX), nullable=True),
    sa.Column("a_number", sa.String(32), nullable=False),
    sa.Column("b_number", sa.String(32), nullable=False),
    sa.Column("extension_id", sa.Integer, nullable=True),
    sa.Column("try_count", sa.Integer, nullable=False),
    sa.Column("try_again_pause", sa.Integer, nullable=False),
    sa.Column("start_time_utc", UtcDateTime, nullable=True),
    sa.Column("url_before", sa.Text, nullable=True),
    sa.Column("url_before_again", sa.Text, nullable=True),
    sa.Column("url_success", sa.Text, nullable=True),
    sa.Column("url_after", sa.Text, nullable=True),
    sa.Column("callback_params", sa.JSON, nullable=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("finish_result", sa.String(16), nullable=True),
    sa.Column("finish_comment", sa.Text, nullable=True),
    sa.Column("cdr", sa.String(64), nullable=True),
    sa.Column("attempts_made", sa.Integer, nullable=False, server_default="0"),
    # Tries made before the job's current execution: a restart gives `try_count` anew
    # while attempt numbers keep counting up (they are unique per task).
    sa.Column("tries_before_execution", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UtcDateTime, nullable=True),
    sa.Column("create_date_utc", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint(f"try_count BETWEEN 1 AND {limits.TRY_COUNT_MAX}", name="try_count_range"),
    sa.CheckConstraint("try_again_pause >= 0", name="pause_not_negative"),
    # Finding due tasks reads only waiting rows, in due order: a million finished or
    # far-future rows cost nothing because the range scan stops at `now`.
    sa.Index(
        "ix_tasks_due",
        "scheduler_id",
        "next_attempt_at",
        **_where_in("status", task_state.WAITING),
    ),
    sa.Index("ix_tasks_due_any", "next_attempt_at", **_where_in("status", task_state.WAITING)),
)

attempts = sa.Table(
    "attempts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("task_id", sa.ForeignKey("tasks.id"), nullable=False),
    sa.Column("scheduler_id", sa.ForeignKey("schedulers.id"), nullable=False),
    sa.Column("attempt_no", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default=AttemptStatus.CLAIMED.value),
    sa.Column("due_at", UtcDateTime, nullable=True),
    sa.Column("claimed_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime, nullable=False),
    # Times the reaper sent the message again; each resend waits twice as long as the last,
    # so a slow queue is never flooded with copies of the claims it holds.
    sa.Column("resends", sa.Integer, nullable=False, server_default="0"),
    sa.Column("dialing_at", UtcDateTime, nullable=True),
    sa.Column("ended_at", UtcDateTime, nullable=True),
    sa.Column("a_answered", sa.Boolean, nullable=True),
    sa.Column("b_answered", sa.Boolean, nullable=True),
    sa.Column("cause", sa.String(32), nullable=True),
    sa.Column("cdr", sa.String(64), nullable=True),
    sa.Column("talk_seconds", sa.Float, nullable=True),
    sa.UniqueConstraint("task_id", "attempt_no"),
    sa.Index(
        "ix_attempts_running", "status", "sent_at", **_where_in("status", attempt_state.RUNNING)
    ),
    sa.Index("ix_attempts_scheduler_ended", "scheduler_id", "ended_at"),
    # The interval rule reads a scheduler's last dial in every dispatch round.
    sa.Index("ix_attempts_scheduler_dialing", "scheduler_id", "dialing_at"),
    sa.Index(
        "ix_attempts_scheduler_running", "scheduler_id",
        **_where_in("status", attempt_state.RUNNING),
    ),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", BigId, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(40), nullable=False, unique=True),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("task_id", sa.ForeignKey("tasks.id"), nullable=True),
    sa.Column("job_id", sa.ForeignKey("jobs.id"), nullable=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("attempt_no", sa.Integer, nullable=True),
    sa.Column("target_url", sa.Text, nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("delivery_status", sa.String(16), nullable=False,
              server_default=DeliveryStatus.PENDING.value),
    sa.Column("delivery_attempts", sa.Integer, nullable=False, server_default="0"),
    # When to try next; while a try is under way it is the lease's end.
    sa.Column("next_delivery_at", UtcDateTime, nullable=True),
    sa.Column("delivered_at", UtcDateTime, nullable=True),
    sa.Column("last_delivery_error", sa.Text, nullable=True),
    # The writing transaction's id (PostgreSQL): the stream sends an event only once no
    # older transaction can still commit a smaller seq, so resuming never skips one.
    # Filled by a PostgreSQL-only default (migration 0004).
    sa.Column("xact_id", sa.BigInteger, nullable=True),
    sa.Index("ix_events_client_seq", "client_id", "seq"),
    sa.Index("ix_events_task_seq", "task_id", "seq"),
    sa.Index(
        "ix_events_pending", "next_delivery_at",
        **_where_is("delivery_status", DeliveryStatus.PENDING),
    ),
)

# The call each try hands its dialer, written in the try's own transaction and keyed by the
# attempt (UNIQUE: one call per try, whatever is delivered twice). The simulated network or
# a SIP controller takes it and writes its outcome here; completion collects it.
calls = sa.Table(
    "calls",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("attempt_id", sa.ForeignKey("attempts.id"), nullable=False, unique=True),
    sa.Column("task_id", sa.ForeignKey("tasks.id"), nullable=False),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False),
    # The call's public id: a connected call's `cdr`, the key of its call record.
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("dialer", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    # The numbers, caller identity and try, as the dialer needs them (DialRequest).
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("queued_at", UtcDateTime, nullable=False),
    sa.Column("placed_at", UtcDateTime, nullable=True),
    # When the outcome is (or, for the simulated network, will be) known; then the outcome.
    sa.Column("ended_at", UtcDateTime, nullable=True),
    sa.Column("outcome", sa.JSON, nullable=True),
    sa.Column("collected_at", UtcDateTime, nullable=True),  # the try was ended from it
    # The SIP controller holding the call (the SIP dialer's); null for the simulated one.
    sa.Column("controller", sa.String(200), nullable=True),
    sa.Index("ix_calls_queued", "queued_at", **_where_is("status", CallStatus.QUEUED)),
    sa.Index("ix_calls_to_collect", "ended_at",
             postgresql_where=sa.text("ended_at IS NOT NULL AND collected_at IS NULL"),
             sqlite_where=sa.text("ended_at IS NOT NULL AND collected_at IS NULL")),
)

# One row per INVITE the SIP controller sends for a call: written (and committed) before the
# INVITE leaves, with the Call-ID derived from the try and the number UNIQUE, so a number
# never gets a second INVITE transaction for one try, whatever restarts. The INVITE as
# sent and, once the leg answered, its dialog let a restarted controller CANCEL or BYE it.
call_legs = sa.Table(
    "call_legs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("call_id", sa.ForeignKey("calls.id"), nullable=False, index=True),
    sa.Column("leg", sa.String(1), nullable=False),  # A or B
    sa.Column("position", sa.Integer, nullable=False),  # which A number; 0 for B
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("sip_call_id", sa.String(200), nullable=False, unique=True),
    sa.Column("invite", sa.Text, nullable=False),
    sa.Column("invite_at", UtcDateTime, nullable=False),
    sa.Column("ringing_at", UtcDateTime, nullable=True),  # the first 18x
    sa.Column("answered_at", UtcDateTime, nullable=True),
    sa.Column("ended_at", UtcDateTime, nullable=True),
    sa.Column("status_code", sa.Integer, nullable=True),  # the final response to the INVITE
    sa.Column("reason", sa.String(200), nullable=True),
    sa.Column("hangup_by", sa.String(8), nullable=True),  # ringback or peer
    sa.Column("dialog", sa.JSON, nullable=True),
)

# Running SIP controllers: each says it is alive; one silent too long is taken over.
sip_controllers = sa.Table(
    "sip_controllers",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("listen", sa.String(100), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("seen_at", UtcDateTime, nullable=False),
)

# The SIP account a call is placed from, chosen by the task's extension_id ("the extension
# at the expense of which the call will be made"). The password is write-only in the API.
sip_accounts = sa.Table(
    "sip_accounts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("extension_id", sa.Integer, nullable=False),
    # The digest user and From user part; the From host (null: the trunk's); the account's
    # own trunk URI, if any.
    sa.Column("username", sa.String(limits.SIP_USERNAME_CHARS_MAX), nullable=False),
    sa.Column("password", sa.String(limits.SIP_PASSWORD_CHARS_MAX), nullable=False),
    sa.Column("domain", sa.String(limits.SIP_DOMAIN_CHARS_MAX), nullable=True),
    sa.Column("trunk", sa.String(limits.SIP_TRUNK_CHARS_MAX), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("client_id", "extension_id"),
)

# Operator actions (job control, record reschedules): written with the change the API
# answers from, applied to the tasks by the worker, swept up if their message is lost.
actions = sa.Table(
    "actions",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("job_id", sa.ForeignKey("jobs.id"), nullable=True),
    sa.Column("task_id", sa.ForeignKey("tasks.id"), nullable=True),
    sa.Column("from_status", sa.String(20), nullable=True),
    sa.Column("params", sa.JSON, nullable=True),
    sa.Column("status", sa.String(16), nullable=False,
              server_default=ActionStatus.PENDING.value),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("applied_at", UtcDateTime, nullable=True),
    sa.Index("ix_actions_pending", "created_at", **_where_is("status", ActionStatus.PENDING)),
    sa.Index("ix_actions_job", "job_id", "id"),
)
