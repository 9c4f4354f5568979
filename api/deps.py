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
from models.settings import Settings

ClientId = Annotated[int, Path(ge=1, le=9999, description="the client (tenant), 1..9999")]
SchedulerId = Annotated[int, Path(ge=1, le=2**63 - 1)]
TaskId = Annotated[int, Path(ge=1, le=2**63 - 1)]

MAX_PAGE = 1000
Cursor = Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")]
PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE)]

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
