"""What the route modules share, so that none imports another: the app's engine, settings
and nudger (built in app.py's lifespan), the path and paging parameters, and the principals
of the scopes more than one module requires."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Path, Query, Request

from api.access import Scope
from api.auth import Principal, require
from api.nudge import Nudger
from models.rules import limits
from models.settings import Settings

ClientId = Annotated[int, Path(
    ge=limits.CLIENT_ID_MIN, le=limits.CLIENT_ID_MAX,
    description=f"the client (tenant), {limits.CLIENT_ID_MIN}..{limits.CLIENT_ID_MAX}")]
SchedulerId = Annotated[int, Path(ge=1, le=limits.INT64_MAX)]
TaskId = Annotated[int, Path(ge=1, le=limits.INT64_MAX)]
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
