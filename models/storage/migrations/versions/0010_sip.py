"""sip: call legs, controllers and the SIP accounts calls are placed from

Revision ID: 0010
Revises: 0009

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('calls', sa.Column('controller', sa.String(length=200), nullable=True))
    op.create_table(
        'call_legs',
        sa.Column('id', BigId, autoincrement=True, nullable=False),
        sa.Column('call_id', BigId, nullable=False),
        sa.Column('leg', sa.String(length=1), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('sip_call_id', sa.String(length=200), nullable=False),
        sa.Column('invite', sa.Text(), nullable=False),
        sa.Column('invite_at', sa.DateTime(), nullable=False),
        sa.Column('ringing_at', sa.DateTime(), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=200), nullable=True),
        sa.Column('hangup_by', sa.String(length=8), nullable=True),
        sa.Column('dialog', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_legs_call_id_calls')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_legs')),
        sa.UniqueConstraint('sip_call_id', name=op.f('uq_call_legs_sip_call_id')),
    )
    op.create_index(op.f('ix_call_legs_call_id'), 'call_legs', ['call_id'], unique=False)
    op.create_table(
        'sip_controllers',
        sa.Column('id', sa.String(length=200), nullable=False),
        sa.Column('listen', sa.String(length=100), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sip_controllers')),
    )
    op.create_table(
        'sip_accounts',
        sa.Column('id', BigId, autoincrement=True, nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('extension_id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('password', sa.String(length=200), nullable=False),
        sa.Column('domain', sa.String(length=200), nullable=True),
        sa.Column('trunk', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'],
                                name=op.f('fk_sip_accounts_client_id_clients')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sip_accounts')),
        sa.UniqueConstraint('client_id', 'extension_id',
                            name=op.f('uq_sip_accounts_client_id_extension_id')),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('sip_accounts')
    op.drop_table('sip_controllers')
    op.drop_index(op.f('ix_call_legs_call_id'), table_name='call_legs')
    op.drop_table('call_legs')
    with op.batch_alter_table('calls') as batch:
        batch.drop_column('controller')
