"""Do-not-call lists for the API and the CLI: add many numbers, remove one, look one up,
list a page. A client sees and changes only its own list; the installation-wide one
(client id dnc.INSTALLATION) is the operators', from the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import phonenumbers
import sqlalchemy as sa

from models.rules import dnc, text, timefmt
from models.rules.errors import FieldError, InvalidInput
from models.shapes.intake_rows import DncEntryRow
from models.storage.repository import dnc_repo

ADD_FIELDS = frozenset({"numbers", "expires_at", "region"})


class UnknownEntry(LookupError):
    def __init__(self, number: str) -> None:
        super().__init__(f"number: {number} is not on this do-not-call list")
        self.field, self.rule = "number", f"{number} is not on this do-not-call list"


@dataclass(frozen=True)
class NewEntries:
    numbers: list[str]  # E.164, in the order given, without repeats
    expires_at: datetime | None


def parse_entries(body: object, now: datetime, region: str | None = None) -> NewEntries:
    """``{"numbers": [...], "expires_at": "YYYY-MM-DD HH:MM:SS" or null, "region": "US" or
    null}``; numbers without "+" are read in the body's region, or else in ``region`` (the
    CLI's --region). InvalidInput names every broken rule."""
    if not isinstance(body, dict):
        raise InvalidInput([FieldError("body", "must be a JSON object with a numbers array")])
    errors = [FieldError(text.field_name(key), "is not a known field")
              for key in body if key not in ADD_FIELDS]
    region = _region(body.get("region", region), errors)
    expires_at = _expiry(body.get("expires_at"), now, errors)
    raw = body.get("numbers")
    if not isinstance(raw, list) or not 1 <= len(raw) <= dnc.NUMBERS_PER_REQUEST_MAX:
        errors.append(FieldError("numbers", "must be an array of 1 to "
                                 f"{dnc.NUMBERS_PER_REQUEST_MAX} phone numbers"))
        raw = []
    numbers = []
    for index, item in enumerate(raw):
        try:
            numbers.append(dnc.normalise(item, region))
        except dnc.NotANumber as refused:
            errors.append(FieldError(f"numbers[{index}]", refused.rule))
    if errors:
        raise InvalidInput(errors)
    return NewEntries(list(dict.fromkeys(numbers)), expires_at)


def parse_expiry(value: object, now: datetime) -> datetime | None:
    """An entry's ``expires_at`` as given (null, or a seed time in the future)."""
    errors: list[FieldError] = []
    moment = _expiry(value, now, errors)
    if errors:
        raise InvalidInput(errors)
    return moment


def _region(value: object, errors: list[FieldError]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in phonenumbers.SUPPORTED_REGIONS:
        errors.append(FieldError("region", "must be an ISO 3166 alpha-2 code in capitals "
                                           "that libphonenumber knows (e.g. US, FR)"))
        return None
    return value


def _expiry(value: object, now: datetime, errors: list[FieldError]) -> datetime | None:
    if value is None:
        return None
    try:
        moment = timefmt.parse(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        errors.append(FieldError("expires_at", "must be null or a UTC time in the format "
                                               "YYYY-MM-DD HH:MM:SS"))
    elif moment <= now:
        errors.append(FieldError("expires_at", "must be in the future (null: never expires)"))
    return moment


def add_numbers(engine: sa.Engine, client_id: int, body: object, now: datetime,
                region: str | None = None) -> dict[str, Any]:
    entries = parse_entries(body, now, region)
    with engine.begin() as conn:
        dnc_repo.add_entries(conn, client_id, entries.numbers, entries.expires_at, now)
    return {"added": len(entries.numbers), "numbers": entries.numbers,
            "expires_at": timefmt.format(entries.expires_at)}


def normalised(number: str) -> str:
    """A number from a path or a query, as E.164; InvalidInput naming ``number``."""
    try:
        return dnc.normalise(number)
    except dnc.NotANumber as refused:
        raise InvalidInput([FieldError("number", refused.rule)]) from None


def remove_number(engine: sa.Engine, client_id: int, number: str) -> None:
    key = normalised(number)
    with engine.begin() as conn:
        if not dnc_repo.remove_entry(conn, client_id, key):
            raise UnknownEntry(key)


def look_up(engine: sa.Engine, client_id: int, number: str, now: datetime) -> dict[str, Any]:
    """The client's entry for ``number`` (if any), and whether some list in force holds
    it: the installation's is named, never shown."""
    key = normalised(number)
    with engine.connect() as conn:
        entry = dnc_repo.find_entry(conn, client_id, key)
        listed = dnc_repo.listed_numbers(conn, [client_id], [key], now).get(client_id, {})
    scope = listed.get(key)
    return {"entries": entries_object([] if entry is None else [entry], now),
            "next_cursor": None, "number": key, "blocked": scope is not None,
            "blocked_by": None if scope is None else scope.value}


def page(engine: sa.Engine, client_id: int, cursor: str | None, limit: int,
         now: datetime) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = dnc_repo.list_entries(conn, client_id, cursor or "", limit)
    return {"entries": entries_object(rows, now),
            "next_cursor": rows[-1].number if len(rows) == limit else None}


def entries_object(rows: Iterable[DncEntryRow], now: datetime) -> list[dict[str, Any]]:
    return [{"number": row.number, "expires_at": timefmt.format(row.expires_at),
             "create_date_utc": timefmt.format(row.created_at),
             "in_force": row.expires_at is None or row.expires_at > now} for row in rows]
