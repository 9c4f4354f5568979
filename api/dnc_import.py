"""`ringback dnc import FILE.csv`: numbers for a do-not-call list from CSV (a `number`
column, or the first), every bad row named by its line; a file with a bad row stores
nothing unless --skip-bad. The numbers go in one transaction, a batch at a time, with a
progress bar."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa

from api import console
from models.rules import dnc
from models.storage.repository import dnc_repo

NUMBER_COLUMN = "number"
FILE_ENCODING = "utf-8-sig"  # drops a spreadsheet's byte order mark


@dataclass
class DncImport:
    numbers: list[str] = field(default_factory=list)
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    stored: int = 0


def read_numbers(stream: TextIO, region: str | None) -> DncImport:
    """Each row's number, normalised; a first row that names a `number` column is a header."""
    found = DncImport()
    reader = csv.reader(stream)
    column = 0
    for row in reader:
        line = reader.line_num
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
    try:
        text = path.read_bytes().decode(FILE_ENCODING)
    except UnicodeDecodeError:
        found = DncImport(bad_rows=[(0, "the file is not UTF-8 text")])
        return found
    found = read_numbers(io.StringIO(text, newline=""), region)
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
