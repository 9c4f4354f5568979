"""Validation of scheduler bodies: pure, every error names the field and rule."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from models.rules import limits, numbering, text
from models.rules.calling import caps, retry_rules, spec
from models.rules.errors import FieldError, InvalidInput
from models.rules.intake import DuplicatePolicy
from models.rules.numbering import ANumberType


def _whole(low: int, nullable: bool) -> Callable[[object], object]:
    def check(value: object) -> object:
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not (
            low <= value <= limits.INT32_MAX
        ):
            raise ValueError(f"must be a whole number from {low} to {limits.INT32_MAX}"
                             + (", or null for no limit" if nullable else ""))
        return value
    return check


def _percent(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ValueError("must be a percentage from 0 to 100, or null to turn the ASR rule off")
    return float(value)


def _name(value: object) -> object:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= limits.NAME_CHARS_MAX:
        raise ValueError(f"must be 1 to {limits.NAME_CHARS_MAX} characters")
    if text.unsafe_text(value):
        raise ValueError(text.NO_CONTROL_RULE)
    return value.strip()


def _duplicate_policy(value: object) -> object:
    if not isinstance(value, str) or value not in {p.value for p in DuplicatePolicy}:
        raise ValueError("must be one of " + ", ".join(p.value for p in DuplicatePolicy))
    return value


def _region(value: object) -> object:
    problem = numbering.region_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _a_number_type(value: object) -> object:
    if not isinstance(value, str) or value not in {t.value for t in ANumberType}:
        raise ValueError("must be one of " + ", ".join(t.value for t in ANumberType))
    return value


# API field → (column, check). `interval` and `asr_pause` are seconds.
FIELDS: dict[str, tuple[str, Callable[[object], object]]] = {
    "name": ("name", _name),
    "concurrent_task_limit": ("concurrent_task_limit", _whole(1, nullable=True)),
    "interval": ("interval_s", _whole(0, nullable=False)),
    "asr_threshold": ("asr_threshold", _percent),
    "asr_window": ("asr_window", _whole(1, nullable=False)),
    "asr_min_attempts": ("asr_min_attempts", _whole(1, nullable=False)),
    "asr_pause": ("asr_pause_s", _whole(0, nullable=False)),
    "duplicate_b_number": ("duplicate_b_number", _duplicate_policy),
    "default_region": ("default_region", _region),
    "a_number_type": ("a_number_type", _a_number_type),
}


# The calling-rule fields: each kind is stored as its document in one column.
RULE_FIELDS = frozenset({*spec.CALLING_RULE_FIELDS, "retry_rules", "number_caps"})


def _columns(raw: object) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidInput([FieldError("body", "must be a JSON object")])
    errors = [FieldError(text.field_name(k), "is not a known scheduler field")
              for k in sorted(set(raw) - set(FIELDS) - RULE_FIELDS)]
    columns: dict[str, Any] = {}
    for field, value in raw.items():
        if field not in FIELDS:
            continue
        column, check = FIELDS[field]
        try:
            columns[column] = check(value)
        except ValueError as error:
            errors.append(FieldError(field, str(error)))
    try:
        columns.update(_rule_columns(raw, None))
    except InvalidInput as invalid:
        errors.extend(invalid.errors)
    if errors:
        raise InvalidInput(errors)
    return columns


def _rule_columns(raw: Mapping[str, Any], stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """Columns for the calling-rule fields ``raw`` names. The five calling-window fields are
    one set of rules: those given replace the same ones of ``stored`` (null clears one)."""
    given = {name: raw[name] for name in spec.CALLING_RULE_FIELDS if name in raw}
    parsers: dict[str, Callable[[], Any]] = {}
    if "retry_rules" in raw:
        parsers["retry_rules"] = lambda: retry_rules.parse_retry_rules(raw["retry_rules"])
    if "number_caps" in raw:
        parsers["number_caps"] = lambda: caps.parse_number_caps(raw["number_caps"])
    if given:
        parsers["calling_rules"] = lambda: spec.parse_calling_rules({**(stored or {}), **given})
    found: dict[str, Any] = {}
    errors: list[FieldError] = []
    for column, parse in parsers.items():
        try:
            rules = parse()
        except InvalidInput as invalid:
            errors.extend(invalid.errors)
            continue
        found[column] = None if rules is None else rules.to_document()
    if errors:
        raise InvalidInput(errors)
    return found


def calling_rule_changes(raw: object, stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """The calling-rules column once the PATCH ``raw`` (already checked by
    scheduler_changes) is merged into the scheduler's ``stored`` rules: a preset given to
    a scheduler that has windows is refused here, naming the field."""
    if not isinstance(raw, Mapping):
        return {}
    return _rule_columns({name: raw[name] for name in spec.CALLING_RULE_FIELDS
                          if name in raw}, stored)


def new_scheduler(raw: object) -> dict[str, Any]:
    """Columns for a new scheduler; settings left out keep the table's defaults."""
    columns = _columns(raw)
    if "name" not in columns:
        raise InvalidInput([FieldError("name", "is required")])
    return columns


def scheduler_changes(raw: object) -> dict[str, Any]:
    columns = _columns(raw)
    if not columns:
        raise InvalidInput([FieldError("body", "must name at least one field to change")])
    return columns
