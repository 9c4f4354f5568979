"""calling rules of a scheduler: calling windows, retry rules per outcome, caps per number

Revision ID: 0011
Revises: 0010

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('schedulers', sa.Column('calling_rules', sa.JSON(), nullable=True))
    op.add_column('schedulers', sa.Column('retry_rules', sa.JSON(), nullable=True))
    op.add_column('schedulers', sa.Column('number_caps', sa.JSON(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('schedulers', 'number_caps')
    op.drop_column('schedulers', 'retry_rules')
    op.drop_column('schedulers', 'calling_rules')
