"""Shared checks of client-sent values: each failure is a FieldError naming field and rule."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from models.rules import limits, text
from models.rules.errors import FieldError, InvalidInput


class Checker:
    """Collects every broken rule of one document, so the client sees them all at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, field: str, rule: str) -> None:
        self.errors.append(FieldError(field, rule))

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)

    def mapping(self, value: object, field: str) -> Mapping[str, object] | None:
        if not isinstance(value, Mapping):
            self.fail(field, "must be an object")
            return None
        return value

    def unknown_keys(self, raw: Mapping[str, object], known: Iterable[str], field: str,
                     rule: str) -> None:
        for key in sorted(set(raw) - set(known), key=str):
            self.fail(f"{field}.{text.field_name(key)}", rule)

    def whole_number(self, value: object, field: str, low: int,
                     high: int = limits.INT32_MAX) -> int | None:
        # bool is an int in Python, never in the client's JSON.
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(field, f"must be a whole number from {low} to {high}")
            return None
        return value

    def number(self, value: object, field: str, low: float, high: float) -> float | None:
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not math.isfinite(value) or not low <= value <= high):
            self.fail(field, f"must be a number from {low:g} to {high:g}")
            return None
        return value

    def boolean(self, value: object, field: str) -> bool | None:
        if not isinstance(value, bool):
            self.fail(field, "must be true or false")
            return None
        return value
