"""webhook delivery and secrets

Revision ID: 0004
Revises: 0003

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('clients', sa.Column('webhook_secret', sa.String(length=100), nullable=True))
    op.add_column('clients', sa.Column('previous_webhook_secret', sa.String(length=100), nullable=True))
    op.add_column('clients', sa.Column('previous_secret_until', sa.DateTime(), nullable=True))
    op.add_column('events', sa.Column('delivery_status', sa.String(length=16), server_default='pending', nullable=False))
    op.add_column('events', sa.Column('delivery_attempts', sa.Integer(), server_default='0', nullable=False))
    op.add_column('events', sa.Column('next_delivery_at', sa.DateTime(), nullable=True))
    op.add_column('events', sa.Column('delivered_at', sa.DateTime(), nullable=True))
    op.add_column('events', sa.Column('last_delivery_error', sa.Text(), nullable=True))
    op.add_column('events', sa.Column('xact_id', sa.BigInteger(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        # The writing transaction's id, for the gap-free event stream (PostgreSQL 13+).
        op.alter_column('events', 'xact_id',
                        server_default=sa.text('(pg_current_xact_id()::text::bigint)'))
    op.create_index('ix_events_pending', 'events', ['next_delivery_at'], unique=False, postgresql_where=sa.text("delivery_status = 'pending'"), sqlite_where=sa.text("delivery_status = 'pending'"))
    op.create_index('ix_events_task_seq', 'events', ['task_id', 'seq'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_events_task_seq', table_name='events')
    op.drop_index('ix_events_pending', table_name='events', postgresql_where=sa.text("delivery_status = 'pending'"), sqlite_where=sa.text("delivery_status = 'pending'"))
    op.drop_column('events', 'xact_id')
    op.drop_column('events', 'last_delivery_error')
    op.drop_column('events', 'delivered_at')
    op.drop_column('events', 'next_delivery_at')
    op.drop_column('events', 'delivery_attempts')
    op.drop_column('events', 'delivery_status')
    op.drop_column('clients', 'previous_secret_until')
    op.drop_column('clients', 'previous_webhook_secret')
    op.drop_column('clients', 'webhook_secret')
