"""initial schema: clients, schedulers, jobs, executions, tasks, attempts, events

Revision ID: 0001
Revises: (none)

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('clients',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('id BETWEEN 1 AND 9999', name=op.f('ck_clients_id_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clients'))
    )
    op.create_table('schedulers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_schedulers_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedulers'))
    )
    with op.batch_alter_table('schedulers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedulers_client_id'), ['client_id'], unique=False)

    op.create_table('jobs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('scheduler_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('status', sa.String(length=20), server_default='Scheduled', nullable=False),
    sa.Column('tracking_id', sa.String(length=100), nullable=True),
    sa.Column('tasks_total', sa.Integer(), nullable=False),
    sa.Column('tasks_final', sa.Integer(), server_default='0', nullable=False),
    sa.Column('tasks_failed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_jobs_client_id_clients')),
    sa.ForeignKeyConstraint(['scheduler_id'], ['schedulers.id'], name=op.f('fk_jobs_scheduler_id_schedulers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_scheduler_id'), ['scheduler_id'], unique=False)

    op.create_table('job_executions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('job_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('execution_no', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('start_time', sa.DateTime(), nullable=True),
    sa.Column('end_time', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_executions_job_id_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_executions')),
    sa.UniqueConstraint('job_id', 'execution_no', name=op.f('uq_job_executions_job_id_execution_no'))
    )
    op.create_table('tasks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('scheduler_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('job_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('a_number', sa.String(length=32), nullable=False),
    sa.Column('b_number', sa.String(length=32), nullable=False),
    sa.Column('extension_id', sa.Integer(), nullable=True),
    sa.Column('try_count', sa.Integer(), nullable=False),
    sa.Column('try_again_pause', sa.Integer(), nullable=False),
    sa.Column('start_time_utc', sa.DateTime(), nullable=True),
    sa.Column('url_before', sa.Text(), nullable=True),
    sa.Column('url_before_again', sa.Text(), nullable=True),
    sa.Column('url_success', sa.Text(), nullable=True),
    sa.Column('url_after', sa.Text(), nullable=True),
    sa.Column('callback_params', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('finish_result', sa.String(length=16), nullable=True),
    sa.Column('finish_comment', sa.Text(), nullable=True),
    sa.Column('cdr', sa.String(length=64), nullable=True),
    sa.Column('attempts_made', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('create_date_utc', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('try_again_pause >= 0', name=op.f('ck_tasks_pause_not_negative')),
    sa.CheckConstraint('try_count BETWEEN 1 AND 50', name=op.f('ck_tasks_try_count_range')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_tasks_client_id_clients')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_tasks_job_id_jobs')),
    sa.ForeignKeyConstraint(['scheduler_id'], ['schedulers.id'], name=op.f('fk_tasks_scheduler_id_schedulers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_due', ['scheduler_id', 'next_attempt_at'], unique=False, postgresql_where=sa.text("status IN ('delayed', 'delayed_asr', 'delayed_concurrent_task', 'delayed_interval', 'scheduled')"), sqlite_where=sa.text("status IN ('delayed', 'delayed_asr', 'delayed_concurrent_task', 'delayed_interval', 'scheduled')"))
        batch_op.create_index('ix_tasks_due_any', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status IN ('delayed', 'delayed_asr', 'delayed_concurrent_task', 'delayed_interval', 'scheduled')"), sqlite_where=sa.text("status IN ('delayed', 'delayed_asr', 'delayed_concurrent_task', 'delayed_interval', 'scheduled')"))
        batch_op.create_index(batch_op.f('ix_tasks_job_id'), ['job_id'], unique=False)

    op.create_table('attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scheduler_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attempt_no', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='claimed', nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('dialing_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('dialer_ref', sa.Text(), nullable=True),
    sa.Column('check_at', sa.DateTime(), nullable=True),
    sa.Column('a_answered', sa.Boolean(), nullable=True),
    sa.Column('b_answered', sa.Boolean(), nullable=True),
    sa.Column('cause', sa.String(length=32), nullable=True),
    sa.Column('cdr', sa.String(length=64), nullable=True),
    sa.Column('talk_seconds', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['scheduler_id'], ['schedulers.id'], name=op.f('fk_attempts_scheduler_id_schedulers')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_attempts_task_id_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempts')),
    sa.UniqueConstraint('task_id', 'attempt_no', name=op.f('uq_attempts_task_id_attempt_no'))
    )
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempts_running', ['status', 'sent_at'], unique=False, postgresql_where=sa.text("status IN ('claimed', 'dialing')"), sqlite_where=sa.text("status IN ('claimed', 'dialing')"))
        batch_op.create_index('ix_attempts_scheduler_ended', ['scheduler_id', 'ended_at'], unique=False)

    op.create_table('events',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('job_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('attempt_no', sa.Integer(), nullable=True),
    sa.Column('target_url', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_events_client_id_clients')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_events_job_id_jobs')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_events_task_id_tasks')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_events')),
    sa.UniqueConstraint('id', name=op.f('uq_events_id'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_client_seq', ['client_id', 'seq'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_client_seq')

    op.drop_table('events')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_scheduler_ended')
        batch_op.drop_index('ix_attempts_running', postgresql_where=sa.text("status IN ('claimed', 'dialing')"), sqlite_where=sa.text("status IN ('claimed', 'dialing')"))

    op.drop_table('attempts')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_job_id'))
        batch_op.drop_index('ix_tasks_due_any', postgresql_where=sa.text("status IN ('delayed', 'delayed_asr', 'delayed_concurrent_task', 'delayed_interval', 'scheduled')"), sqlite_where=sa.text("status IN ('delayed', 'delayed_asr', 'delayed_concurrent_task', 'delayed_interval', 'scheduled')"))
        batch_op.drop_index('ix_tasks_due', postgresql_where=sa.text("status IN ('delayed', 'delayed_asr', 'delayed_concurrent_task', 'delayed_interval', 'scheduled')"), sqlite_where=sa.text("status IN ('delayed', 'delayed_asr', 'delayed_concurrent_task', 'delayed_interval', 'scheduled')"))

    op.drop_table('tasks')
    op.drop_table('job_executions')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_scheduler_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_client_id'))

    op.drop_table('jobs')
    with op.batch_alter_table('schedulers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedulers_client_id'))

    op.drop_table('schedulers')
    op.drop_table('clients')
