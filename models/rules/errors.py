"""Input that breaks a rule: each error names the field and the rule, and nothing is
changed. Raised by every pure validator; the API answers it with 400."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


class InvalidInput(ValueError):
    """Input broke one or more rules; nothing was changed."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors
