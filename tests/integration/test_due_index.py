"""Finding due tasks stays an index range scan with a million future tasks in the table."""

from __future__ import annotations

import sqlalchemy as sa

from models import clock
from models.storage.repository import tasks_repo
from tests.integration.test_core_flow import B_NUMBER, add, new_scheduler

FUTURE_TASKS = 1_000_000


def test_due_task_queries_use_the_partial_indexes(engine: sa.Engine) -> None:
    scheduler_id = new_scheduler(engine)
    job = add(engine, scheduler_id, [{"a_number": "+15550000001", "b_number": B_NUMBER}])
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO tasks (client_id, scheduler_id, job_id, a_number, b_number, b_e164,"
            " a_dial, try_count, try_again_pause, status, attempts_made, next_attempt_at,"
            " create_date_utc, updated_at) SELECT 7, :sid, :jid, '+15550000001',"
            " '+15550000002', '+15550000002', '[\"+15550000001\"]', 1, 60,"
            " 'scheduled', 0, now() + (g || ' seconds')::interval + interval '1 hour', now(),"
            " now() FROM generate_series(1, :n) AS g"),
            {"sid": scheduler_id, "jid": job.job_id, "n": FUTURE_TASKS})
        conn.exec_driver_sql("ANALYZE tasks")
    now = clock.now()
    with engine.begin() as conn:
        assert tasks_repo.schedulers_with_due_tasks(conn, now) == [scheduler_id]
        claimed = tasks_repo.claim_due_tasks(conn, scheduler_id, now, 100)
        assert [c.id for c in claimed] == [job.tasks[0]["id"]]
        conn.rollback()
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN SELECT DISTINCT scheduler_id FROM tasks WHERE status IN ('scheduled',"
            " 'delayed', 'delayed_asr', 'delayed_concurrent_task', 'delayed_interval')"
            f" AND next_attempt_at <= '{now.replace(tzinfo=None).isoformat()}'"
        ).scalars().all()
        claim_plan = conn.exec_driver_sql(
            "EXPLAIN SELECT id FROM tasks WHERE scheduler_id = %(sid)s AND status IN"
            " ('scheduled', 'delayed', 'delayed_asr', 'delayed_concurrent_task',"
            " 'delayed_interval') AND next_attempt_at <= %(now)s ORDER BY next_attempt_at, id"
            " LIMIT 100", {"sid": scheduler_id, "now": now.replace(tzinfo=None)}
        ).scalars().all()
    assert "ix_tasks_due_any" in "\n".join(plan), plan
    assert "Seq Scan" not in "\n".join(plan), plan
    assert "ix_tasks_due" in "\n".join(claim_plan), claim_plan
    assert "Seq Scan" not in "\n".join(claim_plan), claim_plan
