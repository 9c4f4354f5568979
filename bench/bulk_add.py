"""Bulk add: tasks stored per second for one 100,000-task request through the HTTP API,
against PostgreSQL's COPY of the same rows into the same tasks table.

`ringback api` runs on a fresh database (RINGBACK_MAX_TASKS_PER_REQUEST=100000); one
POST .../tasks/ carries every task (start_time_utc far in the future, so nothing would
dial; no worker runs). The body is encoded before the clock starts; the time runs until
the 201 answer (which lists every stored task) has been read. Baseline, same run: the
same rows (as tasks_repo.store_tasks would write them) COPYed into the same table under
a fresh job with psycopg's ``cursor.copy``, timed from the COPY to its commit.

    python -m bench.bulk_add [--tasks 100000]
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa

from api import tokens
from api.access import Scope
from bench import harness, targets
from models import clock
from models.storage import db
from models.storage.repository import jobs_repo
from models.storage.tables import tasks
from tests import support

TARGET_RATIO = targets.BULK_ADD_RATIO
FAR_FUTURE = "2099-01-01 00:00:00"
COPY_COLUMNS = ("client_id", "scheduler_id", "job_id", "a_number", "b_number", "b_e164",
                "a_dial", "try_count",
                "try_again_pause", "start_time_utc", "status", "attempts_made",
                "next_attempt_at", "create_date_utc", "updated_at")


def count_job_tasks(engine: sa.Engine, job_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(tasks).where(
            tasks.c.job_id == job_id)).scalar_one())


def api_add(url: str, broker_url: str, work: Path, engine: sa.Engine,
            n: int, timeout_s: float) -> tuple[float, int, int]:
    """(seconds, job id, body bytes) of one POST of ``n`` tasks."""
    env = harness.stack_env(url, broker_url, work, max_tasks_per_request=n)
    token = tokens.create_token(engine, harness.CLIENT_ID, frozenset({Scope.TASKS_WRITE}),
                                clock.now())
    server = support.ApiServer.start(env, work)
    try:
        with httpx.Client(base_url=server.base_url, timeout=timeout_s,
                          headers={"Authorization": f"Bearer {token}"}) as http:
            created = http.post(f"/client/{harness.CLIENT_ID}/task_scheduler/",
                                json={"name": f"bulk-{uuid.uuid4().hex[:8]}"})
            created.raise_for_status()
            scheduler_id = int(created.json()["id"])
            task = {"a_number": harness.A_NUMBER, "b_number": harness.B_NUMBER,
                    "start_time_utc": FAR_FUTURE}
            body = json.dumps({"tasks": [task] * n}).encode()
            started = time.monotonic()
            response = http.post(f"/client/{harness.CLIENT_ID}/task_scheduler/{scheduler_id}"
                                 "/tasks/", content=body,
                                 headers={"content-type": "application/json"})
            seconds = time.monotonic() - started
        if response.status_code != 201:
            raise RuntimeError(f"add answered {response.status_code}: {response.text[:500]}")
        answer = response.json()
        if len(answer["tasks"]) != n:
            raise RuntimeError(f"add answered {len(answer['tasks'])} tasks, not {n}")
        return seconds, int(answer["job_id"]), len(body)
    finally:
        server.stop()


def copy_add(url: str, engine: sa.Engine, scheduler_id: int, n: int) -> tuple[float, int]:
    """(seconds, job id) of COPYing ``n`` rows like the API's into a fresh job."""
    now = clock.now()
    with engine.begin() as conn:
        job_id = jobs_repo.insert_job(conn, harness.CLIENT_ID, scheduler_id, n, now,
                                      created_by="bench-copy")
    naive_now = now.astimezone(UTC).replace(tzinfo=None)
    start = datetime(2099, 1, 1)
    row = (harness.CLIENT_ID, scheduler_id, job_id, harness.A_NUMBER, harness.B_NUMBER,
           harness.B_NUMBER, json.dumps([harness.A_NUMBER]), 1, 60, start, "scheduled", 0,
           start, naive_now, naive_now)
    rows = [row] * n
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain_url) as conn:
        started = time.monotonic()
        with conn.cursor() as cur, cur.copy(
                f"COPY tasks ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
            for values in rows:
                copy.write_row(values)
        conn.commit()
        seconds = time.monotonic() - started
    return seconds, job_id


def scheduler_of(engine: sa.Engine, job_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT scheduler_id FROM jobs WHERE id = :j"),
                                {"j": job_id}).scalar_one())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk_add", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the request")
    args = parser.parse_args(argv)
    n: int = args.tasks

    with harness.workdir("bulk-add") as work, harness.Databases() as dbs, \
            harness.redis_db() as broker_url:
        url = dbs.fresh()
        engine = db.create_engine(url)
        try:
            harness.say(f"bulk add: one request of {n} tasks through `ringback api`, "
                        "against COPY of the same rows")
            api_s, api_job, body_bytes = api_add(url, broker_url, work, engine, n, args.timeout)
            api_stored = count_job_tasks(engine, api_job)
            copy_s, copy_job = copy_add(url, engine, scheduler_of(engine, api_job), n)
            copy_stored = count_job_tasks(engine, copy_job)
        finally:
            engine.dispose()

    api_rate, copy_rate = api_stored / api_s, copy_stored / copy_s
    r = harness.ratio(api_rate, copy_rate)
    harness.say(f"ringback api: {api_stored} tasks stored by one request "
                f"({body_bytes / 2**20:.1f} MiB body) in {api_s:.2f} s = {api_rate:.0f} tasks/s")
    harness.say(f"baseline: COPY {copy_stored} rows in {copy_s:.2f} s = {copy_rate:.0f} rows/s")
    harness.say(f"ratio: {r:.3f}  (target >= {TARGET_RATIO}: "
                f"{harness.verdict(r >= TARGET_RATIO)})")
    figures: dict[str, Any] = {
        "tasks": n, "body_bytes": body_bytes,
        "api_seconds": round(api_s, 3), "api_tasks_per_s": round(api_rate),
        "copy_seconds": round(copy_s, 3), "copy_rows_per_s": round(copy_rate),
        "ratio": round(r, 3), "target_ratio": TARGET_RATIO, "target_met": r >= TARGET_RATIO,
    }
    harness.emit_json("bulk_add", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
