"""dial_by: the instant a try's calling window closes, on the try and on its call

Revision ID: 0013
Revises: 0012

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: str | Sequence[str] | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('attempts', sa.Column('dial_by', sa.DateTime(), nullable=True))
    op.add_column('calls', sa.Column('dial_by', sa.DateTime(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('calls', 'dial_by')
    op.drop_column('attempts', 'dial_by')
