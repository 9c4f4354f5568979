"""The happy path on the embedded defaults: SQLite and Celery's SQLAlchemy transport, no servers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from api import enqueue
from models import clock
from models.storage.tables import tasks
from tests import support


def test_tasks_finish_on_sqlite_with_no_servers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGBACK_")}
    env["RINGBACK_SIM_SCENARIO"] = str(support.write_scenario(
        tmp_path / "scenario.json", default="answer", numbers={"+15550000001": ["busy"]}))
    env["RINGBACK_DISPATCH_INTERVAL_S"] = "0.5"
    env["RINGBACK_POLL_CALLS_INTERVAL_S"] = "0.5"
    migrate = subprocess.run(
        [sys.executable, "-m", "api.cli", "migrate"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=60,
    )
    assert migrate.returncode == 0, migrate.stderr
    assert (tmp_path / "ringback.sqlite").exists()
    stack = support.Stack(env=env, workdir=tmp_path)
    try:
        stack.start_worker(concurrency=2)
        stack.start_beat()
        with support.engine_for(f"sqlite:///{tmp_path / 'ringback.sqlite'}") as engine:
            scheduler = enqueue.create_scheduler(engine, 3, {"name": "laptop"}, clock.now())
            scheduler_id = scheduler["id"]
            job = enqueue.add_tasks(
                engine, 3, scheduler_id,
                [{"a_number": f"+155500000{i:02d}", "b_number": "+15559999999",
                  "try_count": 2, "try_again_pause": 0} for i in range(20)],
                clock.now(), max_tasks=100,
            )

            def results() -> dict[str, int] | None:
                with engine.connect() as conn:
                    rows = conn.execute(
                        sa.select(tasks.c.finish_result, sa.func.count())
                        .where(tasks.c.job_id == job.job_id, tasks.c.status == "finished")
                        .group_by(tasks.c.finish_result)).all()
                found = {str(r): int(n) for r, n in rows}
                return found if sum(found.values()) == 20 else None

            found = stack.wait_for(results, 90, "20 tasks to finish on SQLite")
        assert found == {"success": 19, "failed": 1}
        assert (tmp_path / "ringback-broker.sqlite").exists()
    finally:
        stack.stop_all()
