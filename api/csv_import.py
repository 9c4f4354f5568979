"""`ringback import FILE.csv`: tasks from CSV, with line numbers for bad rows. A file with a
bad row stores nothing unless --skip-bad; the good rows go in as one job, one transaction."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa

from api import enqueue, progress
from models import clock, validation
from models.validation import FieldError, InvalidInput, NewTask

INT_COLUMNS = frozenset({"try_count", "extension_id"})
CALLBACK_COLUMNS = ("caller_id_name", "caller_id_number")
STORE_CHUNK = 1000


@dataclass
class ImportReport:
    stored: int = 0
    job_id: int | None = None
    bad_rows: list[tuple[int, list[FieldError]]] = field(default_factory=list)


def _task_from_row(row: dict[str, str]) -> dict[str, Any]:
    task: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for column, value in row.items():
        text = (value or "").strip()
        if not text or column is None:
            continue
        if column in CALLBACK_COLUMNS:
            params[column] = text
        elif column == "extended_a_numbers":
            params[column] = [n.strip() for n in text.split(";") if n.strip()]
        elif column in INT_COLUMNS and text.isdigit():
            task[column] = int(text)
        else:
            task[column] = text
    if params:
        task["callback_params"] = params
    return task


def read_tasks(stream: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(stream)
    for row in reader:
        yield reader.line_num, _task_from_row(row)


def check_file(path: Path, max_tasks: int, out: TextIO) -> tuple[list[NewTask], ImportReport]:
    report = ImportReport()
    valid: list[NewTask] = []
    lines = progress.Lines(out)
    with path.open(newline="") as stream:
        rows = list(read_tasks(stream))
    for index, (line, raw) in enumerate(rows, start=1):
        try:
            valid += validation.validate_tasks([raw], max_tasks, prefix=f"line {line}")
        except InvalidInput as invalid:
            report.bad_rows.append((line, invalid.errors))
        if index % 500 == 0 or index == len(rows):
            lines.draw([f"checking {progress.bar(index, len(rows))} {index}/{len(rows)}"])
    return valid, report


def import_file(
    engine: sa.Engine, path: Path, client_id: int, scheduler_id: int, *, skip_bad: bool,
    max_tasks: int, nudge: Callable[[], None] | None, out: TextIO,
) -> ImportReport:
    valid, report = check_file(path, max_tasks, out)
    for line, errors in report.bad_rows:
        for error in errors:
            out.write(f"line {line}: {error.field.split('.', 1)[-1]}: {error.rule}\n")
    if (report.bad_rows and not skip_bad) or not valid:
        return report
    lines = progress.Lines(out)

    def stored(done: int) -> None:
        lines.draw([f"storing  {progress.bar(done, len(valid))} {done}/{len(valid)}"])

    report.job_id = enqueue.store_validated(
        engine, client_id, scheduler_id, valid, clock.now(), nudge=nudge,
        chunk=STORE_CHUNK, on_progress=stored)
    report.stored = len(valid)
    return report
