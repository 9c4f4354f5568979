"""Shared benchmark code: databases, a Redis DB, worker/beat stacks, task loading, polling,
percentiles, process memory and the report lines.

Everything here runs against 127.0.0.1 only, through the same helpers the integration
tests use (``tests.support``), so a benchmark sees exactly the processes a test sees.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import redis
import sqlalchemy as sa

from api import enqueue
from models import clock
from models.shapes import task_numbers
from models.shapes.validation import NewTask
from models.storage.repository import jobs_repo, tasks_repo
from models.storage.tables import attempts, events, tasks
from tests import support

T = TypeVar("T")
CLIENT_ID = 7
A_NUMBER = "+15550000001"
B_NUMBER = "+15550000002"
# Redis database numbers benchmarks may use; 0..11 belong to others (tests use 1 + pid % 15).
BENCH_REDIS_DBS = (12, 13)
POLL_S = 0.1
READY_TIMEOUT_S = 60


# --- output -----------------------------------------------------------------------------

def say(line: str) -> None:
    print(line, flush=True)


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else math.nan


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def code_version() -> str:
    """The project's commit, with "+changes" when files outside bench/ differ from it
    (read-only git commands; the worker processes run this tree)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "--no-optional-locks", *args], cwd=support.REPO_ROOT,
                              capture_output=True, text=True, timeout=30).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no", "--", ".",
                      ":(exclude)bench", ":(exclude)docs/benchmarks.md")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + ("+changes" if changed else "")


CODE_AT_START = code_version()


def emit_json(benchmark: str, figures: dict[str, Any]) -> None:
    """The one JSON line a benchmark ends with; says if the code changed during the run."""
    code_at_end = code_version()
    if code_at_end != CODE_AT_START:
        say(f"warning: the project code changed during the run ({CODE_AT_START} -> "
            f"{code_at_end}); processes started after the change ran the new code")
    say(json.dumps({"benchmark": benchmark, "code": CODE_AT_START, "code_at_end": code_at_end,
                    "machine": machine_info(), **figures}, default=str, sort_keys=False))


def machine_info() -> dict[str, Any]:
    import celery

    mem_kib = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {"nproc": os.cpu_count(), "mem_gib": round(mem_kib / 2**20, 1),
            "python": platform.python_version(), "celery": celery.__version__}


# --- polling ----------------------------------------------------------------------------

def poll(probe: Callable[[], T | None], timeout_s: float, what: str,
         stack: support.Stack | None = None, interval_s: float = POLL_S) -> T:
    """Call ``probe`` until it returns something truthy, at most ``timeout_s``; between
    calls check that the stack's processes still live, so a crash fails at once."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = probe()
        if result:
            return result
        if stack is not None:
            stack.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)  # bounded: the deadline above ends the loop


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), interpolated between the two nearest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# --- places: a work folder, databases, a Redis DB ------------------------------------------

@contextmanager
def workdir(name: str) -> Iterator[Path]:
    """A scratch folder for logs, scenario and dial log; kept (and named) on failure."""
    path = Path(tempfile.mkdtemp(prefix=f"ringback-bench-{name}-"))
    try:
        yield path
    except BaseException:
        say(f"logs kept in {path}")
        raise
    shutil.rmtree(path, ignore_errors=True)


class Databases:
    """Fresh migrated databases, copied from one template; all dropped on exit."""

    def __init__(self) -> None:
        self.template: str | None = None
        self.names: list[str] = []

    def fresh(self) -> str:
        if self.template is None:
            self.template = support.create_template_database()
        name = support.clone_database(self.template)
        self.names.append(name)
        return support.pg_url(name)

    def __enter__(self) -> Databases:
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self.names:
            support.drop_database(name)
        if self.template is not None:
            support.drop_database(self.template)


def _pytest_redis_dbs() -> set[int]:
    """Redis DBs the test suite is using right now (its fixture takes
    RINGBACK_TEST_REDIS_DB when set, else 1 + pid % 15)."""
    used: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes().split(b"\0") if b"pytest" in cmdline \
                else []
        except OSError:
            continue
        if b"pytest" in cmdline:
            pinned = [v.split(b"=", 1)[1] for v in environ
                      if v.startswith(b"RINGBACK_TEST_REDIS_DB=")]
            used.add(int(pinned[0]) if pinned and pinned[0].isdigit()
                     else 1 + int(entry.name) % 15)
    return used


@contextmanager
def redis_db() -> Iterator[str]:
    """A broker URL on DB 12 or 13 (one a running test suite is not using), or the one
    RINGBACK_BENCH_REDIS_DB names, flushed at the start and at the end. Yields the URL."""
    pinned = os.environ.get("RINGBACK_BENCH_REDIS_DB")
    busy = _pytest_redis_dbs()
    number = int(pinned) if pinned else next(
        (n for n in BENCH_REDIS_DBS if n not in busy), None)
    if number is None:
        # Sharing one would flush the tests' queue and let their workers take ours.
        raise RuntimeError(f"Redis DBs {BENCH_REDIS_DBS} are both used by running tests")
    url = f"redis://{support.REDIS_HOST_PORT}/{number}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def flush(url: str) -> None:
    """Empty the benchmark's own Redis DB (between two phases of one run)."""
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def redis_version() -> str:
    client = redis.Redis.from_url(f"redis://{support.REDIS_HOST_PORT}/{BENCH_REDIS_DBS[0]}")
    try:
        info: dict[str, Any] = client.info("server")  # type: ignore[assignment]
        return str(info["redis_version"])
    finally:
        client.close()


def postgres_version(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return str(conn.exec_driver_sql("SHOW server_version").scalar_one())


# --- worker and beat ----------------------------------------------------------------------

# The same environment the tests give worker and beat.
stack_env = support.stack_env


def _log_line_has(work: Path, name: str, *needles: str) -> bool:
    """Some line of the process's log holds every one of ``needles``."""
    path = work / f"{name}.log"
    if not path.exists():
        return False
    return any(all(n in line for n in needles)
               for line in path.read_text(errors="replace").splitlines())


def wait_ready(stack: support.Stack, workers: Sequence[str], beat: str | None) -> None:
    """Every worker has said it is ready, and (with beat) a dispatch tick has run."""

    def ready(name: str) -> Callable[[], bool]:
        return lambda: _log_line_has(stack.workdir, name, " ready.")

    def dispatched() -> bool:
        return _log_line_has(stack.workdir, str(beat), "dispatcher running")

    for name in workers:
        poll(ready(name), READY_TIMEOUT_S, f"{name} to be ready", stack)
    if beat is not None:
        poll(dispatched, READY_TIMEOUT_S, "a first dispatch tick to run", stack)


@contextmanager
def ringback_stack(env: dict[str, str], work: Path, *, workers: int = 1, concurrency: int = 2,
                   beat: bool = True) -> Iterator[support.Stack]:
    """Start ``workers`` Celery workers of ``concurrency`` each and (optionally) one beat,
    wait until they work, stop them all on exit."""
    stack = support.Stack(env=env, workdir=work)
    names = [f"worker{i}" for i in range(workers)]
    try:
        for name in names:
            stack.start_worker(name, concurrency=concurrency)
        if beat:
            stack.start_beat("beat")
        wait_ready(stack, names, "beat" if beat else None)
        yield stack
    finally:
        stack.stop_all()


# --- tasks ----------------------------------------------------------------------------------

def new_scheduler(engine: sa.Engine) -> int:
    created = enqueue.create_scheduler(
        engine, CLIENT_ID, {"name": f"bench-{uuid.uuid4().hex[:8]}"}, clock.now())
    return int(created["id"])


def same_b_number(_index: int) -> str:
    return B_NUMBER


def add_due_now(engine: sa.Engine, scheduler_id: int, n: int, url_after: str | None = None,
                nudge: Callable[[], None] | None = None,
                b_number_of: Callable[[int], str] = same_b_number) -> int:
    """``n`` tasks due at once through api.enqueue.add_tasks (validation, one transaction,
    the dispatch nudge), as the HTTP API adds them. Returns the job id."""
    task = {"a_number": A_NUMBER}
    if url_after:
        task["url_after"] = url_after
    added = enqueue.add_tasks(engine, CLIENT_ID, scheduler_id,
                              [{**task, "b_number": b_number_of(i)} for i in range(n)],
                              clock.now(), max_tasks=n, nudge=nudge)
    assert added.job_id is not None
    return added.job_id


def insert_timed(engine: sa.Engine, scheduler_id: int, starts: Sequence[datetime],
                 b_number_of: Callable[[int], str] = same_b_number) -> int:
    """Tasks due at the given (sub-second) times, stored through the repository as
    api.enqueue stores them. Returns the job id."""
    now = clock.now()
    new = task_numbers.read_all(
        [NewTask(a_number=A_NUMBER, b_number=b_number_of(i), start_time_utc=s)
         for i, s in enumerate(starts)], task_numbers.Numbering(None), str)
    with engine.begin() as conn:
        job_id = jobs_repo.insert_job(conn, CLIENT_ID, scheduler_id, len(new), now,
                                      created_by="bench")
        tasks_repo.store_tasks(conn, CLIENT_ID, scheduler_id, job_id, new, now)
    return job_id


def count_finished(engine: sa.Engine, job_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(tasks).where(
            tasks.c.job_id == job_id, tasks.c.status == "finished")).scalar_one())


def count_delivered(engine: sa.Engine, job_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(events).where(
            events.c.job_id == job_id, events.c.delivery_status == "delivered")).scalar_one())


def count_unsuccessful(engine: sa.Engine, job_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(tasks).where(
            tasks.c.job_id == job_id, tasks.c.status == "finished",
            tasks.c.finish_result != "success")).scalar_one())


def first_try_lags_s(engine: sa.Engine, job_id: int) -> list[float]:
    """(try start - due time) of each task's first try: attempts.dialing_at - due_at."""
    stmt = (sa.select(attempts.c.due_at, attempts.c.dialing_at)
            .join(tasks, tasks.c.id == attempts.c.task_id)
            .where(tasks.c.job_id == job_id, attempts.c.attempt_no == 1,
                   attempts.c.dialing_at.is_not(None)))
    with engine.connect() as conn:
        return [(dialing - due).total_seconds() for due, dialing in conn.execute(stmt).all()]


def count_dialing(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(attempts).where(
            attempts.c.status == "dialing")).scalar_one())


# --- measurements shared by throughput, dispatch_lag and backlog --------------------------------

@dataclass
class ThroughputResult:
    tasks: int
    seconds: float
    tries_per_s: float
    webhooks_seconds: float | None
    not_success: int


def measure_throughput(engine: sa.Engine, stack: support.Stack, scheduler_id: int, n: int,
                       url_after: str | None, nudge: Callable[[], None] | None,
                       timeout_s: float,
                       b_number_of: Callable[[int], str] = same_b_number) -> ThroughputResult:
    """Add ``n`` tasks due now; time until every one is finished (and, with a URL, until
    every `after` webhook is delivered)."""
    started = time.monotonic()
    job_id = add_due_now(engine, scheduler_id, n, url_after, nudge, b_number_of)
    poll(lambda: count_finished(engine, job_id) >= n, timeout_s,
         f"{n} tasks to finish", stack)
    seconds = time.monotonic() - started
    hooks_s = None
    if url_after:
        poll(lambda: count_delivered(engine, job_id) >= n, timeout_s,
             f"{n} webhooks to be delivered", stack)
        hooks_s = time.monotonic() - started
    return ThroughputResult(n, seconds, n / seconds, hooks_s, count_unsuccessful(engine, job_id))


@dataclass
class LagResult:
    rate_per_s: float
    tasks: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    lags_s: list[float] = field(repr=False, default_factory=list)

    def figures(self) -> dict[str, Any]:
        return {"rate_per_s": self.rate_per_s, "tasks": self.tasks,
                "p50_ms": round(self.p50_ms, 1), "p99_ms": round(self.p99_ms, 1),
                "max_ms": round(self.max_ms, 1)}


def measure_lag(engine: sa.Engine, stack: support.Stack, scheduler_id: int, rate_per_s: float,
                spread_s: float, lead_s: float, timeout_s: float,
                b_number_of: Callable[[int], str] = same_b_number) -> LagResult:
    """Tasks due at ``rate_per_s`` evenly over ``spread_s`` seconds, the first ``lead_s``
    from now; once all have finished, the percentiles of their first try's lag."""
    from datetime import timedelta

    n = max(1, round(rate_per_s * spread_s))
    first = clock.now() + timedelta(seconds=lead_s)
    starts = [first + timedelta(seconds=i / rate_per_s) for i in range(n)]
    job_id = insert_timed(engine, scheduler_id, starts, b_number_of)
    poll(lambda: count_finished(engine, job_id) >= n, lead_s + spread_s + timeout_s,
         f"{n} timed tasks to finish", stack)
    lags = first_try_lags_s(engine, job_id)
    return LagResult(rate_per_s, len(lags), percentile(lags, 50) * 1000,
                     percentile(lags, 99) * 1000, max(lags) * 1000, lags)


# --- a webhook receiver -----------------------------------------------------------------------

class NoContentReceiver:
    """An HTTP server on 127.0.0.1 answering every POST 204, counting them."""

    def __init__(self) -> None:
        self.count = 0
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                with lock:
                    receiver.count += 1
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/after"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def __enter__(self) -> NoContentReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- process memory ---------------------------------------------------------------------------

def group_pids(pgid: int) -> list[int]:
    """Every live process in process group ``pgid`` (a Stack process and its children)."""
    pids: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name (which may hold spaces) start after the last ')'.
        rest = stat[stat.rfind(")") + 2:].split()
        if int(rest[2]) == pgid:
            pids.append(int(entry.name))
    return sorted(pids)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a live process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None
