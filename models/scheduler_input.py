"""Validation of scheduler bodies: pure, every error names the field and rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.validation import MAX_NAME_LENGTH, FieldError, InvalidInput

SCHEDULER_FIELDS = frozenset({"name"})


def _check_object(raw: object) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidInput([FieldError("body", "must be a JSON object")])
    unknown = sorted(set(raw) - SCHEDULER_FIELDS)
    if unknown:
        raise InvalidInput([FieldError(str(u), "is not a known scheduler field") for u in unknown])
    return raw


def _name(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_NAME_LENGTH:
        raise InvalidInput([FieldError("name", f"must be 1 to {MAX_NAME_LENGTH} characters")])
    return value.strip()


def new_scheduler(raw: object) -> dict[str, Any]:
    body = _check_object(raw)
    if "name" not in body:
        raise InvalidInput([FieldError("name", "is required")])
    return {"name": _name(body["name"])}


def scheduler_changes(raw: object) -> dict[str, Any]:
    body = _check_object(raw)
    if not body:
        raise InvalidInput([FieldError("body", "must name at least one field to change")])
    return {"name": _name(body["name"])} if "name" in body else {}
