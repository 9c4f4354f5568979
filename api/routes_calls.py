"""The call record (call_history): what one try placed on the network, its legs and times."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from api import call_record, deps, schemas, schemas_sip
from api.deps import ClientId, TasksReader
from api.errors import ApiError
from models.shapes import rows
from models.storage.repository import calls_repo

router = APIRouter()
# A call's public id as calls are given it (str(uuid4())), any case: anything else names no
# call, and is answered 404 without reaching the database.
CALL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                       re.IGNORECASE)
# Documented as a uuid (what clients hold); not enforced, so any other text is a 404.
CallUuid = Annotated[str, Path(description="the call's id: a connected task's `cdr`",
                               json_schema_extra={"format": "uuid"})]


@router.get("/client/{client_id}/call_history/{call_uuid}",
            response_model=schemas_sip.CallRecord,
            responses=schemas.error_responses(400, 403, 404))
def call_history(
    request: Request, client_id: ClientId, call_uuid: CallUuid, who: TasksReader
) -> dict[str, Any]:
    """One try's call: its status, times and outcome, and a leg for each INVITE sent."""
    who.own(client_id)
    found = None
    if CALL_UUID.fullmatch(call_uuid):
        with deps.engine(request).connect() as conn:
            found = calls_repo.find_record(conn, client_id, call_uuid.lower())
    if found is None:
        raise ApiError(404, "call_uuid: no such call for this client")
    call, legs = found
    return call_record.call_record_object(rows.as_dict(call),
                                          [rows.as_dict(leg) for leg in legs])
