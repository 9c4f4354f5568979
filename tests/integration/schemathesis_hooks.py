"""Schemathesis hooks for tests/integration/test_api.py (loaded by SCHEMATHESIS_HOOKS): every
generated request names the test's client, whose token it carries, so it reaches that
client's rows. Set in the case itself, not as a config override, so that the checks judge
the request as sent (a negative case whose only invalid part was the client id is then a
valid one, not "invalid data accepted")."""

from __future__ import annotations

import os
from typing import Any

import schemathesis

CLIENT_ID_ENV = "RINGBACK_SCHEMATHESIS_CLIENT_ID"


@schemathesis.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None
                        ) -> dict[str, Any] | None:
    if path_parameters is not None and "client_id" in path_parameters:
        path_parameters["client_id"] = int(os.environ[CLIENT_ID_ENV])
    return path_parameters
