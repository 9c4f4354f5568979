"""scheduler pacing settings

Revision ID: 0003
Revises: 0002

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index('ix_attempts_scheduler_running', 'attempts', ['scheduler_id'], unique=False, postgresql_where=sa.text("status IN ('claimed', 'dialing')"), sqlite_where=sa.text("status IN ('claimed', 'dialing')"))
    op.add_column('schedulers', sa.Column('concurrent_task_limit', sa.Integer(), nullable=True))
    op.add_column('schedulers', sa.Column('interval_s', sa.Integer(), server_default='0', nullable=False))
    op.add_column('schedulers', sa.Column('asr_threshold', sa.Float(), nullable=True))
    op.add_column('schedulers', sa.Column('asr_window', sa.Integer(), server_default='20', nullable=False))
    op.add_column('schedulers', sa.Column('asr_min_attempts', sa.Integer(), server_default='10', nullable=False))
    op.add_column('schedulers', sa.Column('asr_pause_s', sa.Integer(), server_default='300', nullable=False))
    op.add_column('schedulers', sa.Column('asr_hold_until', sa.DateTime(), nullable=True))
    op.add_column('schedulers', sa.Column('asr_measure_from', sa.DateTime(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('schedulers', 'asr_measure_from')
    op.drop_column('schedulers', 'asr_hold_until')
    op.drop_column('schedulers', 'asr_pause_s')
    op.drop_column('schedulers', 'asr_min_attempts')
    op.drop_column('schedulers', 'asr_window')
    op.drop_column('schedulers', 'asr_threshold')
    op.drop_column('schedulers', 'interval_s')
    op.drop_column('schedulers', 'concurrent_task_limit')
    op.drop_index('ix_attempts_scheduler_running', table_name='attempts', postgresql_where=sa.text("status IN ('claimed', 'dialing')"), sqlite_where=sa.text("status IN ('claimed', 'dialing')"))
