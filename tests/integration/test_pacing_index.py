"""What dispatch reads of a scheduler's tries under its row lock stays a few index reads,
however many tries the scheduler has made: a round runs many times a second."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from models import clock
from models.storage.repository import attempts_repo
from tests.integration.test_core_flow import B_NUMBER, add, new_scheduler

PAST_TRIES = 200_000


def explain(conn: sa.Connection, stmt: sa.Select[Any]) -> str:
    sql = stmt.compile(conn.engine, compile_kwargs={"literal_binds": True})
    return "\n".join(conn.exec_driver_sql(f"EXPLAIN {sql}").scalars().all())


def test_pacing_reads_of_a_scheduler_with_many_past_tries_use_indexes(
    engine: sa.Engine,
) -> None:
    scheduler_id = new_scheduler(engine)
    job = add(engine, scheduler_id, [{"a_number": "+15550000001", "b_number": B_NUMBER}])
    task_id = job.tasks[0]["id"]
    now = clock.now()
    with engine.begin() as conn:
        # Past tries, all ended, the last of them dialled a minute ago; half answered.
        conn.execute(sa.text(
            "INSERT INTO attempts (task_id, scheduler_id, attempt_no, status, claimed_at,"
            " sent_at, dialing_at, ended_at, a_answered) SELECT :tid, :sid, g, 'completed',"
            " :t - interval '1 minute' - (g || ' seconds')::interval,"
            " :t - interval '1 minute' - (g || ' seconds')::interval,"
            " :t - interval '1 minute' - (g || ' seconds')::interval,"
            " :t - interval '1 minute' - (g || ' seconds')::interval + interval '1 second',"
            " g % 2 = 0 FROM generate_series(1, :n) AS g"),
            {"tid": task_id, "sid": scheduler_id, "n": PAST_TRIES,
             "t": now.replace(tzinfo=None)})
        conn.exec_driver_sql("ANALYZE attempts")
    with engine.connect() as conn:
        history = attempts_repo.pacing_history(
            conn, scheduler_id, None, window=20, asr_hold_until=None, need_last_dial=True)
        running = explain(conn, attempts_repo.running_counts(scheduler_id))
        last_dial = explain(conn, attempts_repo.last_dial_at(scheduler_id))
        recent = explain(conn, attempts_repo.recent_answers(scheduler_id, None, 20))
    assert (history.running, history.claimed_not_dialled) == (0, 0)
    assert history.last_dial_at is not None
    assert abs(history.last_dial_at - (now - timedelta(seconds=61))) < timedelta(seconds=1)
    assert len(history.recent_a_answered) == 20 and sum(history.recent_a_answered) == 10
    for plan in (running, last_dial, recent):
        assert "Seq Scan" not in plan, plan
    assert "ix_attempts_scheduler_running" in running, running
    assert "ix_attempts_scheduler_dialing" in last_dial, last_dial
    assert "ix_attempts_scheduler_ended" in recent, recent


def test_pacing_reads_only_what_the_scheduler_s_rules_need(engine: sa.Engine) -> None:
    scheduler_id = new_scheduler(engine)
    with engine.connect() as conn:
        history = attempts_repo.pacing_history(
            conn, scheduler_id, None, window=None, asr_hold_until=None, need_last_dial=False)
    assert history.last_dial_at is None and history.recent_a_answered == ()
