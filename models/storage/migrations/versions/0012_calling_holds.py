"""calling holds: tasks waiting for a calling window or a number cap, each try's evidence

Revision ID: 0012
Revises: 0011

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: str | Sequence[str] | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_WAITING = "status IN ('delayed', 'delayed_asr', 'delayed_concurrent_task', 'delayed_interval', 'scheduled')"
NEW_WAITING = "status IN ('delayed', 'delayed_asr', 'delayed_calling_window', 'delayed_concurrent_task', 'delayed_interval', 'delayed_number_cap', 'scheduled')"


def _due_indexes(where: str) -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_due_any')
        batch_op.drop_index('ix_tasks_due')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_due', ['scheduler_id', 'next_attempt_at'], unique=False, postgresql_where=sa.text(where), sqlite_where=sa.text(where))
        batch_op.create_index('ix_tasks_due_any', ['next_attempt_at'], unique=False, postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('attempts', sa.Column('rule_evidence', sa.JSON(), nullable=True))
    op.create_index('ix_tasks_client_b_number', 'tasks', ['client_id', 'b_number'], unique=False)
    # The due indexes cover every waiting status, the two new ones included.
    _due_indexes(NEW_WAITING)


def downgrade() -> None:
    """Downgrade schema."""
    _due_indexes(OLD_WAITING)
    op.drop_index('ix_tasks_client_b_number', table_name='tasks')
    op.drop_column('attempts', 'rule_evidence')
