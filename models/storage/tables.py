"""The tables. Timestamps are stored as naive UTC and read back as aware UTC on every backend."""

from __future__ import annotations

import sqlalchemy as sa

from models.rules import attempt_state, limits, numbering, task_state
from models.rules.action_state import ActionStatus
from models.rules.attempt_state import AttemptStatus
from models.rules.job_state import JobStatus
from models.rules.numbering import ANumberType
from models.rules.webhooks import DeliveryStatus
from models.storage import columns
from models.storage.columns import where_in, where_is

clients = sa.Table(
    "clients",
    columns.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", columns.UtcDateTime, nullable=False),
    # Webhooks are signed with the current secret, and with the previous one until
    # `previous_secret_until` so receivers can rotate without losing an event.
    sa.Column("webhook_secret", sa.String(100), nullable=True),
    sa.Column("previous_webhook_secret", sa.String(100), nullable=True),
    sa.Column("previous_secret_until", columns.UtcDateTime, nullable=True),
    sa.CheckConstraint(f"id BETWEEN {limits.CLIENT_ID_MIN} AND {limits.CLIENT_ID_MAX}",
                       name="id_range"),
)

schedulers = sa.Table(
    "schedulers",
    columns.metadata,
    sa.Column("id", columns.BigId, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False, index=True),
    sa.Column("name", sa.String(limits.NAME_CHARS_MAX), nullable=False),
    sa.Column("created_at", columns.UtcDateTime, nullable=False),
    # Pacing settings (DESIGN.md "Pacing"); null limit or threshold: that rule is off.
    sa.Column("concurrent_task_limit", sa.Integer, nullable=True),
    sa.Column("interval_s", sa.Integer, nullable=False, server_default="0"),
    sa.Column("asr_threshold", sa.Float, nullable=True),
    sa.Column("asr_window", sa.Integer, nullable=False, server_default="20"),
    sa.Column("asr_min_attempts", sa.Integer, nullable=False, server_default="10"),
    sa.Column("asr_pause_s", sa.Integer, nullable=False, server_default="300"),
    # Set by dispatch under the scheduler's row lock: an ASR hold, and where the
    # measuring starts again once it has ended.
    sa.Column("asr_hold_until", columns.UtcDateTime, nullable=True),
    sa.Column("asr_measure_from", columns.UtcDateTime, nullable=True),
    # A scheduler-wide pause: dispatch starts nothing here until it is resumed.
    sa.Column("paused_at", columns.UtcDateTime, nullable=True),
    # Calling rules (models/rules/calling), each stored as its document; null: none.
    sa.Column("calling_rules", sa.JSON, nullable=True),
    sa.Column("retry_rules", sa.JSON, nullable=True),
    sa.Column("number_caps", sa.JSON, nullable=True),
    # What adding a task whose B number has an active task here does (DuplicatePolicy).
    sa.Column("duplicate_b_number", sa.String(8), nullable=False, server_default="allow"),
    # How its tasks' numbers are read at intake (models/rules/numbering.py): national numbers
    # in this region (null: only international ones), and whether A numbers are extensions.
    sa.Column("default_region", sa.String(3), nullable=True),
    sa.Column("a_number_type", sa.String(16), nullable=False,
              server_default=ANumberType.PHONE.value),
    sa.UniqueConstraint("client_id", "name"),
)

tokens = sa.Table(
    "tokens",
    columns.metadata,
    sa.Column("id", columns.BigId, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False, index=True),
    # SHA-256 of the token, hex; the token itself is shown once and never stored.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("scopes", sa.String(200), nullable=False),
    sa.Column("created_at", columns.UtcDateTime, nullable=False),
    sa.Column("revoked_at", columns.UtcDateTime, nullable=True),
    sa.Column("expires_at", columns.UtcDateTime, nullable=True),  # null: valid until revoked
)

jobs = sa.Table(
    "jobs",
    columns.metadata,
    sa.Column("id", columns.BigId, primary_key=True, autoincrement=True),
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
    sa.Column("created_at", columns.UtcDateTime, nullable=False),
    sa.Column("updated_at", columns.UtcDateTime, nullable=False),
)

job_executions = sa.Table(
    "job_executions",
    columns.metadata,
    sa.Column("id", columns.BigId, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.ForeignKey("jobs.id"), nullable=False),
    sa.Column("execution_no", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", columns.UtcDateTime, nullable=False),
    sa.Column("start_time", columns.UtcDateTime, nullable=True),
    sa.Column("end_time", columns.UtcDateTime, nullable=True),
    sa.Column("updated_at", columns.UtcDateTime, nullable=False),
    sa.UniqueConstraint("job_id", "execution_no"),
)

tasks = sa.Table(
    "tasks",
    columns.metadata,
    sa.Column("id", columns.BigId, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("scheduler_id", sa.ForeignKey("schedulers.id"), nullable=False),
    sa.Column("job_id", sa.ForeignKey("jobs.id"), nullable=False, index=True),
    sa.Column("name", sa.String(limits.NAME_CHARS_MAX), nullable=True),
    sa.Column("a_number", sa.String(32), nullable=False),
    sa.Column("b_number", sa.String(32), nullable=False),
    # The numbers as read at intake: what every rule uses and the trunk dials (the seed's
    # object shows them as written). B in E.164; the A numbers (a_number, then the extended
    # ones) in E.164, or as written when the scheduler's A numbers are PBX extensions.
    sa.Column("b_e164", sa.String(numbering.E164_CHARS_MAX), nullable=False),
    sa.Column("a_dial", sa.JSON, nullable=False),
    sa.Column("extension_id", sa.Integer, nullable=True),
    sa.Column("try_count", sa.Integer, nullable=False),
    sa.Column("try_again_pause", sa.Integer, nullable=False),
    sa.Column("start_time_utc", columns.UtcDateTime, nullable=True),
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
    sa.Column("next_attempt_at", columns.UtcDateTime, nullable=True),
    sa.Column("create_date_utc", columns.UtcDateTime, nullable=False),
    sa.Column("updated_at", columns.UtcDateTime, nullable=False),
    sa.CheckConstraint(f"try_count BETWEEN 1 AND {limits.TRY_COUNT_MAX}", name="try_count_range"),
    sa.CheckConstraint("try_again_pause >= 0", name="pause_not_negative"),
    # Finding due tasks reads only waiting rows, in due order: a million finished or
    # far-future rows cost nothing because the range scan stops at `now`.
    sa.Index(
        "ix_tasks_due",
        "scheduler_id",
        "next_attempt_at",
        **where_in("status", task_state.WAITING),
    ),
    sa.Index("ix_tasks_due_any", "next_attempt_at", **where_in("status", task_state.WAITING)),
    # Caps and the duplicate rule read a client's tasks of one number.
    sa.Index("ix_tasks_client_b_e164", "client_id", "b_e164"),
)

attempts = sa.Table(
    "attempts",
    columns.metadata,
    sa.Column("id", columns.BigId, primary_key=True, autoincrement=True),
    sa.Column("task_id", sa.ForeignKey("tasks.id"), nullable=False),
    sa.Column("scheduler_id", sa.ForeignKey("schedulers.id"), nullable=False),
    sa.Column("attempt_no", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default=AttemptStatus.CLAIMED.value),
    sa.Column("due_at", columns.UtcDateTime, nullable=True),
    sa.Column("claimed_at", columns.UtcDateTime, nullable=False),
    sa.Column("sent_at", columns.UtcDateTime, nullable=False),
    # Times the reaper sent the message again; each resend waits twice as long as the last,
    # so a slow queue is never flooded with copies of the claims it holds.
    sa.Column("resends", sa.Integer, nullable=False, server_default="0"),
    sa.Column("dialing_at", columns.UtcDateTime, nullable=True),
    sa.Column("ended_at", columns.UtcDateTime, nullable=True),
    sa.Column("a_answered", sa.Boolean, nullable=True),
    sa.Column("b_answered", sa.Boolean, nullable=True),
    sa.Column("cause", sa.String(32), nullable=True),
    sa.Column("cdr", sa.String(64), nullable=True),
    sa.Column("talk_seconds", sa.Float, nullable=True),
    # Why this try was allowed: the called party's local time and zone, the window's rule,
    # the caps (null when the scheduler has no calling rules).
    sa.Column("rule_evidence", sa.JSON, nullable=True),
    # When the called party's window closes: a try not placed by then is not placed at all
    # (it is made again, uncounted, at the next opening). Null: no window closes it.
    sa.Column("dial_by", columns.UtcDateTime, nullable=True),
    # The A numbers left out of this try because a do-not-call list holds them (JSON list).
    sa.Column("skipped_numbers", sa.JSON, nullable=True),
    sa.UniqueConstraint("task_id", "attempt_no"),
    sa.Index(
        "ix_attempts_running", "status", "sent_at", **where_in("status", attempt_state.RUNNING)
    ),
    sa.Index("ix_attempts_scheduler_ended", "scheduler_id", "ended_at"),
    # The interval rule reads a scheduler's last dial in every dispatch round.
    sa.Index("ix_attempts_scheduler_dialing", "scheduler_id", "dialing_at"),
    sa.Index(
        "ix_attempts_scheduler_running", "scheduler_id",
        **where_in("status", attempt_state.RUNNING),
    ),
)

events = sa.Table(
    "events",
    columns.metadata,
    sa.Column("seq", columns.BigId, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(40), nullable=False, unique=True),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("task_id", sa.ForeignKey("tasks.id"), nullable=True),
    sa.Column("job_id", sa.ForeignKey("jobs.id"), nullable=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("attempt_no", sa.Integer, nullable=True),
    sa.Column("target_url", sa.Text, nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", columns.UtcDateTime, nullable=False),
    sa.Column("delivery_status", sa.String(16), nullable=False,
              server_default=DeliveryStatus.PENDING.value),
    sa.Column("delivery_attempts", sa.Integer, nullable=False, server_default="0"),
    # When to try next; while a try is under way it is the lease's end.
    sa.Column("next_delivery_at", columns.UtcDateTime, nullable=True),
    sa.Column("delivered_at", columns.UtcDateTime, nullable=True),
    sa.Column("last_delivery_error", sa.Text, nullable=True),
    # The writing transaction's id (PostgreSQL): the stream sends an event only once no
    # older transaction can still commit a smaller seq, so resuming never skips one.
    # Filled by a PostgreSQL-only default (migration 0004).
    sa.Column("xact_id", sa.BigInteger, nullable=True),
    sa.Index("ix_events_client_seq", "client_id", "seq"),
    sa.Index("ix_events_task_seq", "task_id", "seq"),
    sa.Index(
        "ix_events_pending", "next_delivery_at",
        **where_is("delivery_status", DeliveryStatus.PENDING),
    ),
)

actions = sa.Table(
    "actions",
    columns.metadata,
    sa.Column("id", columns.BigId, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("job_id", sa.ForeignKey("jobs.id"), nullable=True),
    sa.Column("task_id", sa.ForeignKey("tasks.id"), nullable=True),
    sa.Column("from_status", sa.String(20), nullable=True),
    sa.Column("params", sa.JSON, nullable=True),
    sa.Column("status", sa.String(16), nullable=False,
              server_default=ActionStatus.PENDING.value),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("created_at", columns.UtcDateTime, nullable=False),
    sa.Column("applied_at", columns.UtcDateTime, nullable=True),
    sa.Index("ix_actions_pending", "created_at", **where_is("status", ActionStatus.PENDING)),
    sa.Index("ix_actions_job", "job_id", "id"),
)
