"""attempt resends: the reaper's resends of a claim back off

Revision ID: 0006
Revises: 0005

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('attempts', sa.Column('resends', sa.Integer(), server_default='0',
                                        nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('attempts', 'resends')
