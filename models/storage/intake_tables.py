"""The tables that guard what comes in: do-not-call lists, and the Idempotency-Keys of
requests that add tasks."""

from __future__ import annotations

import sqlalchemy as sa

from models.rules import dnc, limits
from models.storage import columns

# One row a listed number: a client's list, or the installation's (client_id 0). The key
# serves dispatch's one lookup per batch: client ids and numbers both given.
dnc_entries = sa.Table(
    "dnc_entries",
    columns.metadata,
    sa.Column("client_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("number", sa.String(dnc.E164_CHARS_MAX), primary_key=True),
    # Null: listed until removed; else the entry blocks nothing from then on.
    sa.Column("expires_at", columns.UtcDateTime, nullable=True),
    sa.Column("created_at", columns.UtcDateTime, nullable=False),
    sa.CheckConstraint(f"client_id BETWEEN {dnc.INSTALLATION} AND {limits.CLIENT_ID_MAX}",
                       name="client_id_range"),
)

# A client's Idempotency-Key (the Stripe convention): the first request that used it, by
# the hash of what it asked, and the answer it got; the same key and request within
# IDEMPOTENCY_KEPT_S get that answer again and store nothing. The key is the constraint.
idempotency_keys = sa.Table(
    "idempotency_keys",
    columns.metadata,
    sa.Column("client_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("key", sa.String(limits.IDEMPOTENCY_KEY_CHARS_MAX), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("created_at", columns.UtcDateTime, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("response", sa.Text, nullable=True),
    sa.Index("ix_idempotency_keys_created_at", "created_at"),
)
