"""api tokens and unique scheduler names

Revision ID: 0002
Revises: 0001

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_tokens_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_tokens_token_hash'))
    )
    op.create_index(op.f('ix_tokens_client_id'), 'tokens', ['client_id'], unique=False)
    # Batch mode: SQLite can add a constraint only by rebuilding the table.
    with op.batch_alter_table('schedulers') as batch_op:
        batch_op.create_unique_constraint(op.f('uq_schedulers_client_id_name'), ['client_id', 'name'])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('schedulers') as batch_op:
        batch_op.drop_constraint(op.f('uq_schedulers_client_id_name'), type_='unique')
    op.drop_index(op.f('ix_tokens_client_id'), table_name='tokens')
    op.drop_table('tokens')
