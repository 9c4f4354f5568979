"""The JSON response every route answers with. Text that reached a row before the validators
refused lone surrogates (or an error message quoting a client's odd field name) must not
turn an answer into a 500: such a body is written with ASCII escapes instead."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse


class SafeJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            # "\ud800" cannot be UTF-8; as a JSON escape it is still a well-formed document.
            return json.dumps(content, ensure_ascii=True, allow_nan=False,
                              separators=(",", ":")).encode("ascii")
