"""How the CLI's imports (`ringback import`, `ringback dnc import`) read a CSV file: as
UTF-8 and as strict CSV, record by record with the line each starts on. A file that is not
UTF-8 or not valid CSV (an unterminated quote) is unreadable as a whole: what follows the
damage cannot be trusted to be the rows its author meant, so nothing of it is stored."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

# Spreadsheet programs write a byte order mark before the header: "utf-8-sig" drops it.
FILE_ENCODING = "utf-8-sig"


class Unreadable(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


def decode(data: bytes) -> str:
    try:
        return data.decode(FILE_ENCODING)
    except UnicodeDecodeError as error:
        raise Unreadable(data[:error.start].count(b"\n") + 1, "is not UTF-8 text") from error


def records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, its cells; [] for a blank line); Unreadable where
    the quoting breaks."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    ended = 0  # the line the last record ended on
    try:
        for cells in reader:
            line, ended = ended + 1, reader.line_num
            yield line, cells
    except csv.Error as error:
        raise Unreadable(ended + 1, f"is not valid CSV ({error})") from error


def read_records(path: Path) -> list[tuple[int, list[str]]]:
    """Every record of the file at ``path``; Unreadable when any of it is."""
    return list(records(decode(path.read_bytes())))
