"""`ringback import` on damaged files (issue 12, defect 6): every bad row is reported with
its line number, nothing is stored, nothing crashes; a spreadsheet's BOM is accepted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from api import csv_import
from models.storage.tables import tasks
from tests.integration.test_core_flow import CLIENT_ID, new_scheduler

HEADER = "a_number,b_number,try_count,name\n"
GOOD = "+15550000901,+15550000999,2,good\n"


def stored(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(tasks)).scalar_one())


def scheduler(engine: sa.Engine) -> int:
    """The test's one scheduler, created on first use."""
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT min(id) FROM schedulers")).scalar()
    return int(found) if found is not None else new_scheduler(engine)


def run_import(engine: sa.Engine, tmp_path: Path, content: bytes,
               skip_bad: bool = False) -> tuple[csv_import.ImportReport, str]:
    path = tmp_path / "tasks.csv"
    path.write_bytes(content)
    out_path = tmp_path / "out.txt"
    with out_path.open("w") as out:
        report = csv_import.import_file(engine, path, CLIENT_ID, scheduler(engine),
                                        skip_bad=skip_bad, max_tasks=100, nudge=None, out=out)
    return report, out_path.read_text()


@pytest.mark.parametrize(("bad_row", "printed"), [
    ("+15550000902,+15550000999,1,extra,fields,here\n", "line 3: row: has 6 fields; the header "
                                                       "has 4"),
    ("+15550000902,+15550000999,²,sup\n", "line 3: try_count: must be a whole number"),
    ("+15550000902,+15550000999,1,nul\x00name\n", "line 3: name: must not contain control"),
])
def test_bad_rows_are_reported_by_line_and_nothing_is_stored(
    engine: sa.Engine, tmp_path: Path, bad_row: str, printed: str
) -> None:
    report, out = run_import(engine, tmp_path, (HEADER + GOOD + bad_row + GOOD).encode())
    assert [line for line, _ in report.bad_rows] == [3]
    assert printed in out
    assert report.stored == 0 and stored(engine) == 0
    report, _ = run_import(engine, tmp_path, (HEADER + GOOD + bad_row + GOOD).encode(),
                           skip_bad=True)
    assert report.stored == 2 and stored(engine) == 2


def test_a_file_that_is_not_utf8_names_the_line_and_stores_nothing(
    engine: sa.Engine, tmp_path: Path
) -> None:
    content = (HEADER + GOOD).encode() + "+15550000903,+15550000999,1,caf\xe9\n".encode("latin-1")
    report, out = run_import(engine, tmp_path, content, skip_bad=True)
    assert report.unreadable and report.stored == 0 and stored(engine) == 0
    assert "line 3: file: is not UTF-8 text" in out


def test_an_unterminated_quote_does_not_swallow_rows(engine: sa.Engine, tmp_path: Path) -> None:
    content = HEADER + GOOD + '+15550000904,+15550000999,1,"bob\n' + GOOD
    report, out = run_import(engine, tmp_path, content.encode(), skip_bad=True)
    assert report.unreadable and report.stored == 0 and stored(engine) == 0
    assert "is not valid CSV" in out
    # A quote closed on a later line makes a name with a line break in it: a bad row.
    closed = HEADER + GOOD + '+15550000904,+15550000999,1,"bob\n+1555,+1666,1,alice"\n' + GOOD
    report, out = run_import(engine, tmp_path, closed.encode())
    assert [line for line, _ in report.bad_rows] == [3] and stored(engine) == 0
    assert "line 3: name: must not contain control characters" in out


def test_a_byte_order_mark_before_the_header_is_accepted(
    engine: sa.Engine, tmp_path: Path
) -> None:
    report, _ = run_import(engine, tmp_path, b"\xef\xbb\xbf" + (HEADER + GOOD).encode())
    assert report.bad_rows == [] and report.stored == 1 and stored(engine) == 1


def test_the_command_exits_2_with_a_message_not_a_traceback(
    engine: sa.Engine, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes((HEADER + GOOD).encode() + b"\xff\xfe,,\n")
    scheduler_id = scheduler(engine)
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "import", str(path), "--client", str(CLIENT_ID),
         "--scheduler", str(scheduler_id)], capture_output=True, text=True, timeout=60,
        env={"RINGBACK_DATABASE_URL": database_url, "RINGBACK_BROKER_URL": "memory://",
             "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "line 3: file: is not UTF-8 text" in done.stdout
    assert stored(engine) == 0
