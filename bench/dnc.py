"""Do-not-call lists at scale: dispatch throughput and lag with a 1,000,000-entry list
against an empty list, in the same run.

Each side has a fresh database of its own. The list is one INSERT ... SELECT
generate_series: numbers +1555 and seven digits, the odd ones from 1000001 on; nine in ten
on the client's list, one in ten on the installation-wide list, one in twenty expired; then
ANALYZE and a CHECKPOINT. The measured tasks call the even numbers of the same range, each
task its own B number, so every dispatch batch looks up as many numbers as it has tasks,
in the thick of the list's key, and none is listed (every task is dialled on both sides).
The measurement is bench.backlog's: one worker --concurrency 2 and one beat, N tasks due
now (tries/s until all are finished), then tasks due at ``--lag-rate`` per second over
``--spread`` seconds (p50/p99 of try start - due time); the sides take turns for
``--rounds`` rounds and the medians are compared.

    python -m bench.dnc [--entries 1000000] [--tasks 3000] [--lag-rate 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time

import sqlalchemy as sa

from bench import backlog, harness

NUMBERS_IN_RANGE = 10_000_000  # seven digits after +1555
# The list holds the odd numbers from this one on: the harness's A number (+15550000001)
# lies below it, so the tries' A legs are never listed.
FIRST_LISTED = 1_000_001
# Consecutive tasks' numbers this far apart (odd, so even numbers stay even and distinct):
# a batch's lookups spread over the whole key.
STRIDE = 4999


def insert_list(engine: sa.Engine, n: int) -> float:
    """``n`` entries in one statement, then ANALYZE; returns the seconds it took."""
    started = time.monotonic()
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO dnc_entries (client_id, number, expires_at, created_at)"
            " SELECT CASE WHEN g % 10 = 0 THEN 0 ELSE :cid END,"
            " '+1555' || lpad((2 * g + :first)::text, 7, '0'),"
            " CASE WHEN g % 20 = 7 THEN now() at time zone 'utc' - interval '1 day' END,"
            " now() at time zone 'utc' FROM generate_series(0, :n - 1) AS g"),
            {"cid": harness.CLIENT_ID, "n": n, "first": FIRST_LISTED})
        conn.exec_driver_sql("ANALYZE dnc_entries")
    return time.monotonic() - started


def unlisted_b_number(index: int) -> str:
    """An even number of the list's range: never listed."""
    return f"+1555{(2 * index * STRIDE) % NUMBERS_IN_RANGE:07d}"


def prepare(dbs: harness.Databases, entries: int) -> backlog.Side:
    return backlog.prepare_side(dbs, entries, lambda engine, _scheduler, n: insert_list(engine, n),
                                "do-not-call entries", "empty list",
                                b_number_of=unlisted_b_number)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dnc", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    backlog.add_measure_arguments(parser)
    parser.set_defaults(rounds=5)  # single rounds vary by 10 % here: a median of five
    args = parser.parse_args(argv)

    backlog.run_comparison("dnc", args, prepare, args.entries, "the list",
                           ", each its own B number")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
