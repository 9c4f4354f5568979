"""numbers read once at intake: tasks keep their B number in E.164 and their A numbers as
dialled; a scheduler's default region and the type of its A numbers

Tasks stored before keep the readings the rules gave them then: the B number as "+" and
its digits (what the do-not-call lists compared), the A numbers as written (what the trunk
was sent).

Revision ID: 0015
Revises: 0014

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: str | Sequence[str] | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH_ROWS = 5000


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('schedulers', sa.Column('default_region', sa.String(length=3), nullable=True))
    op.add_column('schedulers', sa.Column('a_number_type', sa.String(length=16),
                                          server_default='phone', nullable=False))
    op.add_column('tasks', sa.Column('b_e164', sa.String(length=24), nullable=True))
    op.add_column('tasks', sa.Column('a_dial', sa.JSON(), nullable=True))
    _fill_tasks(op.get_bind())
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.alter_column('b_e164', existing_type=sa.String(length=24), nullable=False)
        batch_op.alter_column('a_dial', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_index('ix_tasks_client_b_number')
        batch_op.create_index('ix_tasks_client_b_e164', ['client_id', 'b_e164'], unique=False)


def _fill_tasks(conn: sa.Connection) -> None:
    tasks = sa.table('tasks', sa.column('id', sa.BigInteger), sa.column('a_number', sa.String),
                     sa.column('b_number', sa.String), sa.column('callback_params', sa.JSON),
                     sa.column('b_e164', sa.String), sa.column('a_dial', sa.JSON))
    after = 0
    while True:
        found = conn.execute(
            sa.select(tasks.c.id, tasks.c.a_number, tasks.c.b_number, tasks.c.callback_params)
            .where(tasks.c.id > after).order_by(tasks.c.id).limit(_BATCH_ROWS)).all()
        if not found:
            return
        conn.execute(
            tasks.update().where(tasks.c.id == sa.bindparam('task_id'))
            .values(b_e164=sa.bindparam('b'), a_dial=sa.bindparam('a')),
            [{'task_id': task_id, 'b': '+' + b_number.lstrip('+'),
              'a': [a_number, *_extended(params)]}
             for task_id, a_number, b_number, params in found])
        after = found[-1][0]


def _extended(params: object) -> list[str]:
    extended = params.get('extended_a_numbers') if isinstance(params, dict) else None
    return [n for n in extended if isinstance(n, str)] if isinstance(extended, list) else []


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_client_b_e164')
        batch_op.create_index('ix_tasks_client_b_number', ['client_id', 'b_number'],
                              unique=False)
        batch_op.drop_column('a_dial')
        batch_op.drop_column('b_e164')
    with op.batch_alter_table('schedulers', schema=None) as batch_op:
        batch_op.drop_column('a_number_type')
        batch_op.drop_column('default_region')
