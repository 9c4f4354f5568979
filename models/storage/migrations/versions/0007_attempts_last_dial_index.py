"""attempts last dial index: dispatch reads a scheduler's last dial from an index

Revision ID: 0007
Revises: 0006

"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index('ix_attempts_scheduler_dialing', 'attempts', ['scheduler_id', 'dialing_at'],
                    unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_attempts_scheduler_dialing', table_name='attempts')
