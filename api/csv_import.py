"""`ringback import FILE.csv`: tasks from CSV, with line numbers for bad rows. A file with a
bad row stores nothing unless --skip-bad; the good rows go in as one job, one transaction.
A file that is not UTF-8 or not valid CSV (an unterminated quote) stores nothing at all
(api/csv_file.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa

from api import console, csv_file, enqueue
from models import clock
from models.rules import limits, text
from models.rules.errors import FieldError, InvalidInput
from models.shapes import validation
from models.shapes.validation import NewTask

INT_COLUMNS = frozenset({"try_count", "extension_id"})
CALLBACK_COLUMNS = ("caller_id_name", "caller_id_number")
STORE_CHUNK = 1000
CHECK_PROGRESS_EVERY = 500  # rows between two updates of the checking bar


@dataclass
class ImportReport:
    stored: int = 0
    job_id: int | None = None
    bad_rows: list[tuple[int, list[FieldError]]] = field(default_factory=list)
    # The line of each valid task, in order: an error found when storing names it.
    valid_lines: list[int] = field(default_factory=list)
    # The file itself is unreadable (not UTF-8, broken quoting): nothing may be stored.
    unreadable: bool = False


def _task_from_row(row: dict[str, str]) -> dict[str, Any]:
    task: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for column, value in row.items():
        cell = value.strip()
        if not cell:
            continue
        if column in CALLBACK_COLUMNS:
            params[column] = cell
        elif column == "extended_a_numbers":
            params[column] = [n.strip() for n in cell.split(";") if n.strip()]
        elif column in INT_COLUMNS and text.is_ascii_digits(cell, limits.INT32_DIGITS):
            task[column] = int(cell)
        else:
            task[column] = cell
    if params:
        task["callback_params"] = params
    return task


def read_tasks(records: Iterable[tuple[int, list[str]]]
               ) -> Iterator[tuple[int, dict[str, Any] | FieldError]]:
    """(line where the row starts, the task's fields or what is wrong with the row)."""
    header: list[str] | None = None
    for line, cells in records:
        if not cells:
            continue  # a blank line
        if header is None:
            header = [c.strip() for c in cells]
        elif len(cells) > len(header):
            yield line, FieldError("row", f"has {len(cells)} fields; the header has "
                                          f"{len(header)}")
        else:
            yield line, _task_from_row(dict(zip(header, cells, strict=False)))


def check_file(path: Path, max_tasks: int, out: TextIO) -> tuple[list[NewTask], ImportReport]:
    report = ImportReport()
    valid: list[NewTask] = []
    try:
        rows = list(read_tasks(csv_file.read_records(path)))
    except csv_file.Unreadable as unreadable:
        report.unreadable = True
        report.bad_rows.append((unreadable.line, [FieldError("file", str(unreadable))]))
        return valid, report
    with console.progress(out, "rows checked", len(rows)) as checked:
        for index, (line, raw) in enumerate(rows, start=1):
            try:
                if isinstance(raw, FieldError):
                    raise InvalidInput([raw])
                valid += validation.validate_tasks([raw], max_tasks, prefix=f"line {line}")
                report.valid_lines.append(line)
            except InvalidInput as invalid:
                report.bad_rows.append((line, invalid.errors))
            if index % CHECK_PROGRESS_EVERY == 0 or index == len(rows):
                checked(index)
    return valid, report


def import_file(
    engine: sa.Engine, path: Path, client_id: int, scheduler_id: int, *, skip_bad: bool,
    max_tasks: int, nudge: Callable[[], None] | None, out: TextIO,
    dialer: str = enqueue.DEFAULT_DIALER,
) -> ImportReport:
    """Under the SIP dialer a row whose extension has no account refuses the whole file
    (InvalidInput naming its line), --skip-bad or not: the account is missing, not the row."""
    valid, report = check_file(path, max_tasks, out)
    for line, errors in report.bad_rows:
        for error in errors:
            out.write(f"line {line}: {error.field.split('.', 1)[-1]}: {error.rule}\n")
    if (report.bad_rows and not skip_bad) or report.unreadable or not valid:
        return report
    with console.progress(out, "tasks stored", len(valid)) as stored:
        report.job_id = enqueue.store_validated(
            engine, client_id, scheduler_id, valid, clock.now(), nudge=nudge,
            chunk=STORE_CHUNK, on_progress=stored, dialer=dialer,
            label_of=lambda index: f"line {report.valid_lines[index]}")
    report.stored = len(valid)
    return report
