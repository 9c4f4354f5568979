"""SIP accounts: the identity (From, digest credentials, trunk) a client's calls are placed
from, one per extension. The password is write-only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from api import accounts, body, deps, schemas, schemas_sip
from api.access import Scope
from api.auth import Principal, require
from api.concurrency import threaded
from api.deps import ClientId
from api.errors import ApiError
from api.responses import SafeJSONResponse
from models import clock
from models.rules import limits
from models.rules.errors import FieldError

router = APIRouter()
Writer = Annotated[Principal, Depends(require(Scope.ACCOUNTS_WRITE))]
Reader = Annotated[Principal, Depends(require(Scope.ACCOUNTS_READ))]
ExtensionId = Annotated[int, Path(ge=1, le=limits.INT32_MAX,
                                  description="the extension the account belongs to"),
                        deps.AsciiDigits]
ACCOUNTS = "/client/{client_id}/sip_accounts"


def _api_error(status: int, error: accounts.AccountError) -> ApiError:
    return ApiError(status, str(error), fields=[FieldError(error.field, error.rule)])


@router.post(f"{ACCOUNTS}/", status_code=201,
             response_model=schemas_sip.SipAccountOut,
             responses=schemas.error_responses(400, 403, 404, 409, 413, 415),
             openapi_extra=schemas.request_body(schemas_sip.SipAccountIn))
async def create_sip_account(
    request: Request, client_id: ClientId, who: Writer
) -> SafeJSONResponse:
    """409 when the client already has an account for the extension."""
    who.own(client_id)
    raw = await body.read_json(request, limits.SMALL_BODY_BYTES_MAX)
    try:
        created = await threaded(accounts.create_account, deps.engine(request), client_id, raw,
                                 clock.now())
    except accounts.DuplicateAccount as duplicate:
        raise _api_error(409, duplicate) from None
    return SafeJSONResponse(created, status_code=201)


@router.get(f"{ACCOUNTS}/", response_model=schemas_sip.SipAccountList,
            responses=schemas.error_responses(400, 403, 404))
def list_sip_accounts(request: Request, client_id: ClientId, who: Reader) -> dict[str, Any]:
    """The client's accounts in extension order."""
    who.own(client_id)
    return {"accounts": accounts.list_accounts(deps.engine(request), client_id)}


@router.get(f"{ACCOUNTS}/{{extension_id}}",
            response_model=schemas_sip.SipAccountOut,
            responses=schemas.error_responses(400, 403, 404))
def get_sip_account(
    request: Request, client_id: ClientId, extension_id: ExtensionId, who: Reader
) -> dict[str, Any]:
    who.own(client_id)
    try:
        return accounts.get_account(deps.engine(request), client_id, extension_id)
    except accounts.UnknownAccount as missing:
        raise _api_error(404, missing) from None


@router.delete(f"{ACCOUNTS}/{{extension_id}}", status_code=204, response_class=Response,
               responses=schemas.error_responses(400, 403, 404))
def delete_sip_account(
    request: Request, client_id: ClientId, extension_id: ExtensionId, who: Writer
) -> Response:
    """Tasks already added keep their extension_id: an account is looked up when a call is
    placed, not when its task was added."""
    who.own(client_id)
    try:
        accounts.delete_account(deps.engine(request), client_id, extension_id)
    except accounts.UnknownAccount as missing:
        raise _api_error(404, missing) from None
    return Response(status_code=204)
