"""What every table module shares: the MetaData (with its naming convention), the UTC
timestamp type, the id type, and partial-index conditions built from the status enums."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    impl = sa.DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


def where_in(column: str, values: Iterable[StrEnum]) -> dict[str, Any]:
    """A partial index's condition on both backends, worded as the migrations have it."""
    listed = ", ".join(f"'{v.value}'" for v in sorted(values))
    where = sa.text(f"{column} IN ({listed})")
    return {"postgresql_where": where, "sqlite_where": where}


def where_is(column: str, value: StrEnum) -> dict[str, Any]:
    where = sa.text(f"{column} = '{value.value}'")
    return {"postgresql_where": where, "sqlite_where": where}


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
