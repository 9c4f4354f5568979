"""do-not-call lists, Idempotency-Keys, the A numbers a try left out, and a scheduler's
rule for a B number that already has an active task

Revision ID: 0014
Revises: 0013

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: str | Sequence[str] | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'dnc_entries',
        sa.Column('client_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('number', sa.String(length=24), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('client_id BETWEEN 0 AND 9999', name=op.f('ck_dnc_entries_client_id_range')),
        sa.PrimaryKeyConstraint('client_id', 'number', name=op.f('pk_dnc_entries')),
    )
    op.create_table(
        'idempotency_keys',
        sa.Column('client_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('response', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('client_id', 'key', name=op.f('pk_idempotency_keys')),
    )
    op.create_index('ix_idempotency_keys_created_at', 'idempotency_keys', ['created_at'], unique=False)
    op.add_column('attempts', sa.Column('skipped_numbers', sa.JSON(), nullable=True))
    op.add_column('schedulers', sa.Column('duplicate_b_number', sa.String(length=8), server_default='allow', nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('schedulers', schema=None) as batch_op:
        batch_op.drop_column('duplicate_b_number')
    op.drop_column('attempts', 'skipped_numbers')
    op.drop_index('ix_idempotency_keys_created_at', table_name='idempotency_keys')
    op.drop_table('idempotency_keys')
    op.drop_table('dnc_entries')
