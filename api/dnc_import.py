"""`ringback dnc import FILE.csv`: numbers for a do-not-call list from CSV (a `number`
column, or the first), every bad row named by its line; a file with a bad row stores
nothing unless --skip-bad, and one that is not UTF-8 or not valid CSV nothing at all
(api/csv_file.py). The numbers go in one transaction, a batch at a time, with a progress
bar."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa

from api import console, csv_file
from models.rules import dnc
from models.storage.repository import dnc_repo

NUMBER_COLUMN = "number"


@dataclass
class DncImport:
    numbers: list[str] = field(default_factory=list)
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    stored: int = 0
    # The file itself is unreadable (not UTF-8, broken quoting): nothing may be stored.
    unreadable: bool = False


def read_numbers(records: Iterable[tuple[int, list[str]]], region: str | None) -> DncImport:
    """Each row's number, normalised; a first row that names a `number` column is a header."""
    found = DncImport()
    column = 0
    for line, row in records:
        if line == 1 and NUMBER_COLUMN in [cell.strip().lower() for cell in row]:
            column = [cell.strip().lower() for cell in row].index(NUMBER_COLUMN)
            continue
        if not any(cell.strip() for cell in row):
            continue
        try:
            found.numbers.append(dnc.normalise(row[column].strip() if column < len(row)
                                               else "", region))
        except dnc.NotANumber as refused:
            found.bad_rows.append((line, refused.rule))
    return found


def import_file(engine: sa.Engine, path: Path, client_id: int, *, region: str | None,
                expires_at: datetime | None, skip_bad: bool, now: datetime,
                out: TextIO) -> DncImport:
    """A file that cannot be read (csv_file.Unreadable) stores nothing, --skip-bad or not."""
    try:
        found = read_numbers(csv_file.read_records(path), region)
    except csv_file.Unreadable as unreadable:
        out.write(f"line {unreadable.line}: file: {unreadable}\n")
        return DncImport(bad_rows=[(unreadable.line, str(unreadable))], unreadable=True)
    for line, why in found.bad_rows:
        out.write(f"line {line}: number: {why}\n")
    if found.bad_rows and not skip_bad:
        return found
    unique = list(dict.fromkeys(found.numbers))
    with engine.begin() as conn, console.progress(out, "numbers listed", len(unique)) as done:
        for start in range(0, len(unique), dnc_repo.WRITE_BATCH_ROWS):
            part = unique[start:start + dnc_repo.WRITE_BATCH_ROWS]
            dnc_repo.add_entries(conn, client_id, part, expires_at, now)
            found.stored += len(part)
            done(found.stored)
    return found
