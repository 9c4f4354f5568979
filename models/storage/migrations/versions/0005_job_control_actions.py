"""job control actions

Revision ID: 0005
Revises: 0004

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('actions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('job_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_actions_client_id_clients')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_actions_job_id_jobs')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_actions_task_id_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_actions'))
    )
    op.create_index('ix_actions_job', 'actions', ['job_id', 'id'], unique=False)
    op.create_index('ix_actions_pending', 'actions', ['created_at'], unique=False, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
    op.add_column('jobs', sa.Column('created_by', sa.String(length=100), nullable=True))
    op.add_column('schedulers', sa.Column('paused_at', sa.DateTime(), nullable=True))
    op.add_column('tasks', sa.Column('tries_before_execution', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('tasks', 'tries_before_execution')
    op.drop_column('schedulers', 'paused_at')
    op.drop_column('jobs', 'created_by')
    op.drop_index('ix_actions_pending', table_name='actions', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
    op.drop_index('ix_actions_job', table_name='actions')
    op.drop_table('actions')
