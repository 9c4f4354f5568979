"""What the route modules share, so that none imports another: the app's engine, settings
and nudger (built in app.py's lifespan), the path and paging parameters, and the principals
of the scopes more than one module requires."""

from __future__ import annotations

import re
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Path, Query, Request
from pydantic import BeforeValidator

from api.access import Scope
from api.auth import Principal, require
from api.nudge import Nudger
from models.rules import limits
from models.settings import Settings

_ASCII_DIGITS = re.compile(r"[0-9]+")
ID_RULE = "must be a whole number written in ASCII digits (0-9) only"


def _ascii_digits(value: object) -> object:
    """A path id as the README has it: int() (and pydantic's int) also read "1_0", "+1",
    " 1" and "1.0", so an id in another spelling would name an existing row."""
    if isinstance(value, str) and _ASCII_DIGITS.fullmatch(value) is None:
        raise ValueError(ID_RULE)
    return value


# Put in every integer path id (the range stays Path's): a bad one answers 400 naming it.
AsciiDigits = BeforeValidator(_ascii_digits)
ClientId = Annotated[int, Path(
    ge=limits.CLIENT_ID_MIN, le=limits.CLIENT_ID_MAX,
    description=f"the client (tenant), {limits.CLIENT_ID_MIN}..{limits.CLIENT_ID_MAX}"),
    AsciiDigits]
SchedulerId = Annotated[int, Path(ge=1, le=limits.INT64_MAX), AsciiDigits]
TaskId = Annotated[int, Path(ge=1, le=limits.INT64_MAX), AsciiDigits]
# An id given as text: a page's cursor, the event stream's Last-Event-ID.
ID_TEXT_PATTERN = f"^[0-9]{{1,{limits.ID_DIGITS_MAX}}}$"

Cursor = Annotated[str | None, Query(pattern=ID_TEXT_PATTERN)]
PageLimit = Annotated[int, Query(ge=1, le=limits.PAGE_ROWS_MAX)]

TasksReader = Annotated[Principal, Depends(require(Scope.TASKS_READ))]
TasksWriter = Annotated[Principal, Depends(require(Scope.TASKS_WRITE))]


def engine(request: Request) -> sa.Engine:
    found: sa.Engine = request.app.state.engine
    return found


def settings(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


def nudger(request: Request) -> Nudger:
    found: Nudger = request.app.state.nudger
    return found
