"""One JSON shape for every error: ``{"error": {"status", "message", "fields": [...]}}``."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from api import exceptions
from api.responses import SafeJSONResponse
from models.rules.errors import FieldError, InvalidInput

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, *, fields: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = list(fields)
        self.headers = headers


def error_response(
    status: int, message: str, fields: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
) -> SafeJSONResponse:
    body = {"error": {
        "status": status, "message": message,
        "fields": [{"field": f.field, "rule": f.rule} for f in fields],
    }}
    return SafeJSONResponse(body, status_code=status, headers=headers)


def _field_name(loc: Sequence[Any]) -> str:
    parts = [p for p in loc if p not in ("path", "query", "body", "header")]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "request"


HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def allowed_methods(request: Request) -> list[str]:
    """The methods the app's OpenAPI document gives the request's path."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if _path_regex(template).match(request.url.path):
            methods |= {method.upper() for method in operations if method in HTTP_METHODS}
    return sorted(methods)


@functools.cache
def _path_regex(template: str) -> re.Pattern[str]:
    regex, _, _ = compile_path(template)
    return regex


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, error: ApiError) -> SafeJSONResponse:
        return error_response(error.status, error.message, error.fields, error.headers)

    @app.exception_handler(InvalidInput)
    async def _invalid(_request: Request, error: InvalidInput) -> SafeJSONResponse:
        return error_response(400, str(error), error.errors)

    @app.exception_handler(exceptions.UnknownScheduler)
    async def _unknown_scheduler(_request: Request, error: LookupError) -> SafeJSONResponse:
        return error_response(404, str(error))

    @app.exception_handler(exceptions.DuplicateScheduler)
    async def _duplicate(_request: Request, error: ValueError) -> SafeJSONResponse:
        return error_response(409, str(error))

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(
        _request: Request, error: RequestValidationError
    ) -> SafeJSONResponse:
        fields = [FieldError(_field_name(e["loc"]), str(e["msg"])) for e in error.errors()]
        return error_response(400, "; ".join(str(f) for f in fields), fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> SafeJSONResponse:
        headers = dict(error.headers) if error.headers else {}
        if error.status_code == 405:
            # Every method of the path, not only those of the route that answered.
            headers["Allow"] = ", ".join(allowed_methods(request))
        return error_response(error.status_code, str(error.detail), headers=headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> SafeJSONResponse:
        log.exception("unhandled error", exc_info=error)
        return error_response(500, "internal error")
