"""A client's do-not-call list: add many, remove one, look one up, list with a cursor. The
installation-wide list is the operators' (``ringback dnc ... --global``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api import body, deps, dnc, schemas, schemas_dnc
from api.access import Scope
from api.auth import Principal, require
from api.concurrency import threaded
from api.deps import ClientId, PageLimit
from api.errors import ApiError
from api.responses import SafeJSONResponse
from models import clock
from models.rules import dnc as dnc_rules
from models.rules.errors import FieldError

router = APIRouter()
Writer = Annotated[Principal, Depends(require(Scope.DNC_WRITE))]
Reader = Annotated[Principal, Depends(require(Scope.DNC_READ))]
LIST = "/client/{client_id}/dnc"
NumberText = Annotated[str, Path(
    max_length=dnc_rules.NUMBER_CHARS_MAX, pattern=dnc_rules.NUMBER_PATTERN,
    description="the number, in international format (E.164, or written with separators)")]
# Bytes a request may carry: the most numbers, each at its longest, quoted and separated.
MAX_BODY_BYTES = dnc_rules.NUMBERS_PER_REQUEST_MAX * (dnc_rules.NUMBER_CHARS_MAX * 6 + 4) + 1024


@router.post(f"{LIST}/", status_code=201, response_model=schemas_dnc.DncAddOut,
             responses=schemas.error_responses(400, 403, 404, 413, 415),
             openapi_extra=schemas.request_body(schemas_dnc.DncAddIn))
async def add_numbers(request: Request, client_id: ClientId, who: Writer) -> SafeJSONResponse:
    """List the numbers on the client's list; a number listed again gets the new expiry."""
    who.own(client_id)
    raw = await body.read_json(request, MAX_BODY_BYTES)
    added = await threaded(dnc.add_numbers, deps.engine(request), client_id, raw, clock.now())
    return SafeJSONResponse(added, status_code=201)


@router.get(f"{LIST}/", response_model=schemas_dnc.DncPage,
            responses=schemas.error_responses(400, 403, 404))
def list_numbers(
    request: Request, client_id: ClientId, who: Reader,
    number: Annotated[str | None, Query(max_length=dnc_rules.NUMBER_CHARS_MAX,
                                        pattern=dnc_rules.NUMBER_PATTERN)] = None,
    cursor: Annotated[str | None, Query(pattern=schemas_dnc.E164_PATTERN)] = None,
    limit: PageLimit = 100,
) -> dict[str, Any]:
    """With ``number``: that number's entry and whether a list in force holds it; else a
    page of the client's list."""
    who.own(client_id)
    engine, now = deps.engine(request), clock.now()
    if number is not None:
        return dnc.look_up(engine, client_id, number, now)
    return dnc.page(engine, client_id, cursor, limit, now)


@router.delete(f"{LIST}/{{number}}", status_code=204, response_class=Response,
               responses=schemas.error_responses(400, 403, 404))
def remove_number(request: Request, client_id: ClientId, number: NumberText,
                  who: Writer) -> Response:
    who.own(client_id)
    try:
        dnc.remove_number(deps.engine(request), client_id, number)
    except dnc.UnknownEntry as missing:
        raise ApiError(404, str(missing), fields=[FieldError(missing.field, missing.rule)]
                       ) from None
    return Response(status_code=204)
