"""The tables of calls placed on the network: calls, their legs, the SIP controllers that
hold them, and the SIP accounts calls are placed from."""

from __future__ import annotations

import sqlalchemy as sa

from models.rules import limits
from models.rules.call_state import CallStatus
from models.storage import columns

# The call each try hands its dialer, written in the try's own transaction and keyed by the
# attempt (UNIQUE: one call per try, whatever is delivered twice). The simulated network or
# a SIP controller takes it and writes its outcome here; completion collects it.
calls = sa.Table(
    "calls",
    columns.metadata,
    sa.Column("id", columns.BigId, primary_key=True, autoincrement=True),
    sa.Column("attempt_id", sa.ForeignKey("attempts.id"), nullable=False, unique=True),
    sa.Column("task_id", sa.ForeignKey("tasks.id"), nullable=False),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False),
    # The call's public id: a connected call's `cdr`, the key of its call record.
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("dialer", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    # The numbers, caller identity and try, as the dialer needs them (DialRequest).
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("queued_at", columns.UtcDateTime, nullable=False),
    # The try's dial_by: no dialer takes the call from then on; the reaper abandons it.
    sa.Column("dial_by", columns.UtcDateTime, nullable=True),
    sa.Column("placed_at", columns.UtcDateTime, nullable=True),
    # When the outcome is (or, for the simulated network, will be) known; then the outcome.
    sa.Column("ended_at", columns.UtcDateTime, nullable=True),
    sa.Column("outcome", sa.JSON, nullable=True),
    sa.Column("collected_at", columns.UtcDateTime, nullable=True),  # the try was ended from it
    # The SIP controller holding the call (the SIP dialer's); null for the simulated one.
    sa.Column("controller", sa.String(200), nullable=True),
    sa.Index("ix_calls_queued", "queued_at", **columns.where_is("status", CallStatus.QUEUED)),
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
    columns.metadata,
    sa.Column("id", columns.BigId, primary_key=True, autoincrement=True),
    sa.Column("call_id", sa.ForeignKey("calls.id"), nullable=False, index=True),
    sa.Column("leg", sa.String(1), nullable=False),  # A or B
    sa.Column("position", sa.Integer, nullable=False),  # which A number; 0 for B
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("sip_call_id", sa.String(200), nullable=False, unique=True),
    sa.Column("invite", sa.Text, nullable=False),
    sa.Column("invite_at", columns.UtcDateTime, nullable=False),
    sa.Column("ringing_at", columns.UtcDateTime, nullable=True),  # the first 18x
    sa.Column("answered_at", columns.UtcDateTime, nullable=True),
    sa.Column("ended_at", columns.UtcDateTime, nullable=True),
    sa.Column("status_code", sa.Integer, nullable=True),  # the final response to the INVITE
    sa.Column("reason", sa.String(200), nullable=True),
    sa.Column("hangup_by", sa.String(8), nullable=True),  # ringback or peer
    sa.Column("dialog", sa.JSON, nullable=True),
)

# Running SIP controllers: each says it is alive; one silent too long is taken over.
sip_controllers = sa.Table(
    "sip_controllers",
    columns.metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("listen", sa.String(100), nullable=False),
    sa.Column("started_at", columns.UtcDateTime, nullable=False),
    sa.Column("seen_at", columns.UtcDateTime, nullable=False),
)

# The SIP account a call is placed from, chosen by the task's extension_id ("the extension
# at the expense of which the call will be made"). The password is write-only in the API.
sip_accounts = sa.Table(
    "sip_accounts",
    columns.metadata,
    sa.Column("id", columns.BigId, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("extension_id", sa.Integer, nullable=False),
    # The digest user and From user part; the From host (null: the trunk's); the account's
    # own trunk URI, if any.
    sa.Column("username", sa.String(limits.SIP_USERNAME_CHARS_MAX), nullable=False),
    sa.Column("password", sa.String(limits.SIP_PASSWORD_CHARS_MAX), nullable=False),
    sa.Column("domain", sa.String(limits.SIP_DOMAIN_CHARS_MAX), nullable=True),
    sa.Column("trunk", sa.String(limits.SIP_TRUNK_CHARS_MAX), nullable=True),
    sa.Column("created_at", columns.UtcDateTime, nullable=False),
    sa.UniqueConstraint("client_id", "extension_id"),
)

# Operator actions (job control, record reschedules): written with the change the API
# answers from, applied to the tasks by the worker, swept up if their message is lost.
