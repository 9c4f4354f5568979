"""Reading a JSON body: 415 when it is not JSON, 413 when too large, 400 when malformed."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from api.errors import ApiError
from models.rules import limits, text


async def read_json(request: Request, max_bytes: int) -> Any:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise ApiError(415, "Content-Type: the body must be application/json")
    declared = request.headers.get("content-length")
    if (declared is not None and text.is_ascii_digits(declared, limits.INT64_DIGITS)
            and int(declared) > max_bytes):
        raise ApiError(413, f"body: at most {max_bytes} bytes per request")
    raw = bytearray()  # grown in place: `bytes +=` copies the whole body for every chunk
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > max_bytes:
            raise ApiError(413, f"body: at most {max_bytes} bytes per request")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise ApiError(400, f"body: not valid JSON ({error})") from error
