"""calls: the call each try hands its dialer, keyed by the attempt

A try's outcome is read from its call, not from a reference the worker had to store after
dialling (a worker killed in between left placed calls unknown for an hour).

Revision ID: 0009
Revises: 0008

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'calls',
        sa.Column('id', BigId, autoincrement=True, nullable=False),
        sa.Column('attempt_id', BigId, nullable=False),
        sa.Column('task_id', BigId, nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('dialer', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('request', sa.JSON(), nullable=False),
        sa.Column('queued_at', sa.DateTime(), nullable=False),
        sa.Column('placed_at', sa.DateTime(), nullable=True),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('outcome', sa.JSON(), nullable=True),
        sa.Column('collected_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'],
                                name=op.f('fk_calls_attempt_id_attempts')),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'],
                                name=op.f('fk_calls_client_id_clients')),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_calls_task_id_tasks')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calls')),
        sa.UniqueConstraint('attempt_id', name=op.f('uq_calls_attempt_id')),
        sa.UniqueConstraint('uuid', name=op.f('uq_calls_uuid')),
    )
    op.create_index('ix_calls_queued', 'calls', ['queued_at'], unique=False,
                    postgresql_where=sa.text("status = 'queued'"),
                    sqlite_where=sa.text("status = 'queued'"))
    op.create_index('ix_calls_to_collect', 'calls', ['ended_at'], unique=False,
                    postgresql_where=sa.text("ended_at IS NOT NULL AND collected_at IS NULL"),
                    sqlite_where=sa.text("ended_at IS NOT NULL AND collected_at IS NULL"))
    with op.batch_alter_table('attempts') as batch:
        batch.drop_column('dialer_ref')
        batch.drop_column('check_at')


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('attempts') as batch:
        batch.add_column(sa.Column('check_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('dialer_ref', sa.Text(), nullable=True))
    op.drop_index('ix_calls_to_collect', table_name='calls')
    op.drop_index('ix_calls_queued', table_name='calls')
    op.drop_table('calls')
